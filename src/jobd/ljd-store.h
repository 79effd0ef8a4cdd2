/* ljd-store.h: the service's sqlite database
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every call is synchronous and must run on the service's own thread: the
 * service owns its main context (in lora-jobd the process's, in the app a
 * thread of its own), so sqlite never blocks a user interface.
 */
#pragma once

#include <gio/gio.h>

#include "lp-event.h"
#include "lp-job.h"
#include "lp-metrics.h"

G_BEGIN_DECLS

#define LJD_TYPE_STORE (ljd_store_get_type ())

G_DECLARE_FINAL_TYPE (LjdStore, ljd_store, LJD, STORE, GObject)

#define LJD_STORE_SCHEMA_VERSION 4

typedef struct
{
  /* Statuses to include, as a bit per LpJobStatus; 0 means all. */
  guint        status_mask;
  /* Only jobs created at or after this time (µs); 0 means any. */
  gint64       created_since;
  /* Case-insensitive substring of the name; NULL or "" means any. */
  const char  *query;
  guint        offset;
  guint        limit;
} LjdJobFilter;

LjdStore   *ljd_store_open               (const char    *path,
                                          GError       **error);
const char *ljd_store_get_path           (LjdStore      *self);
gboolean    ljd_store_begin              (LjdStore      *self,
                                          GError       **error);
gboolean    ljd_store_commit             (LjdStore      *self,
                                          GError       **error);
void        ljd_store_rollback           (LjdStore      *self);

char       *ljd_random_hex               (gsize          n_bytes);

/* Users and tokens */
char       *ljd_store_add_token          (LjdStore      *self,
                                          const char    *user,
                                          GError       **error);
char       *ljd_store_lookup_token       (LjdStore      *self,
                                          const char    *token);
gboolean    ljd_store_revoke_tokens      (LjdStore      *self,
                                          const char    *user,
                                          GError       **error);

/* Jobs */
gboolean    ljd_store_insert_job         (LjdStore      *self,
                                          LpJob         *job,
                                          const char    *webhook_secret,
                                          GError       **error);
gboolean    ljd_store_update_job         (LjdStore      *self,
                                          LpJob         *job,
                                          GError       **error);
LpJob      *ljd_store_get_job            (LjdStore      *self,
                                          gint64         id,
                                          GError       **error);
GPtrArray  *ljd_store_list_jobs          (LjdStore      *self,
                                          const LjdJobFilter *filter,
                                          guint         *total,
                                          GError       **error);
gboolean    ljd_store_count_by_status    (LjdStore      *self,
                                          guint          counts[],
                                          GError       **error);
GPtrArray  *ljd_store_jobs_in_order      (LjdStore      *self,
                                          guint          status_mask,
                                          GError       **error);
gint64      ljd_store_queue_position     (LjdStore      *self,
                                          LpJob         *job);
gboolean    ljd_store_delete_job         (LjdStore      *self,
                                          gint64         id,
                                          GError       **error);
gboolean    ljd_store_set_guard         (LjdStore      *self,
                                          gint64         id,
                                          const LpGuard *guard,
                                          GError       **error);
char       *ljd_store_get_webhook_secret (LjdStore      *self,
                                          gint64         id);
char       *ljd_store_get_provider_state (LjdStore      *self,
                                          gint64         id);
gboolean    ljd_store_set_provider_state (LjdStore      *self,
                                          gint64         id,
                                          const char    *state,
                                          GError       **error);
gint64      ljd_store_count_jobs         (LjdStore      *self);

/* Events */
gint64      ljd_store_add_event          (LjdStore      *self,
                                          gint64         job_id,
                                          gint64         ts,
                                          LpEventType    type,
                                          const char    *message,
                                          JsonObject    *payload,
                                          const char    *source_id,
                                          gboolean      *duplicate,
                                          GError       **error);
gboolean    ljd_store_has_event_source   (LjdStore      *self,
                                          gint64         job_id,
                                          const char    *source_id);
GPtrArray  *ljd_store_list_events        (LjdStore      *self,
                                          gint64         job_id,
                                          guint          type_mask,
                                          gint64         after_id,
                                          guint          offset,
                                          guint          limit,
                                          gboolean       oldest_first,
                                          guint         *total,
                                          GError       **error);

/* Metrics */
gboolean    ljd_store_add_metric         (LjdStore      *self,
                                          gint64         job_id,
                                          LpSeries       series,
                                          gint64         step,
                                          double         value,
                                          gint64         ts,
                                          GError       **error);
gboolean    ljd_store_set_latest_epoch   (LjdStore      *self,
                                          gint64         job_id,
                                          double         epoch,
                                          gint64         ts,
                                          GError       **error);
LpMetrics  *ljd_store_get_metrics        (LjdStore      *self,
                                          gint64         job_id,
                                          gboolean       with_series,
                                          const gint64  *since_steps,
                                          guint          max_points,
                                          GError       **error);
gint64      ljd_store_count_metrics      (LjdStore      *self,
                                          gint64         job_id);

/* The newest points of a series whose values are all below a threshold,
 * back to the last point at or above it; n_points is 0 when the newest
 * point is not below it (or there is none). */
typedef struct
{
  guint   n_points;
  gint64  first_step;
  gint64  first_ts;
  gint64  last_step;
  gint64  last_ts;
  double  last_value;
} LjdLowRun;

gboolean    ljd_store_recent_metrics     (LjdStore      *self,
                                          gint64         job_id,
                                          LpSeries       series,
                                          guint          limit,
                                          GArray        *values,
                                          GArray        *steps,
                                          GError       **error);
gboolean    ljd_store_get_low_run        (LjdStore      *self,
                                          gint64         job_id,
                                          LpSeries       series,
                                          double         threshold,
                                          LjdLowRun     *run,
                                          GError       **error);

/* Early warnings: which kinds a job has raised and not yet re-armed. */
GStrv       ljd_store_list_raised_warnings (LjdStore    *self,
                                          gint64         job_id,
                                          GError       **error);
gboolean    ljd_store_raise_warning      (LjdStore      *self,
                                          gint64         job_id,
                                          const char    *kind,
                                          gint64         ts,
                                          GError       **error);
gboolean    ljd_store_rearm_warning      (LjdStore      *self,
                                          gint64         job_id,
                                          const char    *kind,
                                          GError       **error);

G_END_DECLS
