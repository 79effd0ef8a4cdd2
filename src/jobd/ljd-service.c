/* ljd-service.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "lp-calc.h"
#include "lp-format.h"
#include "lp-json.h"
#include "lp-page.h"
#include "lp-queue.h"
#include "lp-trainer-event.h"
#include "ljd-guard-keeper.h"
#include "ljd-service-private.h"
#include "ljd-timeout.h"

/* How long a cancel request waits for the provider before answering with
 * the job still "cancelling"; the provider's stop then finishes unobserved. */
#define CANCEL_REPLY_TIMEOUT_MS 10000
/* Event times further ahead than this are a trainer's clock, not ours. */
#define MAX_CLOCK_SKEW_USEC (5 * 60 * G_USEC_PER_SEC)

/* Early warnings. Durations are in the job's own time: real time for a
 * real trainer, simulated time (real × --time-scale) for the simulator. */
#define STALL_S               (10 * 60)  /* no metrics for this long while training */
#define DIVERGENCE_FACTOR     3.0        /* loss above this × its recent median */
#define DIVERGENCE_WINDOW     20         /* recent points the median is taken over */
#define DIVERGENCE_MIN_POINTS 5          /* fewer make no trustworthy median */
#define GPU_LOW_PERCENT       50.0
#define GPU_LOW_S             (5 * 60)   /* continuously below GPU_LOW_PERCENT */
#define WATCH_INTERVAL_S      30         /* how often running jobs are checked */

typedef enum {
  WARNING_STALLED,
  WARNING_DIVERGENCE,
  WARNING_GPU_LOW,
  WARNING_PROJECTED_OVER,
  WARNING_SPEND_OVER,
  N_WARNINGS
} WarningKind;

/* The "kind" of a warning event's payload and of its row in the store. */
static const char *warning_kinds[] = {
  "stalled", "divergence", "gpu_low", "projected_over", "spend_over",
};

G_STATIC_ASSERT (G_N_ELEMENTS (warning_kinds) == N_WARNINGS);

struct _LjdService
{
  GObject      parent_instance;

  LjdStore    *store;
  GHashTable  *providers;   /* name -> LjdProvider */
  char        *base_url;
  guint        slots;
  double       time_scale;

  /* Real time each training job's metrics last arrived, or its training
   * began (job id -> gint64), for the stall warning; a restart starts
   * counting afresh from resumed_at. */
  GHashTable  *metrics_arrivals;
  gint64       resumed_at;
  GSource     *watch;

  guint        scheduling : 1;
  guint        reschedule : 1;
  guint        shut_down : 1;
};

G_DEFINE_FINAL_TYPE (LjdService, ljd_service, G_TYPE_OBJECT)
G_DEFINE_QUARK (ljd-service-error-quark, ljd_service_error)

enum {
  PROP_0,
  PROP_STORE,
  PROP_SLOTS,
  PROP_TIME_SCALE,
  PROP_BASE_URL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void schedule   (LjdService *self);
static void stop_watch (LjdService *self);

static void
ljd_service_finalize (GObject *object)
{
  LjdService *self = (LjdService *) object;

  g_clear_object (&self->store);
  g_clear_pointer (&self->providers, g_hash_table_unref);
  g_clear_pointer (&self->base_url, g_free);
  g_clear_pointer (&self->metrics_arrivals, g_hash_table_unref);
  stop_watch (self);

  G_OBJECT_CLASS (ljd_service_parent_class)->finalize (object);
}

static void
ljd_service_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  LjdService *self = LJD_SERVICE (object);

