/* lm-guard-dialog.h: edit the rules of a job's budget guard
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "lm-client.h"

G_BEGIN_DECLS

#define LM_TYPE_GUARD_DIALOG (lm_guard_dialog_get_type ())

G_DECLARE_FINAL_TYPE (LmGuardDialog, lm_guard_dialog, LM, GUARD_DIALOG, AdwWindow)

GtkWidget  *lm_guard_dialog_new        (GtkWindow     *parent,
                                        LmClient      *client,
                                        LpJob         *job);
JsonObject *lm_guard_dialog_get_rules  (LmGuardDialog *self);
GtkWidget  *lm_guard_dialog_get_widget (LmGuardDialog *self,
                                        const char    *name);
gboolean    lm_guard_dialog_get_busy   (LmGuardDialog *self);
const char *lm_guard_dialog_get_error  (LmGuardDialog *self);

G_END_DECLS
