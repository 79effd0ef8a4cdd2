/* lm-a11y.h: accessible names GTK 4.8 gets wrong
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void lm_a11y_fix_names     (GtkWidget  *root);
void lm_a11y_name_list_row (GtkWidget  *child,
                            const char *label);

G_END_DECLS