  switch (prop_id)
    {
    case PROP_STORE: g_value_set_object (value, self->store); break;
    case PROP_SLOTS: g_value_set_uint (value, self->slots); break;
    case PROP_TIME_SCALE: g_value_set_double (value, self->time_scale); break;
    case PROP_BASE_URL: g_value_set_string (value, self->base_url); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ljd_service_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  LjdService *self = LJD_SERVICE (object);

  switch (prop_id)
    {
    case PROP_STORE: self->store = g_value_dup_object (value); break;
    case PROP_SLOTS: self->slots = g_value_get_uint (value); break;
    case PROP_TIME_SCALE: self->time_scale = g_value_get_double (value); break;
    case PROP_BASE_URL: ljd_service_set_base_url (self, g_value_get_string (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ljd_service_class_init (LjdServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ljd_service_finalize;
  object_class->get_property = ljd_service_get_property;
  object_class->set_property = ljd_service_set_property;

  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, LJD_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SLOTS] =
    g_param_spec_uint ("slots", NULL, NULL, 1, 1000, LJD_DEFAULT_SLOTS,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TIME_SCALE] =
    g_param_spec_double ("time-scale", NULL, NULL, 0.001, 1e6, 1.0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ljd_service_init (LjdService *self)
{
  self->providers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->metrics_arrivals = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  self->slots = LJD_DEFAULT_SLOTS;
  self->time_scale = 1.0;
}

LjdService *
ljd_service_new (LjdStore *store,
                 guint     slots,
                 double    time_scale)
{
  return g_object_new (LJD_TYPE_SERVICE,
                       "store", store,
                       "slots", MAX (1u, slots),
                       "time-scale", time_scale,
                       NULL);
}

LjdStore *
ljd_service_get_store (LjdService *self)
{
  g_return_val_if_fail (LJD_IS_SERVICE (self), NULL);
  return self->store;
}

guint
ljd_service_get_slots (LjdService *self)
{
  g_return_val_if_fail (LJD_IS_SERVICE (self), 0);
  return self->slots;
}

double
ljd_service_get_time_scale (LjdService *self)
{
  g_return_val_if_fail (LJD_IS_SERVICE (self), 1.0);
  return self->time_scale;
}

const char *
ljd_service_get_base_url (LjdService *self)
{
  g_return_val_if_fail (LJD_IS_SERVICE (self), NULL);
  return self->base_url;
}

void
ljd_service_set_base_url (LjdService *self,
                          const char *base_url)
{
  g_autofree char *trimmed = NULL;

  g_return_if_fail (LJD_IS_SERVICE (self));

  trimmed = g_strdup (base_url);
  if (trimmed != NULL && g_str_has_suffix (trimmed, "/"))
    trimmed[strlen (trimmed) - 1] = '\0';

  if (g_strcmp0 (trimmed, self->base_url) == 0)
    return;

  g_free (self->base_url);
  self->base_url = g_steal_pointer (&trimmed);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BASE_URL]);
}

char *
ljd_service_get_webhook_url (LjdService *self,
                             gint64      job_id)
{
  g_return_val_if_fail (LJD_IS_SERVICE (self), NULL);

  return g_strdup_printf ("%s/api/training/jobs/%" G_GINT64_FORMAT "/webhook",
                          self->base_url ? self->base_url : "", job_id);
}

void
ljd_service_add_provider (LjdService  *self,
                          LjdProvider *provider)
{
  g_return_if_fail (LJD_IS_SERVICE (self));
  g_return_if_fail (LJD_IS_PROVIDER (provider));

  g_hash_table_replace (self->providers,
                        g_strdup (ljd_provider_get_name (provider)),
                        g_object_ref (provider));
}

LjdProvider *
ljd_service_get_provider (LjdService *self,
                          const char *name)
{
  g_return_val_if_fail (LJD_IS_SERVICE (self), NULL);

  return name ? g_hash_table_lookup (self->providers, name) : NULL;
}

/* {"providers": [{"name": "local", "enabled": true}, …]}, by name: what
 * a client may offer for a new job. */
JsonNode *
ljd_service_list_providers (LjdService *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GList) names = NULL;

  g_return_val_if_fail (LJD_IS_SERVICE (self), NULL);

  names = g_list_sort (g_hash_table_get_keys (self->providers), (GCompareFunc) strcmp);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "providers");
  json_builder_begin_array (builder);
  for (const GList *l = names; l != NULL; l = l->next)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, l->data);
      json_builder_set_member_name (builder, "enabled");
      json_builder_add_boolean_value (builder,
                                      ljd_provider_is_enabled (g_hash_table_lookup (self->providers, l->data)));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static gboolean
fail_internal (GError **error,
               GError  *cause)
{
  g_set_error (error, LJD_SERVICE_ERROR, LJD_SERVICE_ERROR_INTERNAL,
               "%s", cause ? cause->message : _("Internal error"));
  return FALSE;
}

/* Errors from the store become 404 when something is missing, else 500. */
static void
propagate_store_error (GError **error,
                       GError  *cause)
{
  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_set_error_literal (error, LJD_SERVICE_ERROR, LJD_SERVICE_ERROR_NOT_FOUND, cause->message);
  else
    fail_internal (error, cause);
}

/* Sets a 400-class error and returns FALSE, for one-line checks that the
 * service and the providers' config parsers share. */
gboolean
ljd_service_invalid (GError    **error,
                     const char *format,
                     ...)
{
  va_list args;

  if (error == NULL)
    return FALSE;

  va_start (args, format);
  *error = g_error_new_valist (LJD_SERVICE_ERROR, LJD_SERVICE_ERROR_INVALID, format, args);
  va_end (args);

  return FALSE;
}

static gboolean
from_json_error (GError **error,
                 GError  *cause)
{
  return ljd_service_invalid (error, "%s", cause->message);
}

/* Derived numbers: computed on every read, so they are never stale. */

static gint64
usec_to_s (gint64 usec)
{
  return usec / G_USEC_PER_SEC;
}

/* Simulated work runs --time-scale times faster, so its expected duration
 * shrinks with it; every other provider's work takes real time. */
static gint64
estimated_duration_s (LjdService *self,
                      LpJob      *job)
{
  gint64 duration = lp_estimated_duration_s (lp_job_get_estimate_min (job),
                                             lp_job_get_estimate_max (job),
                                             lp_job_get_hourly_rate (job),
                                             lp_job_get_total_steps (job));

  if (g_strcmp0 (lp_job_get_provider (job), "simulator") == 0 && self->time_scale > 0)
    duration = (gint64) (duration / self->time_scale);

  return duration;
}

static gint64
remaining_for (LjdService *self,
               LpJob      *job,
               gint64      now)
{
  GPtrArray *stages = lp_job_get_stages (job);
  const LpStage *training = g_ptr_array_index (stages, LP_STAGE_TRAINING);
  gint64 remaining = -1;

  if (training->started_at != 0 && lp_job_get_current_step (job) > 0)
    remaining = lp_remaining_seconds (lp_job_get_current_step (job),
                                      lp_job_get_total_steps (job),
                                      usec_to_s (now - training->started_at));

  if (remaining < 0)
    {
      gint64 elapsed = lp_job_get_started_at (job) ? usec_to_s (now - lp_job_get_started_at (job)) : 0;
      remaining = MAX (0, estimated_duration_s (self, job) - elapsed);
    }

  return remaining;
}

/* A started, unfinished job's spend and projected cost at @now. */
static void
running_costs (LjdService *self,
               LpJob      *job,
               gint64      now,
               gint64     *elapsed,
               gint64     *remaining,
               double     *cost,
               double     *projected)
{
  double rate = lp_job_get_hourly_rate (job);

  *elapsed = MAX (0, usec_to_s (now - lp_job_get_started_at (job)));
  *remaining = remaining_for (self, job, now);
  *cost = lp_cost_for_elapsed (*elapsed, rate);
  *projected = lp_projected_cost (*cost, *remaining, rate);
}

static void
decorate (LjdService *self,
          LpJob      *job,
          gint64      now,
          gint64      queue_position)
{
  LpJobStatus status = lp_job_get_status (job);
  gint64 started = lp_job_get_started_at (job);
  gint64 finished = lp_job_get_finished_at (job);
  double rate = lp_job_get_hourly_rate (job);

  lp_job_set_queue_position (job, status == LP_JOB_STATUS_QUEUED ? queue_position : 0);

  if (lp_job_status_is_finished (status))
    {
      lp_job_set_elapsed_s (job, started ? MAX (0, usec_to_s (finished - started)) : 0);
      /* cost holds the final cost recorded when the job finished */
      lp_job_set_remaining_s (job, status == LP_JOB_STATUS_COMPLETED ? 0 : -1);
      lp_job_set_projected_cost (job, lp_job_get_cost (job));
    }
  else if (started != 0)
    {
      gint64 elapsed, remaining;
      double cost, projected;

      running_costs (self, job, now, &elapsed, &remaining, &cost, &projected);
      lp_job_set_elapsed_s (job, elapsed);
      lp_job_set_cost (job, cost);
      lp_job_set_remaining_s (job, remaining);
      lp_job_set_projected_cost (job, projected);
    }
  else
    {
      gint64 duration = estimated_duration_s (self, job);

      lp_job_set_elapsed_s (job, 0);
      lp_job_set_cost (job, 0);
      lp_job_set_remaining_s (job, duration);
      lp_job_set_projected_cost (job, lp_cost_for_elapsed (duration, rate));
    }

  /* Providers whose work waits elsewhere (Slurm's queue) say where. */
  if (lp_job_status_is_active (status))
    {
      LjdProvider *provider = ljd_service_get_provider (self, lp_job_get_provider (job));
      g_autofree char *detail = provider ? ljd_provider_describe (provider, lp_job_get_id (job)) : NULL;

      lp_job_set_status_detail (job, detail);
    }
}

void
ljd_service_job_to_json (LjdService  *self,
                         LpJob       *job,
                         JsonBuilder *builder)
{
  lp_job_to_json (job, builder);
}

static LpJob *
load_job (LjdService  *self,
          gint64       id,
          GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  LpJob *job = ljd_store_get_job (self->store, id, &local_error);

  if (job == NULL)
    propagate_store_error (error, local_error);

  return job;
}

LpJob *
ljd_service_get_job (LjdService  *self,
                     gint64       id,
                     GError     **error)
{
  g_autoptr(LpJob) job = NULL;

  g_return_val_if_fail (LJD_IS_SERVICE (self), NULL);

  if (!(job = load_job (self, id, error)))
    return NULL;

  decorate (self, job, g_get_real_time (), ljd_store_queue_position (self->store, job));
  return g_steal_pointer (&job);
}

/* Events the service writes itself */

/* Service events carry the time the thing happened: now, except when the
 * demo history records the past. */
static gboolean
record_at (LjdService  *self,
           LpJob       *job,
           gint64       when,
           LpEventType  type,
           const char  *message,
           JsonObject  *payload,
           GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (ljd_store_add_event (self->store, lp_job_get_id (job), when, type,
                           message, payload, NULL, NULL, &local_error) < 0)
    return fail_internal (error, local_error);

  return TRUE;
}

static gboolean
record (LjdService  *self,
        LpJob       *job,
        LpEventType  type,
        const char  *message,
        JsonObject  *payload,
        GError     **error)
{
  return record_at (self, job, g_get_real_time (), type, message, payload, error);
}

static JsonObject *
status_payload (LpJob      *job,
                const char *first_member,
                ...) G_GNUC_NULL_TERMINATED;

/* A payload with the job's new status and pairs of extra string members. */
static JsonObject *
status_payload (LpJob      *job,
                const char *first_member,
                ...)
{
  JsonObject *payload = json_object_new ();
  const char *member;
  va_list args;

  json_object_set_string_member (payload, "status", lp_job_status_to_string (lp_job_get_status (job)));
  json_object_set_string_member (payload, "source", "service");

  va_start (args, first_member);
  for (member = first_member; member != NULL; member = va_arg (args, const char *))
    {
      const char *value = va_arg (args, const char *);

      if (value != NULL)
        json_object_set_string_member (payload, member, value);
    }
  va_end (args);

  return payload;
}

static gboolean
save (LjdService  *self,
      LpJob       *job,
      GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!ljd_store_update_job (self->store, job, &local_error))
    return fail_internal (error, local_error);

  return TRUE;
}

static GPtrArray *
copy_stages (LpJob *job)
{
  return g_ptr_array_copy (lp_job_get_stages (job), (GCopyFunc) lp_stage_copy, NULL);
}

/* Moves @job to a finished status and fixes its final cost. */
static void
finish_job (LpJob       *job,
            LpJobStatus  status,
            gint64       when,
            const char  *error_message)
{
  g_autoptr(GPtrArray) stages = copy_stages (job);
  gint64 started = lp_job_get_started_at (job);

  if (started != 0 && when < started)
    when = started;

  lp_job_set_status (job, status);
  lp_job_set_finished_at (job, when);
  lp_job_set_cost (job, started ? lp_cost_for_elapsed (usec_to_s (when - started),
                                                       lp_job_get_hourly_rate (job))
                                : 0);

  if (status == LP_JOB_STATUS_FAILED)
    lp_job_set_error (job, error_message);

  for (guint i = 0; i < stages->len; i++)
    {
      LpStage *stage = g_ptr_array_index (stages, i);

      if (stage->status != LP_STAGE_STATUS_ACTIVE)
        continue;

      stage->finished_at = when;
      if (status == LP_JOB_STATUS_COMPLETED)
        stage->status = LP_STAGE_STATUS_COMPLETED;
      else if (status == LP_JOB_STATUS_FAILED)
        {
          stage->status = LP_STAGE_STATUS_FAILED;
          if (stage->error == NULL)
            stage->error = g_strdup (error_message);
        }
      else
        {
          /* A cancelled stage is neither done nor broken: it keeps its
           * status, stopped at the cancel time so its duration stops too,
           * and the job's status says why. */
          stage->finished_at = when;
        }
    }

  lp_job_set_stages (job, stages);
}

static void
forget_in_provider (LjdService *self,
                    LpJob      *job)
{
  LjdProvider *provider = ljd_service_get_provider (self, lp_job_get_provider (job));

  if (provider != NULL)
    ljd_provider_forget (provider, lp_job_get_id (job));
}

static char *
final_cost_message (LpJob *job)
{
  g_autofree char *cost = lp_format_money (lp_job_get_cost (job));

  switch (lp_job_get_status (job))
    {
    case LP_JOB_STATUS_COMPLETED:
      {
        g_autofree char *took = lp_format_duration (usec_to_s (lp_job_get_finished_at (job) -
                                                               lp_job_get_started_at (job)));
        return g_strdup_printf (_("Job completed in %s. Final cost: %s"), took, cost);
      }
    case LP_JOB_STATUS_FAILED:
      {
        g_autofree char *step = lp_format_count (lp_job_get_current_step (job));
        return g_strdup_printf (_("Job failed at step %s. Final cost: %s"), step, cost);
      }
    case LP_JOB_STATUS_CANCELLED:
    default:
      return g_strdup_printf (_("Job cancelled. Final cost: %s"), cost);
    }
}

static gboolean
record_final (LjdService  *self,
              LpJob       *job,
              GError     **error)
{
  g_autofree char *message = final_cost_message (job);
  g_autoptr(JsonObject) payload = status_payload (job, NULL, NULL);
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  json_object_set_double_member (payload, "final_cost",
                                 g_ascii_strtod (g_ascii_formatd (buf, sizeof buf, "%.2f",
                                                                  lp_job_get_cost (job)), NULL));
  if (lp_job_get_error (job) != NULL)
    json_object_set_string_member (payload, "error", lp_job_get_error (job));
  if (lp_job_get_cancel_reason (job) != NULL)
    json_object_set_string_member (payload, "reason", lp_job_get_cancel_reason (job));

  return record_at (self, job, lp_job_get_finished_at (job),
                    lp_job_get_status (job) == LP_JOB_STATUS_FAILED ? LP_EVENT_ERROR : LP_EVENT_STATUS,
                    message, payload, error);
}

/* Early warnings
 *
 * The service watches each running job for trouble its user would want to
 * hear about before the bill does: metrics that stop (stalled), a loss that
 * turns NaN or shoots up (divergence), an idle GPU (gpu_low), and a cost
 * that is heading, or has gone, over the estimate (projected_over,
 * spend_over). Loss and GPU are judged as metrics arrive, the stall by a
 * periodic watch, costs by both, since money keeps flowing when nothing is
 * reported. Each is one warning event per occurrence: the store remembers
 * which kinds are raised, so a restart does not repeat them, and a kind is
 * re-armed when its condition clears. Cost warnings never re-arm. */

/* Simulated work runs --time-scale times faster, so its durations shrink
 * with it, as its expected duration does; a real trainer's do not. */
static double
job_time_scale (LjdService *self,
                LpJob      *job)
{
  if (g_strcmp0 (lp_job_get_provider (job), "simulator") == 0 && self->time_scale > 0)
    return self->time_scale;

  return 1.0;
}

/* @seconds of the job's own time, in real µs. */
static gint64
job_time_to_usec (LjdService *self,
                  LpJob      *job,
                  double      seconds)
{
  return (gint64) (seconds * G_USEC_PER_SEC / job_time_scale (self, job));
}

/* Real µs, in whole seconds of the job's own time. */
static gint64
usec_to_job_time (LjdService *self,
                  LpJob      *job,
                  gint64      usec)
{
  return (gint64) round (usec * job_time_scale (self, job) / G_USEC_PER_SEC);
}

static guint
warning_bit (WarningKind kind)
{
  return 1u << kind;
}

/* The kinds raised for @job and not re-armed, one bit per WarningKind. */
static gboolean
load_raised (LjdService  *self,
             gint64       job_id,
             guint       *raised,
             GError     **error)
{
  g_auto(GStrv) kinds = NULL;
  g_autoptr(GError) local_error = NULL;

  *raised = 0;
  if (!(kinds = ljd_store_list_raised_warnings (self->store, job_id, &local_error)))
    return fail_internal (error, local_error);

  for (guint i = 0; kinds[i] != NULL; i++)
    for (guint k = 0; k < N_WARNINGS; k++)
      if (g_str_equal (kinds[i], warning_kinds[k]))
        *raised |= warning_bit (k);

  return TRUE;
}

static JsonObject *
warning_payload (WarningKind kind)
{
  JsonObject *payload = json_object_new ();

  json_object_set_string_member (payload, "kind", warning_kinds[kind]);
  json_object_set_string_member (payload, "source", "service");

  return payload;
}

/* Amounts are served rounded to cents, like every other amount. */
static double
to_cents (double usd)
{
  return round (usd * 100) / 100;
}

/* Records the warning event at @when and marks its kind raised, inside the
 * caller's transaction. */
static gboolean
raise_warning (LjdService   *self,
               LpJob        *job,
               guint        *raised,
               WarningKind   kind,
               gint64        when,
               const char   *message,
               JsonObject   *payload,
               GError      **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!ljd_store_raise_warning (self->store, lp_job_get_id (job), warning_kinds[kind],
                                when, &local_error))
    return fail_internal (error, local_error);

  if (!record_at (self, job, when, LP_EVENT_WARNING, message, payload, error))
    return FALSE;

  *raised |= warning_bit (kind);
  return TRUE;
}

/* The condition has cleared, so its next occurrence warns again. */
static gboolean
rearm_warning (LjdService   *self,
               LpJob        *job,
               guint        *raised,
               WarningKind   kind,
               GError      **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!(*raised & warning_bit (kind)))
    return TRUE;

  if (!ljd_store_rearm_warning (self->store, lp_job_get_id (job), warning_kinds[kind], &local_error))
    return fail_internal (error, local_error);

  *raised &= ~warning_bit (kind);
  return TRUE;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

/* A loss as trainers write it: JSON has no NaN or infinity. */
static void
set_loss_member (JsonObject *object,
                 const char *member,
                 double      value)
{
  if (isnan (value))
    json_object_set_string_member (object, member, "NaN");
  else if (isinf (value))
    json_object_set_string_member (object, member, value > 0 ? "Infinity" : "-Infinity");
  else
    json_object_set_double_member (object, member, value);
}

