/* lm-job-page.h: one job's dashboard, pushed on top of the Jobs page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "lm-client.h"

G_BEGIN_DECLS

#define LM_TYPE_JOB_PAGE (lm_job_page_get_type ())

G_DECLARE_FINAL_TYPE (LmJobPage, lm_job_page, LM, JOB_PAGE, GtkWidget)

/* The brief's polling period for an active job's dashboard. */
#define LM_JOB_PAGE_POLL_SECONDS 60
/* Histories longer than this arrive thinned by the service (spikes kept);
 * everything after them arrives point by point. */
#define LM_JOB_PAGE_MAX_HISTORY_POINTS 20000

void        lm_job_page_set_client      (LmJobPage *self,
                                         LmClient  *client);
void        lm_job_page_load            (LmJobPage *self,
                                         gint64     id);
void        lm_job_page_refresh         (LmJobPage *self);
void        lm_job_page_set_poll_interval (LmJobPage *self,
                                         guint      seconds);
gint64      lm_job_page_get_job_id      (LmJobPage *self);
LpJob      *lm_job_page_get_job         (LmJobPage *self);
gboolean    lm_job_page_is_polling      (LmJobPage *self);
const char *lm_job_page_get_state       (LmJobPage *self);
const char *lm_job_page_get_percent_text (LmJobPage *self);
const char *lm_job_page_get_outcome_text (LmJobPage *self);
const char *lm_job_page_get_details_text (LmJobPage *self,
                                         const char *which);
GtkWidget  *lm_job_page_get_chart       (LmJobPage *self);
GtkWidget  *lm_job_page_get_stage_bar   (LmJobPage *self);
GtkWidget  *lm_job_page_get_guard_row   (LmJobPage *self);
GtkWidget  *lm_job_page_get_cost_tracker (LmJobPage *self);
GtkWidget  *lm_job_page_get_metric_row  (LmJobPage *self,
                                         guint      index);
gboolean    lm_job_page_is_two_columns  (LmJobPage *self);
void        lm_job_page_show_errors     (LmJobPage *self);
GtkWidget  *lm_job_page_get_event_log   (LmJobPage *self);
const char *lm_job_page_get_tab         (LmJobPage *self);
void        lm_job_page_set_tab         (LmJobPage  *self,
                                         const char *tab);
const char *lm_job_page_get_events_tab_title (LmJobPage *self);
const char *lm_job_page_get_announcement    (LmJobPage *self);

G_END_DECLS
