/* lm-columns-layout.h: two columns when wide, one below a threshold
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define LM_TYPE_COLUMNS_LAYOUT (lm_columns_layout_get_type ())

G_DECLARE_FINAL_TYPE (LmColumnsLayout, lm_columns_layout, LM, COLUMNS_LAYOUT, GtkLayoutManager)

gboolean lm_columns_layout_is_wide_for (LmColumnsLayout *self,
                                        int              width);

G_END_DECLS