static char *
format_loss (double value)
{
  if (isnan (value))
    return g_strdup ("NaN");

  return g_strdup_printf ("%.4g", value);
}

/* Judges the newest training loss against the median of the points before
 * it. The newest by step is this event's unless a trainer resent an old
 * step, and judging the newest keeps a late retry from warning twice. */
static gboolean
check_divergence (LjdService  *self,
                  LpJob       *job,
                  gint64       when,
                  guint       *raised,
                  GError     **error)
{
  g_autoptr(GArray) values = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) steps = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) window = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonObject) payload = NULL;
  g_autofree char *message = NULL;
  g_autofree char *step_text = NULL;
  g_autofree char *loss_text = NULL;
  double latest, median = NAN;
  gboolean diverging;

  if (!ljd_store_recent_metrics (self->store, lp_job_get_id (job), LP_SERIES_TRAIN_LOSS,
                                 DIVERGENCE_WINDOW + 1, values, steps, &local_error))
    return fail_internal (error, local_error);

  if (values->len == 0)
    return TRUE;

  latest = g_array_index (values, double, 0);
  for (guint i = 1; i < values->len; i++)
    {
      double value = g_array_index (values, double, i);

      /* An earlier NaN says nothing about the loss's usual level. */
      if (isfinite (value))
        g_array_append_val (window, value);
    }

  if (window->len >= DIVERGENCE_MIN_POINTS)
    {
      guint n = window->len;

      g_array_sort (window, compare_doubles);
      median = n % 2 ? g_array_index (window, double, n / 2)
                     : (g_array_index (window, double, n / 2 - 1) + g_array_index (window, double, n / 2)) / 2;
    }

  diverging = !isfinite (latest) || (median > 0 && latest > DIVERGENCE_FACTOR * median);

  if (!diverging)
    return rearm_warning (self, job, raised, WARNING_DIVERGENCE, error);

  if (*raised & warning_bit (WARNING_DIVERGENCE))
    return TRUE;

  step_text = lp_format_count (g_array_index (steps, gint64, 0));
  loss_text = format_loss (latest);

  payload = warning_payload (WARNING_DIVERGENCE);
  json_object_set_int_member (payload, "step", g_array_index (steps, gint64, 0));
  set_loss_member (payload, "train_loss", latest);

  if (isfinite (latest))
    {
      g_autofree char *median_text = format_loss (median);

      json_object_set_double_member (payload, "median", median);
      json_object_set_double_member (payload, "threshold", DIVERGENCE_FACTOR * median);
      json_object_set_int_member (payload, "window", window->len);
      message = g_strdup_printf (_("Training loss jumped to %s at step %s, more than %g× its recent median of %s: training may be diverging"),
                                 loss_text, step_text, DIVERGENCE_FACTOR, median_text);
    }
  else
    {
      message = g_strdup_printf (_("Training loss is %s at step %s: training has diverged"),
                                 loss_text, step_text);
    }

  return raise_warning (self, job, raised, WARNING_DIVERGENCE, when, message, payload, error);
}

/* Judged from the points' own times, so a trainer that logs rarely still
 * needs five minutes of low readings, not two in a row. */
static gboolean
check_gpu_low (LjdService  *self,
               LpJob       *job,
               gint64       when,
               guint       *raised,
               GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonObject) payload = NULL;
  g_autofree char *message = NULL;
  g_autofree char *duration = NULL;
  g_autofree char *since = NULL;
  LjdLowRun run;
  gint64 low_s;

  if (!ljd_store_get_low_run (self->store, lp_job_get_id (job), LP_SERIES_GPU_UTIL,
                              GPU_LOW_PERCENT, &run, &local_error))
    return fail_internal (error, local_error);

  if (run.n_points == 0)
    return rearm_warning (self, job, raised, WARNING_GPU_LOW, error);

  if ((*raised & warning_bit (WARNING_GPU_LOW)) ||
      run.last_ts - run.first_ts < job_time_to_usec (self, job, GPU_LOW_S))
    return TRUE;

  low_s = usec_to_job_time (self, job, run.last_ts - run.first_ts);
  duration = lp_format_duration (low_s);
  since = lp_format_count (run.first_step);
  message = g_strdup_printf (_("GPU utilization has been below %.0f%% for %s, since step %s (now %.0f%%)"),
                             GPU_LOW_PERCENT, duration, since, run.last_value);

  payload = warning_payload (WARNING_GPU_LOW);
  json_object_set_int_member (payload, "step", run.last_step);
  json_object_set_double_member (payload, "gpu_util", run.last_value);
  json_object_set_int_member (payload, "since_step", run.first_step);
  json_object_set_int_member (payload, "low_s", low_s);
  json_object_set_double_member (payload, "threshold", GPU_LOW_PERCENT);
  json_object_set_int_member (payload, "threshold_s", GPU_LOW_S);

  return raise_warning (self, job, raised, WARNING_GPU_LOW, when, message, payload, error);
}

/* Which cost warnings @job is due at @now, with its spend and projected
 * cost in cents as the API would serve them. Pure arithmetic, so the watch
 * can ask every few seconds without touching the database. */
static guint
cost_warnings_due (LjdService *self,
                   LpJob      *job,
                   gint64      now,
                   guint       raised,
                   double     *cost,
                   double     *projected)
{
  double max = lp_job_get_estimate_max (job);
  guint due = 0;

  *cost = *projected = 0;

  if (!(max > 0) || lp_job_get_started_at (job) == 0)
    return 0;

  if (lp_job_status_is_finished (lp_job_get_status (job)))
    {
      /* The final cost, fixed when the job finished. */
      *cost = *projected = lp_job_get_cost (job);
    }
  else
    {
      gint64 elapsed, remaining;

      running_costs (self, job, now, &elapsed, &remaining, cost, projected);
    }

  *cost = to_cents (*cost);
  *projected = to_cents (*projected);

  /* The app's cost level uses the same rule (lp-calc.c). */
  if (lp_cost_over_estimate (*projected, max) && !(raised & warning_bit (WARNING_PROJECTED_OVER)))
    due |= warning_bit (WARNING_PROJECTED_OVER);
  if (lp_cost_over_estimate (*cost, max) && !(raised & warning_bit (WARNING_SPEND_OVER)))
    due |= warning_bit (WARNING_SPEND_OVER);

  return due;
}

static gboolean
raise_cost_warnings (LjdService  *self,
                     LpJob       *job,
                     guint        due,
                     double       cost,
                     double       projected,
                     gint64       when,
                     guint       *raised,
                     GError     **error)
{
  g_autofree char *range = lp_format_estimate_range (lp_job_get_estimate_min (job),
                                                     lp_job_get_estimate_max (job));

  /* Projected first: it passes the estimate before (or when) the spend does. */
  for (WarningKind kind = WARNING_PROJECTED_OVER; kind <= WARNING_SPEND_OVER; kind++)
    {
      g_autoptr(JsonObject) payload = NULL;
      g_autofree char *message = NULL;
      g_autofree char *amount = NULL;

      if (!(due & warning_bit (kind)))
        continue;

      payload = warning_payload (kind);
      json_object_set_double_member (payload, "cost", cost);
      json_object_set_double_member (payload, "projected_cost", projected);
      json_object_set_double_member (payload, "estimate_min", to_cents (lp_job_get_estimate_min (job)));
      json_object_set_double_member (payload, "estimate_max", to_cents (lp_job_get_estimate_max (job)));
      json_object_set_int_member (payload, "step", lp_job_get_current_step (job));

      if (kind == WARNING_PROJECTED_OVER)
        {
          amount = lp_format_money (projected);
          /* Translators: e.g. "Projected cost $58.20 exceeds the estimate of $45-55" */
          message = g_strdup_printf (_("Projected cost %s exceeds the estimate of %s"), amount, range);
        }
      else
        {
          amount = lp_format_money (cost);
          /* Translators: e.g. "Spend $55.10 exceeds the estimate of $45-55" */
          message = g_strdup_printf (_("Spend %s exceeds the estimate of %s"), amount, range);
        }

      if (!raise_warning (self, job, raised, kind, when, message, payload, error))
        return FALSE;
    }

  return TRUE;
}

static gboolean
check_costs (LjdService  *self,
             LpJob       *job,
             gint64       when,
             guint       *raised,
             GError     **error)
{
  double cost, projected;
  guint due = cost_warnings_due (self, job, when, *raised, &cost, &projected);

  return due == 0 || raise_cost_warnings (self, job, due, cost, projected, when, raised, error);
}

/* Stalls are watched while the job trains and its training stage runs. */
static gboolean
is_training (LpJob *job)
{
  const LpStage *training = g_ptr_array_index (lp_job_get_stages (job), LP_STAGE_TRAINING);

  return lp_job_get_status (job) == LP_JOB_STATUS_TRAINING &&
         training->status == LP_STAGE_STATUS_ACTIVE;
}

/* Starts the job's stall clock at the time of arrival: the times in the
 * events are the trainer's clock, which need not agree with ours. */
static void
note_arrival (LjdService *self,
              gint64      job_id)
{
  gint64 now = g_get_real_time ();

  g_hash_table_replace (self->metrics_arrivals, g_memdup2 (&job_id, sizeof job_id),
                        g_memdup2 (&now, sizeof now));
}

/* Metrics came: the job is not stalled, and its loss and GPU are judged. */
static gboolean
check_metrics (LjdService            *self,
               LpJob                 *job,
               const LpTrainerEvent  *event,
               gint64                 ts,
               guint                 *raised,
               GError               **error)
{
  note_arrival (self, lp_job_get_id (job));

  if (!rearm_warning (self, job, raised, WARNING_STALLED, error))
    return FALSE;

  if ((event->metrics_present & (1u << LP_SERIES_TRAIN_LOSS)) &&
      !check_divergence (self, job, ts, raised, error))
    return FALSE;

  if ((event->metrics_present & (1u << LP_SERIES_GPU_UTIL)) &&
      !check_gpu_low (self, job, ts, raised, error))
    return FALSE;

  return TRUE;
}

/* The watch's look at one running job: a stall, and the cost, which grows
 * whether or not anything is reported. */
static gboolean
watch_job (LjdService  *self,
           LpJob       *job,
           gint64       now,
           GError     **error)
{
  gint64 id = lp_job_get_id (job);
  g_autoptr(GError) local_error = NULL;
  gint64 silent = 0;
  gboolean stalled = FALSE;
  double cost, projected;
  guint raised, due;

  if (!load_raised (self, id, &raised, error))
    return FALSE;

  if (is_training (job) && !(raised & warning_bit (WARNING_STALLED)))
    {
      const gint64 *arrival = g_hash_table_lookup (self->metrics_arrivals, &id);
      /* The service cannot know what arrived while it was down, so a
       * restart gives every job the full delay again. */
      gint64 since = self->resumed_at;

      if (arrival != NULL)
        since = MAX (since, *arrival);

      silent = now - since;
      stalled = silent >= job_time_to_usec (self, job, STALL_S);
    }

  due = cost_warnings_due (self, job, now, raised, &cost, &projected);

  if (!stalled && due == 0)
    return TRUE;

  if (!ljd_store_begin (self->store, &local_error))
    return fail_internal (error, local_error);

  if (stalled)
    {
      g_autoptr(JsonObject) payload = warning_payload (WARNING_STALLED);
      g_autofree char *duration = NULL;
      g_autofree char *step = NULL;
      g_autofree char *message = NULL;
      gint64 silent_s = usec_to_job_time (self, job, silent);

      duration = lp_format_duration (silent_s);
      step = lp_format_count (lp_job_get_current_step (job));
      if (lp_job_get_current_step (job) > 0)
        message = g_strdup_printf (_("No metrics for %s, since step %s: training may have stalled"),
                                   duration, step);
      else
        message = g_strdup_printf (_("No metrics for %s since training started: training may have stalled"),
                                   duration);

      json_object_set_int_member (payload, "step", lp_job_get_current_step (job));
      json_object_set_int_member (payload, "silent_s", silent_s);
      json_object_set_int_member (payload, "threshold_s", STALL_S);

      if (!raise_warning (self, job, &raised, WARNING_STALLED, now, message, payload, error))
        goto fail;
    }

  if (due != 0 && !raise_cost_warnings (self, job, due, cost, projected, now, &raised, error))
    goto fail;

  if (!ljd_store_commit (self->store, &local_error))
    {
      fail_internal (error, local_error);
      goto fail;
    }

  return TRUE;

fail:
  ljd_store_rollback (self->store);
  return FALSE;
}

