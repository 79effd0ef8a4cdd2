/* lm-columns.h: a container whose two children sit side by side when wide
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define LM_TYPE_COLUMNS (lm_columns_get_type ())

G_DECLARE_FINAL_TYPE (LmColumns, lm_columns, LM, COLUMNS, GtkWidget)

gboolean lm_columns_is_wide (LmColumns *self);

G_END_DECLS
