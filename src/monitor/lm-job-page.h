/* lm-job-page.h: one job, pushed on top of the Jobs page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "lm-client.h"

G_BEGIN_DECLS

#define LM_TYPE_JOB_PAGE (lm_job_page_get_type ())

G_DECLARE_FINAL_TYPE (LmJobPage, lm_job_page, LM, JOB_PAGE, GtkWidget)

void        lm_job_page_set_client (LmJobPage *self,
                                    LmClient  *client);
void        lm_job_page_load       (LmJobPage *self,
                                    gint64     id);
gint64      lm_job_page_get_job_id (LmJobPage *self);
LpJob      *lm_job_page_get_job    (LmJobPage *self);
void        lm_job_page_refresh    (LmJobPage *self);

G_END_DECLS