static gboolean
job_in (GPtrArray *jobs,
        gint64     id)
{
  for (guint i = 0; i < jobs->len; i++)
    if (lp_job_get_id (g_ptr_array_index (jobs, i)) == id)
      return TRUE;

  return FALSE;
}

static gboolean
watch_cb (gpointer user_data)
{
  LjdService *self = user_data;
  g_autoptr(GPtrArray) running = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time ();
  GHashTableIter iter;
  gpointer key;

  running = ljd_store_jobs_in_order (self->store,
                                     (1u << LP_JOB_STATUS_PROVISIONING) | (1u << LP_JOB_STATUS_TRAINING),
                                     &error);
  if (running == NULL)
    {
      g_warning ("Cannot check running jobs for warnings: %s", error->message);
      return G_SOURCE_CONTINUE;
    }

  for (guint i = 0; i < running->len; i++)
    {
      LpJob *job = g_ptr_array_index (running, i);

      if (!watch_job (self, job, now, &error))
        {
          g_warning ("Cannot check job %" G_GINT64_FORMAT " for warnings: %s",
                     lp_job_get_id (job), error->message);
          g_clear_error (&error);
        }

      if (!ljd_guard_keeper_watch (self, job, now, &error))
        {
          g_warning ("Cannot check the guard of job %" G_GINT64_FORMAT ": %s",
                     lp_job_get_id (job), error->message);
          g_clear_error (&error);
        }
    }

  /* Finished jobs need no stall clock any more. */
  g_hash_table_iter_init (&iter, self->metrics_arrivals);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!job_in (running, *(gint64 *) key))
      g_hash_table_iter_remove (&iter);

  return G_SOURCE_CONTINUE;
}

/* Hooks for the guard keeper (ljd-service-private.h) */

void
ljd_service_costs_at (LjdService *self,
                      LpJob      *job,
                      gint64      now,
                      double     *cost,
                      double     *projected)
{
  gint64 elapsed, remaining;

  *cost = *projected = 0;
  if (lp_job_get_started_at (job) == 0)
    return;

  running_costs (self, job, now, &elapsed, &remaining, cost, projected);
  *cost = to_cents (*cost);
  *projected = to_cents (*projected);
}

/* The job's own seconds without metrics while it trains, as the stall
 * warning counts them; 0 when it does not train. */
gint64
ljd_service_silent_s (LjdService *self,
                      LpJob      *job,
                      gint64      now)
{
  gint64 id = lp_job_get_id (job);
  const gint64 *arrival;
  gint64 since = self->resumed_at;

  if (!is_training (job))
    return 0;

  if ((arrival = g_hash_table_lookup (self->metrics_arrivals, &id)) != NULL)
    since = MAX (since, *arrival);

  return usec_to_job_time (self, job, MAX (0, now - since));
}

gint64
ljd_service_usec_to_job_time (LjdService *self,
                              LpJob      *job,
                              gint64      usec)
{
  return usec_to_job_time (self, job, usec);
}

gboolean
ljd_service_record_event (LjdService   *self,
                          LpJob        *job,
                          gint64        when,
                          LpEventType   type,
                          const char   *message,
                          JsonObject   *payload,
                          GError      **error)
{
  return record_at (self, job, when, type, message, payload, error);
}

gboolean
ljd_service_is_diverging (LjdService  *self,
                          LpJob       *job,
                          gboolean    *diverging,
                          GError     **error)
{
  guint raised;

  if (!load_raised (self, lp_job_get_id (job), &raised, error))
    return FALSE;

  *diverging = (raised & warning_bit (WARNING_DIVERGENCE)) != 0;
  return TRUE;
}

static void
start_watch (LjdService *self)
{
  /* Often enough to see a stall within a twentieth of its delay, also
   * for simulated work at --time-scale; a few cheap queries per job. */
  guint interval_ms = (guint) CLAMP (WATCH_INTERVAL_S * 1000.0 / self->time_scale,
                                     100.0, WATCH_INTERVAL_S * 1000.0);

  self->resumed_at = g_get_real_time ();
  if (self->watch != NULL)
    return;

  self->watch = ljd_timeout_attach (g_main_context_get_thread_default (), interval_ms,
                                    watch_cb, self, NULL);
  g_source_set_static_name (self->watch, "[lora-jobd] early warnings");
}

static void
stop_watch (LjdService *self)
{
  ljd_source_clear (&self->watch);
}

/* Fails a job the service could not run; used by providers and restarts. */
static void
fail_job_now (LjdService *self,
              LpJob      *job,
              const char *message)
{
  g_autoptr(GError) error = NULL;

  if (lp_job_status_is_finished (lp_job_get_status (job)))
    return;

  finish_job (job, LP_JOB_STATUS_FAILED, g_get_real_time (), message);

  if (!ljd_store_begin (self->store, &error) ||
      !save (self, job, &error) ||
      !record_final (self, job, &error) ||
      !ljd_store_commit (self->store, &error))
    {
      ljd_store_rollback (self->store);
      g_warning ("Cannot record the failure of job %" G_GINT64_FORMAT ": %s",
                 lp_job_get_id (job), error->message);
      return;
    }

  forget_in_provider (self, job);
}

void
ljd_service_provider_failed (LjdService *self,
                             gint64      job_id,
                             const char *message)
{
  g_autoptr(LpJob) job = NULL;

  g_return_if_fail (LJD_IS_SERVICE (self));

  if (self->shut_down || !(job = ljd_store_get_job (self->store, job_id, NULL)))
    return;

  fail_job_now (self, job, message);
  schedule (self);
}

/* The work of a provider that does not use slots started at @started_at
 * (Slurm's start time, not the submission): the cost counts from then,
 * and the job trains. @message and @payload make its status event. */
gboolean
ljd_service_provider_running (LjdService  *self,
                              gint64       job_id,
                              gint64       started_at,
                              const char  *message,
                              JsonObject  *payload,
                              GError     **error)
{
  g_autoptr(LpJob) job = NULL;
  g_autoptr(JsonObject) event_payload = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (LJD_IS_SERVICE (self), FALSE);

  if (!(job = load_job (self, job_id, error)))
    return FALSE;

  if (!lp_job_status_is_active (lp_job_get_status (job)) ||
      (lp_job_get_status (job) == LP_JOB_STATUS_CANCELLING && lp_job_get_started_at (job) != 0))
    return TRUE;

  lp_job_set_started_at (job, started_at);
  if (lp_job_get_status (job) == LP_JOB_STATUS_PROVISIONING)
    lp_job_set_status (job, LP_JOB_STATUS_TRAINING);

  event_payload = status_payload (job, NULL, NULL);
  if (payload != NULL)
    {
      g_autoptr(GList) members = json_object_get_members (payload);

      for (const GList *l = members; l; l = l->next)
        json_object_set_member (event_payload, l->data,
                                json_node_copy (json_object_get_member (payload, l->data)));
    }

  if (!ljd_store_begin (self->store, &local_error))
    return fail_internal (error, local_error);
  if (!save (self, job, error) ||
      !record (self, job, LP_EVENT_STATUS, message, event_payload, error))
    {
      ljd_store_rollback (self->store);
      return FALSE;
    }
  if (!ljd_store_commit (self->store, &local_error))
    return fail_internal (error, local_error);

  return TRUE;
}

/* The queue */

/* Moves a queued job to provisioning at @when and records it. The cost
 * counts from @when, unless the work waits in a scheduler of its own
 * (!@starts_clock): then from the start its provider reports
 * (ljd_service_provider_running()). */
static gboolean
mark_provisioning (LjdService  *self,
                   LpJob       *job,
                   gint64       when,
                   gboolean     starts_clock,
                   GError     **error)
{
  g_autofree char *message = NULL;
  g_autoptr(JsonObject) payload = NULL;
  g_autoptr(GError) local_error = NULL;

  lp_job_set_status (job, LP_JOB_STATUS_PROVISIONING);
  lp_job_set_started_at (job, starts_clock ? when : 0);

  message = g_strdup_printf (_("Provisioning GPU: %s (%s)"),
                             lp_job_get_gpu_type (job),
                             g_str_equal (lp_job_get_pricing (job), "spot") ? _("spot") : _("on-demand"));
  payload = status_payload (job, "provider", lp_job_get_provider (job),
                            "gpu_type", lp_job_get_gpu_type (job), NULL);

  if (!ljd_store_begin (self->store, &local_error))
    return fail_internal (error, local_error);
  if (!save (self, job, error) ||
      !record_at (self, job, when, LP_EVENT_STATUS, message, payload, error))
    {
      ljd_store_rollback (self->store);
      return FALSE;
    }
  if (!ljd_store_commit (self->store, &local_error))
    return fail_internal (error, local_error);

  return TRUE;
}

static gboolean
start_job (LjdService  *self,
           LpJob       *job,
           GError     **error)
{
  LjdProvider *provider = ljd_service_get_provider (self, lp_job_get_provider (job));
  g_autofree char *secret = NULL;

  if (provider == NULL)
    {
      g_autofree char *why = g_strdup_printf (_("The provider “%s” is not available on this service"),
                                              lp_job_get_provider (job));
      fail_job_now (self, job, why);
      return TRUE;
    }

  if (!mark_provisioning (self, job, g_get_real_time (), ljd_provider_uses_slots (provider), error))
    return FALSE;

  secret = ljd_store_get_webhook_secret (self->store, lp_job_get_id (job));
  ljd_provider_start (provider, job, secret, FALSE);

  return TRUE;
}

gboolean
ljd_service_record_start (LjdService  *self,
                          gint64       id,
                          gint64       when,
                          GError     **error)
{
  g_autoptr(LpJob) job = NULL;

  g_return_val_if_fail (LJD_IS_SERVICE (self), FALSE);

  if (!(job = load_job (self, id, error)))
    return FALSE;

  return mark_provisioning (self, job, when, TRUE, error);
}

/* Whether @job takes one of the slots: those guard the GPUs the service
 * rents or runs itself; a cluster's scheduler (Slurm) queues its own. A
 * job whose provider is gone counts, as it did. */
static gboolean
job_uses_slot (LjdService *self,
               LpJob      *job)
{
  LjdProvider *provider = ljd_service_get_provider (self, lp_job_get_provider (job));

  return provider == NULL || ljd_provider_uses_slots (provider);
}

/* Fills free slots with the oldest queued jobs, and starts every job of
 * a provider that needs none. It runs synchronously
 * inside whatever freed the slot, so the request that freed it answers with
 * the queue already moved on. */
