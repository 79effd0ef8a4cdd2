/* lm-guard-row.h: the Job page's line about its budget guard
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "lm-client.h"

G_BEGIN_DECLS

#define LM_TYPE_GUARD_ROW (lm_guard_row_get_type ())

G_DECLARE_FINAL_TYPE (LmGuardRow, lm_guard_row, LM, GUARD_ROW, GtkWidget)

void        lm_guard_row_set_client    (LmGuardRow *self,
                                        LmClient   *client);
void        lm_guard_row_set_job       (LmGuardRow *self,
                                        LpJob      *job);
const char *lm_guard_row_get_text      (LmGuardRow *self);
const char *lm_guard_row_get_countdown (LmGuardRow *self);
GtkWidget  *lm_guard_row_get_dialog    (LmGuardRow *self);

G_END_DECLS
