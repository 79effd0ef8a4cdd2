/* lm-jobs-table.h: filters, the jobs table and its pages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "lm-client.h"

G_BEGIN_DECLS

#define LM_TYPE_JOBS_TABLE (lm_jobs_table_get_type ())

G_DECLARE_FINAL_TYPE (LmJobsTable, lm_jobs_table, LM, JOBS_TABLE, GtkWidget)

#define LM_JOBS_PER_PAGE 25
#define LM_JOBS_POLL_SECONDS 60

LmClient   *lm_jobs_table_get_client    (LmJobsTable *self);
void        lm_jobs_table_set_client    (LmJobsTable *self,
                                         LmClient    *client);
const char *lm_jobs_table_get_tab       (LmJobsTable *self);
void        lm_jobs_table_refresh       (LmJobsTable *self);
GListModel *lm_jobs_table_get_jobs      (LmJobsTable *self);
guint       lm_jobs_table_get_page      (LmJobsTable *self);
guint       lm_jobs_table_get_n_pages   (LmJobsTable *self);
guint       lm_jobs_table_get_total     (LmJobsTable *self);
const char *lm_jobs_table_get_state     (LmJobsTable *self);
const char *lm_jobs_table_get_showing   (LmJobsTable *self);
const char *lm_jobs_table_get_page_text (LmJobsTable *self);
void        lm_jobs_table_focus_search  (LmJobsTable *self);
gboolean    lm_jobs_table_select_job    (LmJobsTable *self,
                                         gint64       id);

G_END_DECLS
