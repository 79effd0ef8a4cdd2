/* lm-cancel-dialog.h: confirm before stopping a run that costs money
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "lm-client.h"

G_BEGIN_DECLS

#define LM_TYPE_CANCEL_DIALOG (lm_cancel_dialog_get_type ())

G_DECLARE_FINAL_TYPE (LmCancelDialog, lm_cancel_dialog, LM, CANCEL_DIALOG, AdwWindow)

GtkWidget  *lm_cancel_dialog_new            (GtkWindow      *parent,
                                             LmClient       *client,
                                             LpJob          *job);
LpJob      *lm_cancel_dialog_get_job        (LmCancelDialog *self);
void        lm_cancel_dialog_set_reason     (LmCancelDialog *self,
                                             int             reason);
void        lm_cancel_dialog_set_understood (LmCancelDialog *self,
                                             gboolean        understood);
gboolean    lm_cancel_dialog_can_confirm    (LmCancelDialog *self);
gboolean    lm_cancel_dialog_get_busy       (LmCancelDialog *self);
const char *lm_cancel_dialog_get_error      (LmCancelDialog *self);

G_END_DECLS