static void
schedule (LjdService *self)
{
  if (self->shut_down)
    return;

  if (self->scheduling)
    {
      self->reschedule = TRUE;
      return;
    }

  self->scheduling = TRUE;

  do
    {
      g_autoptr(GPtrArray) running = NULL;
      g_autoptr(GPtrArray) queued = NULL;
      g_autoptr(GError) error = NULL;
      guint used;

      self->reschedule = FALSE;

      running = ljd_store_jobs_in_order (self->store,
                                         LP_ACTIVE_STATUS_MASK,
                                         &error);
      if (running == NULL)
        {
          g_warning ("Cannot schedule: %s", error->message);
          break;
        }

      used = 0;
      for (guint i = 0; i < running->len; i++)
        if (job_uses_slot (self, g_ptr_array_index (running, i)))
          used++;

      if (!(queued = ljd_store_jobs_in_order (self->store, 1u << LP_JOB_STATUS_QUEUED, &error)))
        {
          g_warning ("Cannot schedule: %s", error->message);
          break;
        }

      for (guint i = 0; i < queued->len; i++)
        {
          LpJob *job = g_ptr_array_index (queued, i);
          gboolean slotted = job_uses_slot (self, job);

          /* A job for a cluster's own scheduler waits there, not here. */
          if (slotted && used >= self->slots)
            continue;

          if (!start_job (self, job, &error))
            {
              g_warning ("Cannot start job %" G_GINT64_FORMAT ": %s",
                         lp_job_get_id (job), error->message);
              g_clear_error (&error);
              continue;
            }

          if (slotted && lp_job_status_holds_slot (lp_job_get_status (job)))
            used++;
        }
    }
  while (self->reschedule);

  self->scheduling = FALSE;
}

static void finish_cancel (LjdService *self,
                           gint64      job_id,
                           GError     *provider_error);
static void cancel_job    (LjdService  *self,
                           GTask       *task,
                           LpJob       *job,
                           const char  *reason,
                           const char  *user);

void
ljd_service_resume (LjdService *self)
{
  g_autoptr(GPtrArray) running = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (LJD_IS_SERVICE (self));

  running = ljd_store_jobs_in_order (self->store,
                                     LP_ACTIVE_STATUS_MASK,
                                     &error);
  if (running == NULL)
    {
      g_warning ("Cannot resume running jobs: %s", error->message);
      return;
    }

  for (guint i = 0; i < running->len; i++)
    {
      LpJob *job = g_ptr_array_index (running, i);
      LjdProvider *provider = ljd_service_get_provider (self, lp_job_get_provider (job));
      g_autofree char *secret = NULL;

      if (lp_job_get_status (job) == LP_JOB_STATUS_CANCELLING)
        {
          /* The service stopped mid-cancel: whatever the provider did,
           * the user asked for the job to end, so end it. */
          if (provider != NULL)
            ljd_provider_forget (provider, lp_job_get_id (job));
          finish_cancel (self, lp_job_get_id (job), NULL);
          continue;
        }

      if (provider == NULL)
        {
          g_autofree char *why =
            g_strdup_printf (_("The service restarted and the provider “%s” is no longer available"),
                             lp_job_get_provider (job));
          fail_job_now (self, job, why);
          continue;
        }

      secret = ljd_store_get_webhook_secret (self->store, lp_job_get_id (job));
      ljd_provider_start (provider, job, secret, TRUE);
    }

  schedule (self);
  start_watch (self);
}

void
ljd_service_shutdown (LjdService *self)
{
  g_return_if_fail (LJD_IS_SERVICE (self));
  self->shut_down = TRUE;
  stop_watch (self);
}

char *
ljd_service_authenticate (LjdService *self,
                          const char *token)
{
  g_return_val_if_fail (LJD_IS_SERVICE (self), NULL);
  return ljd_store_lookup_token (self->store, token);
}

/* Creating jobs */

static gboolean
get_bounded_string (JsonObject   *request,
                    const char   *member,
                    gboolean      required,
                    glong         max_chars,
                    const char  **value,
                    GError      **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!lp_json_get_string (request, member, required, value, &local_error))
    return from_json_error (error, local_error);

  if (*value == NULL)
    return TRUE;

  if (g_utf8_strlen (*value, -1) > max_chars || **value == '\0')
    return ljd_service_invalid (error, _("“%s” must be 1 to %ld characters"), member, max_chars);

  return TRUE;
}

static gboolean
get_ranged_int (JsonObject  *request,
                const char  *member,
                gint64       min,
                gint64       max,
                gint64      *value,
                GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  /* A literal too large for an integer (-99999999999999999999) is refused
   * with this range too, never taken as something else. */
  if (!lp_json_get_int_range (request, member, TRUE, min, max, value, &local_error))
    return from_json_error (error, local_error);

  return TRUE;
}

static gboolean
get_money (JsonObject  *request,
           const char  *member,
           gboolean     required,
           double      *value,
           GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  *value = 0;
  if (!lp_json_get_double (request, member, required, value, &local_error))
    return from_json_error (error, local_error);

  if (json_object_has_member (request, member) &&
      !json_object_get_null_member (request, member) &&
      !(*value > 0 && *value <= 1e7))
    return ljd_service_invalid (error, _("“%s” must be a positive amount of US dollars"), member);

  return TRUE;
}

static gboolean
one_of (const char  *value,
        const char  *member,
        const char **allowed,
        GError     **error)
{
  g_autofree char *list = g_strjoinv (", ", (char **) allowed);

  if (g_strv_contains (allowed, value))
    return TRUE;

  return ljd_service_invalid (error, _("“%s” must be one of %s"), member, list);
}

/* A misspelt member ("total_step") would otherwise be dropped silently and
 * its default used in its place. */
static gboolean
only_known_members (JsonObject  *object,
                    const char **known,
                    GError     **error)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (known, l->data))
      {
        g_autofree char *list = g_strjoinv (", ", (char **) known);

        return ljd_service_invalid (error, _("Unknown member “%s”; a job takes %s"),
                                    (const char *) l->data, list);
      }

  return TRUE;
}

LpJob *
ljd_service_create_job (LjdService   *self,
                        JsonObject   *request,
                        const char   *user,
                        char        **webhook_secret,
                        GError      **error)
{
  static const char *pricings[] = { "spot", "on_demand", NULL };
  static const char *presets[] = { "fast", "balanced", "quality", NULL };
  static const char *members[] = {
    "name", "total_steps", "epochs", "gpu_type", "pricing", "hourly_rate", "estimate_min",
    "estimate_max", "preset", "provider", "config", "guard", NULL
  };
  const char *name = NULL, *gpu_type = NULL, *pricing = NULL;
  const char *preset = "balanced", *provider_name = "simulator";
  gint64 total_steps = 0, epochs = 0;
  double rate = 0, estimate_min = 0, estimate_max = 0;
  JsonObject *config = NULL;
  g_autoptr(JsonObject) empty_config = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(LpJob) job = NULL;
  gint64 position;
  g_autofree char *secret = NULL;
  g_autofree char *message = NULL;
  g_autoptr(JsonObject) payload = NULL;
  g_autoptr(LpGuard) guard = NULL;
  LjdProvider *provider;

  g_return_val_if_fail (LJD_IS_SERVICE (self), NULL);

  if (!only_known_members (request, members, error) ||
      !get_bounded_string (request, "name", TRUE, 200, &name, error) ||
      !get_ranged_int (request, "total_steps", 1, 100000000, &total_steps, error) ||
      !get_ranged_int (request, "epochs", 1, 10000, &epochs, error) ||
      !get_bounded_string (request, "gpu_type", TRUE, 100, &gpu_type, error) ||
      !get_bounded_string (request, "pricing", TRUE, 20, &pricing, error) ||
      !one_of (pricing, "pricing", pricings, error) ||
      !get_money (request, "hourly_rate", TRUE, &rate, error) ||
      !get_money (request, "estimate_min", FALSE, &estimate_min, error) ||
      !get_money (request, "estimate_max", FALSE, &estimate_max, error) ||
      !get_bounded_string (request, "preset", FALSE, 20, &preset, error) ||
      !one_of (preset, "preset", presets, error) ||
      !get_bounded_string (request, "provider", FALSE, 50, &provider_name, error))
    return NULL;

  {
    g_autofree char *stripped = g_strstrip (g_strdup (name));

    if (stripped[0] == '\0')
      {
        ljd_service_invalid (error, _("“name” must not be blank"));
        return NULL;
      }
  }

  if ((estimate_min > 0) != (estimate_max > 0))
    {
      ljd_service_invalid (error, _("Give both “estimate_min” and “estimate_max”, or neither"));
      return NULL;
    }
  if (estimate_min > estimate_max)
    {
      ljd_service_invalid (error, _("“estimate_min” must not be more than “estimate_max”"));
      return NULL;
    }

  if (!lp_json_get_object (request, "config", FALSE, &config, &local_error))
    {
      from_json_error (error, local_error);
      return NULL;
    }
  if (config == NULL)
    config = empty_config = json_object_new ();

  /* The config travels with the job in every list; keep it a config. */
  {
    g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), config);
    g_autofree char *text = lp_json_to_string (node, FALSE);

    if (strlen (text) > LJD_MAX_CONFIG_SIZE)
      {
        ljd_service_invalid (error, _("“config” must be at most %d bytes of JSON"), LJD_MAX_CONFIG_SIZE);
        return NULL;
      }
  }

  if (!ljd_guard_keeper_parse (request, estimate_max, user, &guard, error))
    return NULL;

  if (!(provider = ljd_service_get_provider (self, provider_name)))
    {
      g_autoptr(GList) names = g_hash_table_get_keys (self->providers);
      g_autoptr(GString) list = g_string_new (NULL);

      names = g_list_sort (names, (GCompareFunc) g_strcmp0);
      for (const GList *l = names; l; l = l->next)
        g_string_append_printf (list, "%s%s", list->len ? ", " : "", (const char *) l->data);

      ljd_service_invalid (error, _("“provider” must be one of %s"), list->str);
      return NULL;
    }

  job = lp_job_new ();
  lp_job_set_name (job, name);
  lp_job_set_status (job, LP_JOB_STATUS_QUEUED);
  lp_job_set_created_by (job, user);
  lp_job_set_created_at (job, g_get_real_time ());
  lp_job_set_total_steps (job, total_steps);
  lp_job_set_total_epochs (job, epochs);
  lp_job_set_epoch (job, 1);
  lp_job_set_gpu_type (job, gpu_type);
  lp_job_set_pricing (job, pricing);
  lp_job_set_hourly_rate (job, rate);
  lp_job_set_estimate (job, estimate_min, estimate_max);
  lp_job_set_preset (job, preset);
  lp_job_set_provider (job, provider_name);
  lp_job_set_config (job, config);

  /* Validated on the whole job: a config may be wrong only for its job. */
  if (!ljd_provider_validate_config (provider, job, &local_error))
    {
      /* A provider that takes no job at all (one the operator left off)
       * says why in its own words; the config is not to blame. */
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
        ljd_service_invalid (error, "%s", local_error->message);
      else
        ljd_service_invalid (error, _("“config” is not valid for the %s provider: %s"),
                             provider_name, local_error->message);
      return NULL;
    }

  secret = ljd_random_hex (32);

  if (!ljd_store_begin (self->store, &local_error) ||
      !ljd_store_insert_job (self->store, job, secret, &local_error) ||
      (guard != NULL && !ljd_store_set_guard (self->store, lp_job_get_id (job), guard, &local_error)))
    {
      ljd_store_rollback (self->store);
      fail_internal (error, local_error);
      return NULL;
    }

  position = ljd_store_queue_position (self->store, job);
  message = g_strdup_printf (_("Job queued at position %lld"), (long long) position);
  payload = status_payload (job, "created_by", user, NULL);
  json_object_set_int_member (payload, "position", position);

  if (!record (self, job, LP_EVENT_STATUS, message, payload, error))
    {
      ljd_store_rollback (self->store);
      return NULL;
    }

  if (!ljd_store_commit (self->store, &local_error))
    {
      ljd_store_rollback (self->store);
      fail_internal (error, local_error);
      return NULL;
    }

  schedule (self);

  if (webhook_secret != NULL)
    *webhook_secret = g_steal_pointer (&secret);

  return ljd_service_get_job (self, lp_job_get_id (job), error);
}

