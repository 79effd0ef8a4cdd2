/* lm-toast.h: toasts from anywhere in the window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void lm_toast_show (GtkWidget  *widget,
                    const char *text,
                    guint       timeout_s);

G_END_DECLS
