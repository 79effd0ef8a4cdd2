/* lm-new-job-dialog.h: create a training job
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "lm-client.h"

G_BEGIN_DECLS

#define LM_TYPE_NEW_JOB_DIALOG (lm_new_job_dialog_get_type ())

G_DECLARE_FINAL_TYPE (LmNewJobDialog, lm_new_job_dialog, LM, NEW_JOB_DIALOG, AdwWindow)

GtkWidget  *lm_new_job_dialog_new          (GtkWindow      *parent,
                                            LmClient       *client);
JsonObject *lm_new_job_dialog_build_request (LmNewJobDialog *self,
                                            char          **problem);
const char *lm_new_job_dialog_get_estimate (LmNewJobDialog *self);

G_END_DECLS