/* Query parameters */

static gboolean
param_uint (GHashTable  *query,
            const char  *name,
            gint64       fallback,
            gint64       min,
            gint64       max,
            gint64      *value,
            GError     **error)
{
  const char *str = query ? g_hash_table_lookup (query, name) : NULL;
  guint64 parsed;

  *value = fallback;
  if (str == NULL || *str == '\0')
    return TRUE;

  if (str[0] == '-' && min < 0 && g_str_equal (str, "-1"))
    {
      *value = -1;
      return TRUE;
    }

  if (!g_ascii_string_to_unsigned (str, 10, 0, G_MAXINT64, &parsed, NULL) ||
      (gint64) parsed < min || (gint64) parsed > max)
    return ljd_service_invalid (error, _("The parameter “%s” must be a whole number from %lld to %lld"),
                                name, (long long) min, (long long) max);

  *value = (gint64) parsed;
  return TRUE;
}

static gboolean
param_choice (GHashTable  *query,
              const char  *name,
              const char **choices,
              const char  *fallback,
              guint       *index,
              GError     **error)
{
  const char *str = query ? g_hash_table_lookup (query, name) : NULL;
  g_autofree char *list = NULL;

  if (str == NULL || *str == '\0')
    str = fallback;

  for (guint i = 0; choices[i]; i++)
    {
      if (g_str_equal (str, choices[i]))
        {
          *index = i;
          return TRUE;
        }
    }

  list = g_strjoinv (", ", (char **) choices);
  return ljd_service_invalid (error, _("The parameter “%s” must be one of %s"), name, list);
}

JsonNode *
ljd_service_list_jobs (LjdService  *self,
                       GHashTable  *query,
                       GError     **error)
{
  static const char *statuses[] = { "all", "active", "queued", "completed", "failed", "cancelled", NULL };
  static const guint status_masks[] = {
    0,
    LP_ACTIVE_STATUS_MASK,
    1u << LP_JOB_STATUS_QUEUED,
    1u << LP_JOB_STATUS_COMPLETED,
    1u << LP_JOB_STATUS_FAILED,
    1u << LP_JOB_STATUS_CANCELLED,
  };
  static const char *ranges[] = { "7d", "30d", "90d", "all", NULL };
  static const gint64 range_days[] = { 7, 30, 90, 0 };
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) jobs = NULL;
  g_autoptr(GError) local_error = NULL;
  LjdJobFilter filter = { 0 };
  guint status_index, range_index, total = 0, counts[LP_N_JOB_STATUSES];
  gint64 page_number, per_page, now = g_get_real_time ();
  g_autoptr(LpJobPage) page = NULL;
  const char *q = query ? g_hash_table_lookup (query, "q") : NULL;

  g_return_val_if_fail (LJD_IS_SERVICE (self), NULL);

  if (!param_choice (query, "status", statuses, "all", &status_index, error) ||
      !param_choice (query, "range", ranges, "all", &range_index, error) ||
      !param_uint (query, "page", 1, 1, G_MAXINT32, &page_number, error) ||
      !param_uint (query, "per_page", 25, 1, 100, &per_page, error))
    return NULL;

  if (q != NULL && (!g_utf8_validate (q, -1, NULL) || g_utf8_strlen (q, -1) > 200))
    {
      ljd_service_invalid (error, _("The parameter “q” must be at most 200 characters of UTF-8"));
      return NULL;
    }

  filter.status_mask = status_masks[status_index];
  filter.created_since = range_days[range_index] ? now - range_days[range_index] * G_TIME_SPAN_DAY : 0;
  filter.query = q;
  filter.offset = (guint) MIN ((page_number - 1) * per_page, (gint64) G_MAXUINT);
  filter.limit = (guint) per_page;

  if (!(jobs = ljd_store_list_jobs (self->store, &filter, &total, &local_error)) ||
      !ljd_store_count_by_status (self->store, counts, &local_error))
    {
      fail_internal (error, local_error);
      return NULL;
    }

  page = lp_job_page_new ();
  page->total = total;
  page->page = page_number;
  page->per_page = per_page;
  for (guint i = 0; i < jobs->len; i++)
    {
      LpJob *job = g_ptr_array_index (jobs, i);

      decorate (self, job, now, ljd_store_queue_position (self->store, job));
      g_ptr_array_add (page->jobs, g_object_ref (job));
    }
  for (guint i = 0; i < LP_N_JOB_STATUSES; i++)
    {
      page->counts[i] = counts[i];
      page->count_all += counts[i];
      if (lp_job_status_is_active ((LpJobStatus) i))
        page->count_active += counts[i];
    }

  lp_job_page_to_json (page, builder);
  return json_builder_get_root (builder);
}

gboolean
ljd_service_delete_job (LjdService  *self,
                        gint64       id,
                        GError     **error)
{
  g_autoptr(LpJob) job = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (LJD_IS_SERVICE (self), FALSE);

  if (!(job = load_job (self, id, error)))
    return FALSE;

  if (!lp_job_status_is_finished (lp_job_get_status (job)))
    {
      g_set_error (error, LJD_SERVICE_ERROR, LJD_SERVICE_ERROR_CONFLICT,
                   _("Job %lld is %s; only a finished job can be deleted. Cancel it first."),
                   (long long) id, lp_job_status_to_string (lp_job_get_status (job)));
      return FALSE;
    }

  if (!ljd_store_delete_job (self->store, id, &local_error))
    return fail_internal (error, local_error);

  return TRUE;
}

/* Cancelling */

typedef struct
{
  LjdService *service;
  gint64      job_id;
  GSource    *timeout;
  gboolean    returned;
} CancelOp;

static void
cancel_op_free (CancelOp *op)
{
  ljd_source_clear (&op->timeout);
  g_clear_object (&op->service);
  g_free (op);
}

static gboolean
mark_cancelling (LjdService  *self,
                 LpJob       *job,
                 const char  *reason,
                 const char  *user,
                 gint64       when,
                 GError     **error)
{
  g_autofree char *message = NULL;
  g_autoptr(JsonObject) payload = NULL;
  LpCancelReason reason_value = LP_CANCEL_OTHER;

  g_autofree char *label = NULL;
  LpGuardRule rule;

  lp_cancel_reason_from_string (reason, &reason_value);
  lp_job_set_status (job, LP_JOB_STATUS_CANCELLING);
  lp_job_set_cancel_reason (job, reason);
  lp_job_set_cancelled_by (job, user);
  if (lp_guard_rule_from_cancel_reason (reason, &rule))
    /* Translators: why a budget guard cancelled a job, e.g. "Budget guard (Spend limit)" */
    label = g_strdup_printf (_("Budget guard (%s)"), lp_guard_rule_label (rule));
  else
    label = g_strdup (lp_cancel_reason_label (reason_value));
  message = g_strdup_printf (_("Cancel requested by %s: %s"), user, label);
  payload = status_payload (job, "reason", reason, "user", user, NULL);

  if (!ljd_store_begin (self->store, error) ||
      !save (self, job, error) ||
      !record_at (self, job, when, LP_EVENT_STATUS, message, payload, error) ||
      !ljd_store_commit (self->store, error))
    {
      ljd_store_rollback (self->store);
      return FALSE;
    }

  return TRUE;
}

/* Ends a cancelling job at @when with its final cost. */
static gboolean
mark_cancelled (LjdService  *self,
                LpJob       *job,
                gint64       when,
                GError      *provider_error,
                GError     **error)
{
  finish_job (job, LP_JOB_STATUS_CANCELLED, when, NULL);

  if (!ljd_store_begin (self->store, error))
    return FALSE;

  if (provider_error != NULL)
    {
      g_autofree char *message = g_strdup_printf (_("The provider could not confirm that the work stopped: %s"),
                                                  provider_error->message);
      if (!record_at (self, job, when, LP_EVENT_ERROR, message, NULL, error))
        goto fail;
    }

  if (!save (self, job, error) || !record_final (self, job, error) ||
      !ljd_store_commit (self->store, error))
    goto fail;

  return TRUE;

fail:
  ljd_store_rollback (self->store);
  return FALSE;
}

static void
finish_cancel (LjdService *self,
               gint64      job_id,
               GError     *provider_error)
{
  g_autoptr(LpJob) job = NULL;
  g_autoptr(GError) error = NULL;

  if (!(job = ljd_store_get_job (self->store, job_id, NULL)))
    return;

  /* The trainer may have finished on its own meanwhile; that result stands. */
  if (lp_job_get_status (job) != LP_JOB_STATUS_CANCELLING)
    return;

  if (!mark_cancelled (self, job, g_get_real_time (), provider_error, &error))
    {
      g_warning ("Cannot record the cancellation of job %" G_GINT64_FORMAT ": %s",
                 job_id, error ? error->message : "unknown error");
      return;
    }

  forget_in_provider (self, job);
  schedule (self);
}

gboolean
ljd_service_cancel_at (LjdService  *self,
                       gint64       id,
                       const char  *reason,
                       const char  *user,
                       gint64       when,
                       GError     **error)
{
  g_autoptr(LpJob) job = NULL;

  g_return_val_if_fail (LJD_IS_SERVICE (self), FALSE);

  if (!(job = load_job (self, id, error)))
    return FALSE;

  return mark_cancelling (self, job, reason, user, when, error) &&
         mark_cancelled (self, job, when, NULL, error);
}

/* Answers with the job as it now stands, or with why it cannot be read. */
static void
return_job (GTask      *task,
            LjdService *self,
            gint64      id)
{
  GError *error = NULL;
  LpJob *job = ljd_service_get_job (self, id, &error);

  if (job != NULL)
    g_task_return_pointer (task, job, g_object_unref);
  else
    g_task_return_error (task, error);
}

static void
return_cancelled_job (GTask *task)
{
  CancelOp *op = g_task_get_task_data (task);

  /* The provider and the reply timeout race; the first one answers. */
  if (op->returned)
    return;
  op->returned = TRUE;

  if (op->service->shut_down)
    g_task_return_new_error (task, LJD_SERVICE_ERROR, LJD_SERVICE_ERROR_INTERNAL,
                             _("The service is shutting down; the job will be cancelled when it restarts"));
  else
    return_job (task, op->service, op->job_id);
}

static void
provider_cancelled_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CancelOp *op = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  ljd_provider_cancel_finish (LJD_PROVIDER (object), result, &error);
  if (!op->service->shut_down)
    finish_cancel (op->service, op->job_id, error);

  ljd_source_clear (&op->timeout);
  return_cancelled_job (task);
}

static gboolean
cancel_timeout_cb (gpointer user_data)
{
  GTask *task = user_data;
  CancelOp *op = g_task_get_task_data (task);

  g_clear_pointer (&op->timeout, g_source_unref);
  return_cancelled_job (task);

  return G_SOURCE_REMOVE;
}

static gboolean
valid_reason (const char *reason)
{
  LpCancelReason value;

  return lp_cancel_reason_from_string (reason, &value);
}

