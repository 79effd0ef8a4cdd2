/* lp-types.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "lp-types.h"

/* The wire names are API: they never change and are never translated. */
static const char *job_status_names[] = {
  "queued", "provisioning", "training", "cancelling", "completed", "failed", "cancelled",
};
static const char *stage_kind_names[] = {
  "preprocessing", "model_loading", "training", "finalization",
};
static const char *stage_status_names[] = {
  "pending", "active", "completed", "failed",
};
static const char *event_type_names[] = {
  "status", "stage", "metrics", "warning", "error", "checkpoint",
};
static const char *cancel_reason_names[] = {
  "loss_not_decreasing", "cost_too_high", "wrong_configuration", "testing", "other",
};
static const char *series_names[] = {
  "train_loss", "val_loss", "learning_rate", "gpu_util",
};

G_STATIC_ASSERT (G_N_ELEMENTS (job_status_names) == LP_N_JOB_STATUSES);
G_STATIC_ASSERT (G_N_ELEMENTS (stage_kind_names) == LP_N_STAGES);
G_STATIC_ASSERT (G_N_ELEMENTS (event_type_names) == LP_N_EVENT_TYPES);
G_STATIC_ASSERT (G_N_ELEMENTS (cancel_reason_names) == LP_N_CANCEL_REASONS);
G_STATIC_ASSERT (G_N_ELEMENTS (series_names) == LP_N_SERIES);

static gboolean
lookup (const char  *str,
        const char **names,
        guint        n_names,
        guint       *out)
{
  if (str == NULL)
    return FALSE;

  for (guint i = 0; i < n_names; i++)
    {
      if (g_str_equal (str, names[i]))
        {
          *out = i;
          return TRUE;
        }
    }

  return FALSE;
}

#define DEFINE_NAMES(prefix, Type, names)                                   \
  const char *                                                              \
  prefix##_to_string (Type value)                                           \
  {                                                                         \
    g_return_val_if_fail ((guint) value < G_N_ELEMENTS (names), NULL);      \
    return names[value];                                                    \
  }                                                                         \
  gboolean                                                                  \
  prefix##_from_string (const char *str,                                    \
                        Type       *value)                                  \
  {                                                                         \
    guint i;                                                                \
    if (!lookup (str, names, G_N_ELEMENTS (names), &i))                     \
      return FALSE;                                                         \
    *value = (Type) i;                                                      \
    return TRUE;                                                            \
  }

DEFINE_NAMES (lp_job_status, LpJobStatus, job_status_names)
DEFINE_NAMES (lp_stage_kind, LpStageKind, stage_kind_names)
DEFINE_NAMES (lp_stage_status, LpStageStatus, stage_status_names)
DEFINE_NAMES (lp_event_type, LpEventType, event_type_names)
DEFINE_NAMES (lp_cancel_reason, LpCancelReason, cancel_reason_names)
DEFINE_NAMES (lp_series, LpSeries, series_names)

gboolean
lp_job_status_is_active (LpJobStatus status)
{
  return status == LP_JOB_STATUS_PROVISIONING ||
         status == LP_JOB_STATUS_TRAINING ||
         status == LP_JOB_STATUS_CANCELLING;
}

gboolean
lp_job_status_holds_slot (LpJobStatus status)
{
  return lp_job_status_is_active (status);
}

gboolean
lp_job_status_is_finished (LpJobStatus status)
{
  return status == LP_JOB_STATUS_COMPLETED ||
         status == LP_JOB_STATUS_FAILED ||
         status == LP_JOB_STATUS_CANCELLED;
}

const char *
lp_job_status_label (LpJobStatus status)
{
  switch (status)
    {
    case LP_JOB_STATUS_QUEUED: return _("Queued");
    case LP_JOB_STATUS_PROVISIONING: return _("Provisioning");
    case LP_JOB_STATUS_TRAINING: return _("Training");
    case LP_JOB_STATUS_CANCELLING: return _("Cancelling");
    case LP_JOB_STATUS_COMPLETED: return _("Completed");
    case LP_JOB_STATUS_FAILED: return _("Failed");
    case LP_JOB_STATUS_CANCELLED: return _("Cancelled");
    default: g_return_val_if_reached (NULL);
    }
}

const char *
lp_stage_kind_label (LpStageKind kind)
{
  switch (kind)
    {
    case LP_STAGE_PREPROCESSING: return _("Preprocessing");
    case LP_STAGE_MODEL_LOADING: return _("Model Loading");
    case LP_STAGE_TRAINING: return _("Training");
    case LP_STAGE_FINALIZATION: return _("Finalization");
    default: g_return_val_if_reached (NULL);
    }
}

const char *
lp_event_type_label (LpEventType type)
{
  switch (type)
    {
    case LP_EVENT_STATUS: return _("Status");
    case LP_EVENT_STAGE: return _("Status");
    case LP_EVENT_METRICS: return _("Metrics");
    case LP_EVENT_WARNING: return _("Warning");
    case LP_EVENT_ERROR: return _("Error");
    case LP_EVENT_CHECKPOINT: return _("Checkpoint");
    default: g_return_val_if_reached (NULL);
    }
}

const char *
lp_cancel_reason_label (LpCancelReason reason)
{
  switch (reason)
    {
    case LP_CANCEL_LOSS_NOT_DECREASING: return _("Loss not decreasing");
    case LP_CANCEL_COST_TOO_HIGH: return _("Cost too high");
    case LP_CANCEL_WRONG_CONFIGURATION: return _("Wrong configuration");
    case LP_CANCEL_TESTING: return _("Testing");
    case LP_CANCEL_OTHER: return _("Other");
    default: g_return_val_if_reached (NULL);
    }
}

char *
lp_iso8601_from_usec (gint64 usec)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);

  if (dt == NULL)
    return NULL;

  /* By hand: %Y writes the year 466 as “466”, which no ISO 8601 reader
   * (g_date_time_new_from_iso8601 () included) takes back. */
  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02dZ",
                          g_date_time_get_year (dt), g_date_time_get_month (dt),
                          g_date_time_get_day_of_month (dt), g_date_time_get_hour (dt),
                          g_date_time_get_minute (dt), g_date_time_get_second (dt));
}

gboolean
lp_usec_from_iso8601 (const char *str,
                      gint64     *usec)
{
  g_autoptr(GTimeZone) utc = NULL;
  g_autoptr(GDateTime) dt = NULL;

  if (str == NULL || *str == '\0')
    return FALSE;

  /* A time without a zone is taken as UTC, as the API promises UTC. */
  utc = g_time_zone_new_utc ();
  if (!(dt = g_date_time_new_from_iso8601 (str, utc)))
    return FALSE;

  *usec = g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt);
  return TRUE;
}
