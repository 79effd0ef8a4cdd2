/* lp-page.h: one page of the jobs list or of a job's event log
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "lp-event.h"
#include "lp-job.h"

G_BEGIN_DECLS

typedef struct
{
  GPtrArray *jobs;                        /* LpJob */
  gint64     total;
  gint64     page;
  gint64     per_page;
  gint64     counts[LP_N_JOB_STATUSES];
  gint64     count_active;
  gint64     count_all;
} LpJobPage;

typedef struct
{
  GPtrArray *events;                      /* LpEvent, newest first */
  gint64     total;
  gint64     page;
  gint64     per_page;
} LpEventPage;

LpJobPage   *lp_job_page_new             (void);
void         lp_job_page_free            (LpJobPage    *page);
void         lp_job_page_to_json         (LpJobPage    *page,
                                          JsonBuilder  *builder);
LpJobPage   *lp_job_page_new_from_json   (JsonObject   *object,
                                          GError      **error);
gint64       lp_job_page_get_n_pages     (LpJobPage    *page);

LpEventPage *lp_event_page_new           (void);
void         lp_event_page_free          (LpEventPage  *page);
void         lp_event_page_to_json       (LpEventPage  *page,
                                          JsonBuilder  *builder);
LpEventPage *lp_event_page_new_from_json (JsonObject   *object,
                                          GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpJobPage, lp_job_page_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpEventPage, lp_event_page_free)

G_END_DECLS