void
ljd_service_cancel_job_async (LjdService          *self,
                              gint64               id,
                              JsonObject          *request,
                              const char          *user,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(LpJob) job = NULL;
  g_autoptr(GError) error = NULL;
  const char *reason = NULL;

  g_return_if_fail (LJD_IS_SERVICE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ljd_service_cancel_job_async);

  if (!(job = load_job (self, id, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (request == NULL)
    {
      g_task_return_new_error (task, LJD_SERVICE_ERROR, LJD_SERVICE_ERROR_INVALID,
                               _("A JSON body with a “reason” is required"));
      return;
    }

  if (!get_bounded_string (request, "reason", TRUE, 50, &reason, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!valid_reason (reason))
    {
      g_autoptr(GString) list = g_string_new (NULL);

      for (guint i = 0; i < LP_N_CANCEL_REASONS; i++)
        g_string_append_printf (list, "%s%s", i ? ", " : "", lp_cancel_reason_to_string (i));
      g_task_return_new_error (task, LJD_SERVICE_ERROR, LJD_SERVICE_ERROR_INVALID,
                               _("“%s” must be one of %s"), "reason", list->str);
      return;
    }

  cancel_job (self, task, job, reason, user);
}

/* Cancels @job, whose @reason is known good, answering @task. */
static void
cancel_job (LjdService  *self,
            GTask       *task,
            LpJob       *job,
            const char  *reason,
            const char  *user)
{
  g_autoptr(GError) error = NULL;
  gint64 id = lp_job_get_id (job);
  LjdProvider *provider;
  CancelOp *op;

  switch (lp_job_get_status (job))
    {
    case LP_JOB_STATUS_COMPLETED:
    case LP_JOB_STATUS_FAILED:
    case LP_JOB_STATUS_CANCELLED:
      g_task_return_new_error (task, LJD_SERVICE_ERROR, LJD_SERVICE_ERROR_CONFLICT,
                               _("Job %lld has already finished (%s)"),
                               (long long) id, lp_job_status_to_string (lp_job_get_status (job)));
      return;

    case LP_JOB_STATUS_CANCELLING:
      /* Asking twice is not an error: the first request is under way. */
      return_job (task, self, id);
      return;

    case LP_JOB_STATUS_QUEUED:
      {
        g_autofree char *message = NULL;
        g_autoptr(JsonObject) payload = NULL;
        LpCancelReason reason_value = LP_CANCEL_OTHER;

        lp_cancel_reason_from_string (reason, &reason_value);
        lp_job_set_cancel_reason (job, reason);
        lp_job_set_cancelled_by (job, user);
        finish_job (job, LP_JOB_STATUS_CANCELLED, g_get_real_time (), NULL);
        message = g_strdup_printf (_("Removed from the queue by %s: %s"),
                                   user, lp_cancel_reason_label (reason_value));
        payload = status_payload (job, "reason", reason, "user", user, NULL);

        if (!ljd_store_begin (self->store, &error) ||
            !save (self, job, &error) ||
            !record (self, job, LP_EVENT_STATUS, message, payload, &error) ||
            !ljd_store_commit (self->store, &error))
          {
            ljd_store_rollback (self->store);
            g_task_return_error (task, g_steal_pointer (&error));
            return;
          }

        return_job (task, self, id);
      }
      return;

    case LP_JOB_STATUS_PROVISIONING:
    case LP_JOB_STATUS_TRAINING:
    default:
      break;
    }

  if (!mark_cancelling (self, job, reason, user, g_get_real_time (), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  op = g_new0 (CancelOp, 1);
  op->service = g_object_ref (self);
  op->job_id = id;
  g_task_set_task_data (task, op, (GDestroyNotify) cancel_op_free);

  provider = ljd_service_get_provider (self, lp_job_get_provider (job));
  if (provider == NULL)
    {
      finish_cancel (self, id, NULL);
      return_cancelled_job (task);
      return;
    }

  op->timeout = ljd_timeout_attach (g_main_context_get_thread_default (), CANCEL_REPLY_TIMEOUT_MS,
                                    cancel_timeout_cb, task, NULL);
  ljd_provider_cancel_async (provider, job, NULL, provider_cancelled_cb, g_object_ref (task));
}

/* The guard keeper's cancel: the reasons it gives are its own. Nobody
 * waits for the answer; the job's events tell how it went. */
void
ljd_service_cancel_for (LjdService *self,
                        LpJob      *job,
                        const char *reason,
                        const char *user)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, NULL, NULL);

  g_task_set_source_tag (task, ljd_service_cancel_for);
  cancel_job (self, task, job, reason, user);
}

LpJob *
ljd_service_cancel_job_finish (LjdService    *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Metrics and events */

JsonNode *
ljd_service_get_metrics (LjdService  *self,
                         gint64       id,
                         GHashTable  *query,
                         GError     **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(LpMetrics) metrics = NULL;
  g_autoptr(LpJob) job = NULL;
  g_autoptr(GError) local_error = NULL;
  gint64 since_step, max_points;
  gint64 since_steps[LP_N_SERIES];
  const char *latest = query ? g_hash_table_lookup (query, "latest") : NULL;
  gboolean latest_only = FALSE;

  if (latest != NULL && !g_str_equal (latest, "true") && !g_str_equal (latest, "false") &&
      !g_str_equal (latest, "1") && !g_str_equal (latest, "0"))
    {
      ljd_service_invalid (error, _("The parameter “latest” must be true or false"));
      return NULL;
    }
  latest_only = latest != NULL && (g_str_equal (latest, "true") || g_str_equal (latest, "1"));

  if (!param_uint (query, "since_step", -1, -1, G_MAXINT64, &since_step, error) ||
      !param_uint (query, "max_points", 0, 2, 1000000, &max_points, error))
    return NULL;

  /* A client charting two series polls each from its own last step: one
   * cursor for both would skip a validation point posted at a step whose
   * training point was already fetched. since_step stays the default. */
  for (guint i = 0; i < LP_N_SERIES; i++)
    {
      g_autofree char *name = g_strconcat ("since_", lp_series_to_string ((LpSeries) i), NULL);

      if (!param_uint (query, name, since_step, -1, G_MAXINT64, &since_steps[i], error))
        return NULL;
    }

  if (!(job = load_job (self, id, error)))
    return NULL;

  if (!(metrics = ljd_store_get_metrics (self->store, id, !latest_only, since_steps,
                                         (guint) max_points, &local_error)))
    {
      fail_internal (error, local_error);
      return NULL;
    }

  lp_metrics_to_json (metrics, builder);
  return json_builder_get_root (builder);
}

static guint
event_type_mask (guint index)
{
  switch (index)
    {
    case 0: return 0;
    case 1: return (1u << LP_EVENT_STATUS) | (1u << LP_EVENT_STAGE);
    case 2: return 1u << LP_EVENT_METRICS;
    case 3: return 1u << LP_EVENT_WARNING;
    case 4: return 1u << LP_EVENT_ERROR;
    case 5: return 1u << LP_EVENT_CHECKPOINT;
    default: g_assert_not_reached ();
    }
}

JsonNode *
ljd_service_list_events (LjdService  *self,
                         gint64       id,
                         GHashTable  *query,
                         GError     **error)
{
  static const char *types[] = { "all", "status", "metrics", "warning", "error", "checkpoint", NULL };
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(LpJob) job = NULL;
  g_autoptr(GError) local_error = NULL;
  gint64 page_number, per_page, after_id;
  g_autoptr(LpEventPage) page = NULL;
  guint type_index, total = 0;

  if (!param_choice (query, "type", types, "all", &type_index, error) ||
      !param_uint (query, "page", 1, 1, G_MAXINT32, &page_number, error) ||
      !param_uint (query, "per_page", 50, 1, 200, &per_page, error) ||
      !param_uint (query, "after_id", 0, 0, G_MAXINT64, &after_id, error))
    return NULL;

  if (!(job = load_job (self, id, error)))
    return NULL;

  if (!(events = ljd_store_list_events (self->store, id, event_type_mask (type_index), after_id,
                                        (guint) MIN ((page_number - 1) * per_page, (gint64) G_MAXUINT),
                                        (guint) per_page, FALSE, &total, &local_error)))
    {
      fail_internal (error, local_error);
      return NULL;
    }

  page = lp_event_page_new ();
  g_ptr_array_extend_and_steal (page->events, g_steal_pointer (&events));
  page->total = total;
  page->page = page_number;
  page->per_page = per_page;
  lp_event_page_to_json (page, builder);

  return json_builder_get_root (builder);
}

char *
ljd_export_filename (const char *job_name,
                     gint64      usec)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  g_autofree char *stamp = g_date_time_format (dt, "%Y%m%d-%H%M%S");
  GString *name = g_string_new (NULL);

  /* Only characters that are safe in every file system and in a
   * Content-Disposition header survive; a leading dot would hide the file.
   * Names are UTF-8, so a character is replaced whole, not byte by byte. */
  for (const char *p = job_name; p && *p; p = g_utf8_next_char (p))
    {
      char c = *p;

      if (g_ascii_isalnum (c) || c == '_' || c == '-' || (c == '.' && name->len > 0))
        g_string_append_c (name, c);
      else
        g_string_append_c (name, '-');
    }

  if (name->len == 0)
    g_string_append (name, "job");

  g_string_append_printf (name, "-events-%s.json", stamp);
  return g_string_free (name, FALSE);
}

JsonNode *
ljd_service_export_events (LjdService  *self,
                           gint64       id,
                           char       **filename,
                           GError     **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(LpJob) job = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!(job = ljd_service_get_job (self, id, error)))
    return NULL;

  if (!(events = ljd_store_list_events (self->store, id, 0, 0, 0, G_MAXUINT, TRUE, NULL, &local_error)))
    {
      fail_internal (error, local_error);
      return NULL;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "job");
  lp_job_to_json (job, builder);
  json_builder_set_member_name (builder, "events");
  json_builder_begin_array (builder);
  for (guint i = 0; i < events->len; i++)
    lp_event_to_json (g_ptr_array_index (events, i), builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  if (filename != NULL)
    *filename = ljd_export_filename (lp_job_get_name (job), g_get_real_time ());

  return json_builder_get_root (builder);
}

/* Webhook ingestion */

char *
ljd_sign_body (const char *secret,
               const char *body,
               gsize       length)
{
  g_autofree char *hex = g_compute_hmac_for_data (G_CHECKSUM_SHA256,
                                                  (const guchar *) secret, strlen (secret),
                                                  (const guchar *) body, length);
  return g_strconcat ("sha256=", hex, NULL);
}

/* Compares in constant time so the signature cannot be guessed byte by byte. */
static gboolean
signature_matches (const char *expected,
                   const char *given)
{
  gsize n = strlen (expected);
  guint8 diff = 0;

  if (given == NULL || strlen (given) != n)
    return FALSE;

  for (gsize i = 0; i < n; i++)
    diff |= (guint8) (expected[i] ^ g_ascii_tolower (given[i]));

  return diff == 0;
}

static void
set_stage (LpJob          *job,
           LpStageKind     kind,
           LpStageStatus   status,
           gint64          ts,
           const char     *substatus,
           const char     *error_message)
{
  g_autoptr(GPtrArray) stages = copy_stages (job);
  LpStage *stage = g_ptr_array_index (stages, kind);

  if (status == LP_STAGE_STATUS_ACTIVE)
    {
      /* Starting a stage finishes the ones before it that were running. */
      for (guint i = 0; i < kind; i++)
        {
          LpStage *earlier = g_ptr_array_index (stages, i);

          if (earlier->status == LP_STAGE_STATUS_ACTIVE)
            {
              earlier->status = LP_STAGE_STATUS_COMPLETED;
              earlier->finished_at = ts;
            }
        }

      if (stage->status != LP_STAGE_STATUS_ACTIVE || stage->started_at == 0)
        stage->started_at = ts;
      stage->finished_at = 0;
      g_clear_pointer (&stage->error, g_free);
    }
  else if (status == LP_STAGE_STATUS_COMPLETED || status == LP_STAGE_STATUS_FAILED)
    {
      if (stage->started_at == 0)
        stage->started_at = ts;
      stage->finished_at = MAX (ts, stage->started_at);
      if (status == LP_STAGE_STATUS_FAILED && error_message != NULL)
        {
          g_free (stage->error);
          stage->error = g_strdup (error_message);
        }
    }
  else
    {
      stage->started_at = 0;
      stage->finished_at = 0;
    }

  stage->status = status;
  if (substatus != NULL)
    {
      g_free (stage->substatus);
      stage->substatus = g_strdup (substatus);
    }

  lp_job_set_stages (job, stages);
}

static gboolean
apply_metrics (LjdService            *self,
               LpJob                 *job,
               const LpTrainerEvent  *event,
               gint64                 ts,
               guint                 *raised,
               GError               **error)
{
  static const LpSeries all_series[] = {
    LP_SERIES_TRAIN_LOSS, LP_SERIES_VAL_LOSS, LP_SERIES_LEARNING_RATE, LP_SERIES_GPU_UTIL,
  };
  const double values[] = { event->train_loss, event->val_loss, event->learning_rate, event->gpu_util };
  g_autoptr(GError) local_error = NULL;
  const LpStage *training = g_ptr_array_index (lp_job_get_stages (job), LP_STAGE_TRAINING);
  gint64 step = MIN (event->step, lp_job_get_total_steps (job));

  for (guint i = 0; i < G_N_ELEMENTS (all_series); i++)
    {
      if (!(event->metrics_present & (1u << all_series[i])))
        continue;
      /* The raw step is kept: a trainer may run past an estimated total. */
      if (!ljd_store_add_metric (self->store, lp_job_get_id (job), all_series[i],
                                 event->step, values[i], ts, &local_error))
        return fail_internal (error, local_error);
    }

  if (!ljd_store_set_latest_epoch (self->store, lp_job_get_id (job), event->epoch, ts, &local_error))
    return fail_internal (error, local_error);

  if (step > lp_job_get_current_step (job))
    lp_job_set_current_step (job, step);
  if (!isnan (event->epoch))
    lp_job_set_epoch (job, lp_display_epoch (event->epoch, lp_job_get_total_epochs (job)));

  /* Metrics mean training is under way, even from a trainer that never
   * reports stages; the substatus then follows the steps. */
  if (training->status == LP_STAGE_STATUS_PENDING || training->status == LP_STAGE_STATUS_ACTIVE)
    {
      g_autofree char *of = lp_format_count (lp_job_get_total_steps (job));
      g_autofree char *cur = lp_format_count (lp_job_get_current_step (job));
      g_autofree char *substatus =
        g_strdup_printf (_("Epoch %lld/%lld - Step %s of %s"),
                         (long long) lp_job_get_epoch (job), (long long) lp_job_get_total_epochs (job), cur, of);

      set_stage (job, LP_STAGE_TRAINING, LP_STAGE_STATUS_ACTIVE, ts, substatus, NULL);
    }

  return check_metrics (self, job, event, ts, raised, error);
}

typedef struct
{
  gboolean finished;
  guint    raised;    /* the job's raised warnings, one bit per WarningKind */
} ApplyResult;

static gboolean
apply_event (LjdService            *self,
             LpJob                 *job,
             const LpTrainerEvent  *event,
             gint64                 ts,
             ApplyResult           *result,
             GError               **error)
{
  LpJobStatus status = lp_job_get_status (job);

  if (lp_job_status_is_finished (status))
    return TRUE;

  if (status == LP_JOB_STATUS_PROVISIONING &&
      (event->type == LP_EVENT_METRICS || event->type == LP_EVENT_STAGE ||
       (event->type == LP_EVENT_STATUS && event->status == LP_JOB_STATUS_TRAINING)))
    lp_job_set_status (job, LP_JOB_STATUS_TRAINING);

  switch (event->type)
    {
    case LP_EVENT_METRICS:
      return apply_metrics (self, job, event, ts, &result->raised, error);

    case LP_EVENT_STAGE:
      set_stage (job, event->stage, event->stage_status, ts, event->substatus,
                 event->error ? event->error : event->message);
      return TRUE;

    case LP_EVENT_STATUS:
      if (event->status == LP_JOB_STATUS_COMPLETED || event->status == LP_JOB_STATUS_FAILED)
        {
          g_autofree char *why = NULL;

          if (event->status == LP_JOB_STATUS_FAILED)
            why = g_strdup (event->error ? event->error
                                         : event->message ? event->message
                                                          : _("The trainer reported a failure"));
          finish_job (job, event->status, ts, why);
          result->finished = TRUE;
        }
      return TRUE;

    case LP_EVENT_CHECKPOINT:
    case LP_EVENT_WARNING:
    case LP_EVENT_ERROR:
    default:
      return TRUE;
    }
}

static gboolean
all_known (LjdService *self,
           gint64      id,
           GPtrArray  *events)
{
  for (guint i = 0; i < events->len; i++)
    {
      const LpTrainerEvent *event = g_ptr_array_index (events, i);

      if (!ljd_store_has_event_source (self->store, id, event->event_id))
        return FALSE;
    }

  return events->len > 0;
}

gboolean
ljd_service_ingest_events (LjdService  *self,
                           gint64       id,
                           GPtrArray   *events,
                           guint       *accepted,
                           guint       *duplicates,
                           GError     **error)
{
  g_autoptr(LpJob) job = NULL;
  g_autoptr(GError) local_error = NULL;
  ApplyResult result = { FALSE, 0 };
  gint64 now = g_get_real_time ();
  LpJobStatus status;

  g_return_val_if_fail (LJD_IS_SERVICE (self), FALSE);

  *accepted = *duplicates = 0;

  if (!(job = load_job (self, id, error)))
    return FALSE;

  status = lp_job_get_status (job);
  if (status == LP_JOB_STATUS_QUEUED || lp_job_status_is_finished (status))
    {
      /* A trainer retrying a batch that was stored just before the job
       * finished hears that it was stored, not that it is too late. */
      if (all_known (self, id, events))
        {
          *duplicates = events->len;
          return TRUE;
        }

      g_set_error (error, LJD_SERVICE_ERROR, LJD_SERVICE_ERROR_CONFLICT,
                   _("Job %lld is %s and takes no events"),
                   (long long) id, lp_job_status_to_string (status));
      return FALSE;
    }

  /* One transaction per batch: a batch is recorded whole or not at all. */
  if (!ljd_store_begin (self->store, &local_error))
    return fail_internal (error, local_error);

  if (!load_raised (self, id, &result.raised, error))
    {
      ljd_store_rollback (self->store);
      return FALSE;
    }

  for (guint i = 0; i < events->len; i++)
    {
      const LpTrainerEvent *event = g_ptr_array_index (events, i);
      g_autofree char *message = lp_trainer_event_describe (event);
      gboolean duplicate = FALSE;
      gboolean was_finished = lp_job_status_is_finished (lp_job_get_status (job));
      gint64 ts = event->ts;

      if (ts == 0 || ts > now + MAX_CLOCK_SKEW_USEC)
        ts = now;

      if (ljd_store_add_event (self->store, id, ts, event->type, message, event->raw,
                               event->event_id, &duplicate, &local_error) < 0)
        {
          ljd_store_rollback (self->store);
          return fail_internal (error, local_error);
        }

      if (duplicate)
        {
          (*duplicates)++;
          continue;
        }

      (*accepted)++;

      /* Costs are judged at each event's time, so a batch that replays
       * hours of a run warns where the run crossed the estimate. */
      if (!apply_event (self, job, event, ts, &result, error) ||
          (!was_finished && !check_costs (self, job, ts, &result.raised, error)))
        {
          ljd_store_rollback (self->store);
          return FALSE;
        }
    }

  if (!save (self, job, error) ||
      (result.finished && !record_final (self, job, error)))
    {
      ljd_store_rollback (self->store);
      return FALSE;
    }

  if (!ljd_store_commit (self->store, &local_error))
    {
      ljd_store_rollback (self->store);
      return fail_internal (error, local_error);
    }

  /* A training stage that has just begun starts the stall clock, so a
   * trainer that never reports a step is noticed too. */
  if (is_training (job) && !g_hash_table_contains (self->metrics_arrivals, &id))
    note_arrival (self, id);

  if (result.finished)
    {
      forget_in_provider (self, job);
      schedule (self);
    }

  return TRUE;
}

gboolean
ljd_service_ingest_webhook (LjdService  *self,
                            gint64       id,
                            const char  *body,
                            gsize        length,
                            const char  *signature,
                            guint       *accepted,
                            guint       *duplicates,
                            GError     **error)
{
  g_autofree char *secret = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (LJD_IS_SERVICE (self), FALSE);

  if (!(secret = ljd_store_get_webhook_secret (self->store, id)))
    {
      g_set_error (error, LJD_SERVICE_ERROR, LJD_SERVICE_ERROR_NOT_FOUND,
                   _("There is no job %lld"), (long long) id);
      return FALSE;
    }

  expected = ljd_sign_body (secret, body ? body : "", length);
  if (!signature_matches (expected, signature))
    {
      g_set_error_literal (error, LJD_SERVICE_ERROR, LJD_SERVICE_ERROR_UNAUTHORIZED,
                           signature == NULL
                             ? _("The X-Lora-Signature header is missing")
                             : _("The X-Lora-Signature does not match the body and the job's webhook secret"));
      return FALSE;
    }

  if (!(events = lp_trainer_events_parse (body, length, &local_error)))
    return from_json_error (error, local_error);

  return ljd_service_ingest_events (self, id, events, accepted, duplicates, error);
}

/* The queue view */

JsonNode *
ljd_service_get_queue (LjdService  *self,
                       GError     **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) running = NULL;
  g_autoptr(GPtrArray) queued = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree gint64 *remaining = NULL;
  g_autofree gint64 *durations = NULL;
  g_autofree gint64 *starts = NULL;
  g_autoptr(LpQueue) queue = NULL;
  g_autoptr(GPtrArray) elsewhere = NULL;
  gint64 now = g_get_real_time ();

  g_return_val_if_fail (LJD_IS_SERVICE (self), NULL);

  running = ljd_store_jobs_in_order (self->store,
                                     LP_ACTIVE_STATUS_MASK,
                                     &local_error);
  if (running != NULL)
    queued = ljd_store_jobs_in_order (self->store, 1u << LP_JOB_STATUS_QUEUED, &local_error);
  if (queued == NULL)
    {
      fail_internal (error, local_error);
      return NULL;
    }

  /* Jobs that wait and run in a cluster's scheduler take no slot; the
   * queue shows them apart. */
  elsewhere = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = running->len; i > 0; i--)
    {
      LpJob *job = g_ptr_array_index (running, i - 1);

      if (!job_uses_slot (self, job))
        {
          decorate (self, job, now, 0);
          g_ptr_array_insert (elsewhere, 0, g_object_ref (job));
          g_ptr_array_remove_index (running, i - 1);
        }
    }

  remaining = g_new0 (gint64, running->len + 1);
  durations = g_new0 (gint64, queued->len + 1);
  starts = g_new0 (gint64, queued->len + 1);

  for (guint i = 0; i < running->len; i++)
    {
      LpJob *job = g_ptr_array_index (running, i);

      decorate (self, job, now, 0);
      /* A job being cancelled frees its slot in moments, not hours. */
      remaining[i] = lp_job_get_status (job) == LP_JOB_STATUS_CANCELLING ? 0 : lp_job_get_remaining_s (job);
    }
  for (guint i = 0; i < queued->len; i++)
    {
      LpJob *job = g_ptr_array_index (queued, i);

      decorate (self, job, now, i + 1);
      durations[i] = estimated_duration_s (self, job);
    }

  lp_queue_estimate_starts (self->slots, remaining, running->len, durations, queued->len, starts);

  queue = lp_queue_new ();
  queue->max_slots = self->slots;
  for (guint i = 0; i < running->len; i++)
    lp_queue_add_running (queue, g_ptr_array_index (running, i));
  for (guint i = 0; i < queued->len; i++)
    lp_queue_add_queued (queue, g_ptr_array_index (queued, i),
                         now + starts[i] * G_USEC_PER_SEC, starts[i]);
  for (guint i = 0; i < elsewhere->len; i++)
    lp_queue_add_elsewhere (queue, g_ptr_array_index (elsewhere, i));

  lp_queue_to_json (queue, builder);
  return json_builder_get_root (builder);
}
