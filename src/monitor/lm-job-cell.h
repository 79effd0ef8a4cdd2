/* lm-job-cell.h: one cell of the jobs table
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "lp-job.h"

G_BEGIN_DECLS

typedef enum {
  LM_JOB_COLUMN_NAME,
  LM_JOB_COLUMN_STATUS,
  LM_JOB_COLUMN_CREATED_BY,
  LM_JOB_COLUMN_STARTED_AT,
  LM_JOB_COLUMN_DURATION,
  LM_JOB_COLUMN_COST,
  LM_JOB_COLUMN_ACTIONS,
} LmJobColumn;

#define LM_N_JOB_COLUMNS (LM_JOB_COLUMN_ACTIONS + 1)

#define LM_TYPE_JOB_CELL (lm_job_cell_get_type ())

G_DECLARE_FINAL_TYPE (LmJobCell, lm_job_cell, LM, JOB_CELL, GtkWidget)

GtkWidget  *lm_job_cell_new       (LmJobColumn  column);
void        lm_job_cell_set_job   (LmJobCell   *self,
                                   LpJob       *job);
LpJob      *lm_job_cell_get_job   (LmJobCell   *self);
void        lm_job_cell_set_user  (LmJobCell   *self,
                                   const char  *user);
const char *lm_job_cell_get_text  (LmJobCell   *self);
gboolean    lm_job_cell_popup_menu (LmJobCell  *self);
GMenuModel *lm_job_actions_menu   (LpJob       *job);

char       *lm_job_duration_text  (LpJob       *job,
                                   gint64       now);
char       *lm_job_cost_text      (LpJob       *job,
                                   gint64       now);
gint64      lm_job_elapsed_s      (LpJob       *job,
                                   gint64       now);

G_END_DECLS
