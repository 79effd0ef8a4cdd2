/* lp-job.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include <glib/gi18n-lib.h>

#include "lp-calc.h"
#include "lp-job.h"
#include "lp-json.h"

struct _LpJob
{
  GObject      parent_instance;

  gint64       id;
  char        *name;
  LpJobStatus  status;
  char        *created_by;
  char        *cancelled_by;
  gint64       created_at;
  gint64       started_at;
  gint64       finished_at;
  gint64       current_step;
  gint64       total_steps;
  gint64       epoch;
  gint64       total_epochs;
  GPtrArray   *stages;
  gint64       elapsed_s;
  gint64       remaining_s;
  char        *gpu_type;
  char        *pricing;
  double       hourly_rate;
  double       cost;
  double       projected_cost;
  double       estimate_min;
  double       estimate_max;
  char        *error;
  char        *cancel_reason;
  gint64       queue_position;
  /* Not stored: what the job's provider says now ("Waiting in Slurm:
   * Resources"), filled in by the service as it serves the job. */
  char        *status_detail;
  char        *provider;
  char        *preset;
  JsonObject  *config;
  LpGuard     *guard;       /* NULL: no guard */
};

G_DEFINE_FINAL_TYPE (LpJob, lp_job, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_STATUS,
  PROP_CREATED_BY,
  PROP_CANCELLED_BY,
  PROP_CREATED_AT,
  PROP_STARTED_AT,
  PROP_FINISHED_AT,
  PROP_PROGRESS,
  PROP_CURRENT_STEP,
  PROP_TOTAL_STEPS,
  PROP_EPOCH,
  PROP_TOTAL_EPOCHS,
  PROP_STAGE,
  PROP_STAGES,
  PROP_ELAPSED_S,
  PROP_REMAINING_S,
  PROP_GPU_TYPE,
  PROP_PRICING,
  PROP_HOURLY_RATE,
  PROP_COST,
  PROP_PROJECTED_COST,
  PROP_ESTIMATE_MIN,
  PROP_ESTIMATE_MAX,
  PROP_ERROR,
  PROP_CANCEL_REASON,
  PROP_QUEUE_POSITION,
  PROP_STATUS_DETAIL,
  PROP_PROVIDER,
  PROP_PRESET,
  PROP_CONFIG,
  PROP_GUARD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GPtrArray *
new_stages (void)
{
  GPtrArray *stages = g_ptr_array_new_with_free_func ((GDestroyNotify) lp_stage_free);

  for (guint i = 0; i < LP_N_STAGES; i++)
    g_ptr_array_add (stages, lp_stage_new ((LpStageKind) i));

  return stages;
}

static void
lp_job_finalize (GObject *object)
{
  LpJob *self = (LpJob *) object;

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->created_by, g_free);
  g_clear_pointer (&self->cancelled_by, g_free);
  g_clear_pointer (&self->stages, g_ptr_array_unref);
  g_clear_pointer (&self->gpu_type, g_free);
  g_clear_pointer (&self->pricing, g_free);
  g_clear_pointer (&self->error, g_free);
  g_clear_pointer (&self->cancel_reason, g_free);
  g_clear_pointer (&self->status_detail, g_free);
  g_clear_pointer (&self->provider, g_free);
  g_clear_pointer (&self->preset, g_free);
  g_clear_pointer (&self->config, json_object_unref);
  g_clear_pointer (&self->guard, lp_guard_free);

  G_OBJECT_CLASS (lp_job_parent_class)->finalize (object);
}

static void
lp_job_get_property (GObject    *object,
                     guint       prop_id,
                     GValue     *value,
                     GParamSpec *pspec)
{
  LpJob *self = LP_JOB (object);

  switch (prop_id)
    {
    case PROP_ID: g_value_set_int64 (value, self->id); break;
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_STATUS: g_value_set_uint (value, self->status); break;
    case PROP_CREATED_BY: g_value_set_string (value, self->created_by); break;
    case PROP_CANCELLED_BY: g_value_set_string (value, self->cancelled_by); break;
    case PROP_CREATED_AT: g_value_set_int64 (value, self->created_at); break;
    case PROP_STARTED_AT: g_value_set_int64 (value, self->started_at); break;
    case PROP_FINISHED_AT: g_value_set_int64 (value, self->finished_at); break;
    case PROP_PROGRESS: g_value_set_double (value, lp_job_get_progress (self)); break;
    case PROP_CURRENT_STEP: g_value_set_int64 (value, self->current_step); break;
    case PROP_TOTAL_STEPS: g_value_set_int64 (value, self->total_steps); break;
    case PROP_EPOCH: g_value_set_int64 (value, self->epoch); break;
    case PROP_TOTAL_EPOCHS: g_value_set_int64 (value, self->total_epochs); break;
    case PROP_STAGE: g_value_set_string (value, lp_job_get_stage (self)); break;
    case PROP_STAGES: g_value_set_boxed (value, self->stages); break;
    case PROP_ELAPSED_S: g_value_set_int64 (value, self->elapsed_s); break;
    case PROP_REMAINING_S: g_value_set_int64 (value, self->remaining_s); break;
    case PROP_GPU_TYPE: g_value_set_string (value, self->gpu_type); break;
    case PROP_PRICING: g_value_set_string (value, self->pricing); break;
    case PROP_HOURLY_RATE: g_value_set_double (value, self->hourly_rate); break;
    case PROP_COST: g_value_set_double (value, self->cost); break;
    case PROP_PROJECTED_COST: g_value_set_double (value, self->projected_cost); break;
    case PROP_ESTIMATE_MIN: g_value_set_double (value, self->estimate_min); break;
    case PROP_ESTIMATE_MAX: g_value_set_double (value, self->estimate_max); break;
    case PROP_ERROR: g_value_set_string (value, self->error); break;
    case PROP_CANCEL_REASON: g_value_set_string (value, self->cancel_reason); break;
    case PROP_QUEUE_POSITION: g_value_set_int64 (value, self->queue_position); break;
    case PROP_STATUS_DETAIL: g_value_set_string (value, self->status_detail); break;
    case PROP_PROVIDER: g_value_set_string (value, self->provider); break;
    case PROP_PRESET: g_value_set_string (value, self->preset); break;
    case PROP_CONFIG: g_value_set_boxed (value, self->config); break;
    case PROP_GUARD: g_value_set_boxed (value, self->guard); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lp_job_class_init (LpJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = lp_job_finalize;
  object_class->get_property = lp_job_get_property;

#define RO (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS)
#define INT64(id, name) \
  properties[id] = g_param_spec_int64 (name, NULL, NULL, G_MININT64, G_MAXINT64, 0, RO)
#define STRING(id, name) \
  properties[id] = g_param_spec_string (name, NULL, NULL, NULL, RO)
#define DOUBLE(id, name) \
  properties[id] = g_param_spec_double (name, NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, RO)

  INT64 (PROP_ID, "id");
  STRING (PROP_NAME, "name");
  properties[PROP_STATUS] =
    g_param_spec_uint ("status", NULL, NULL, 0, LP_N_JOB_STATUSES - 1, 0, RO);
  STRING (PROP_CREATED_BY, "created-by");
  STRING (PROP_CANCELLED_BY, "cancelled-by");
  INT64 (PROP_CREATED_AT, "created-at");
  INT64 (PROP_STARTED_AT, "started-at");
  INT64 (PROP_FINISHED_AT, "finished-at");
  properties[PROP_PROGRESS] =
    g_param_spec_double ("progress", NULL, NULL, 0, 100, 0, RO);
  INT64 (PROP_CURRENT_STEP, "current-step");
  INT64 (PROP_TOTAL_STEPS, "total-steps");
  INT64 (PROP_EPOCH, "epoch");
  INT64 (PROP_TOTAL_EPOCHS, "total-epochs");
  STRING (PROP_STAGE, "stage");
  properties[PROP_STAGES] =
    g_param_spec_boxed ("stages", NULL, NULL, G_TYPE_PTR_ARRAY, RO);
  INT64 (PROP_ELAPSED_S, "elapsed-s");
  INT64 (PROP_REMAINING_S, "remaining-s");
  STRING (PROP_GPU_TYPE, "gpu-type");
  STRING (PROP_PRICING, "pricing");
  DOUBLE (PROP_HOURLY_RATE, "hourly-rate");
  DOUBLE (PROP_COST, "cost");
  DOUBLE (PROP_PROJECTED_COST, "projected-cost");
  DOUBLE (PROP_ESTIMATE_MIN, "estimate-min");
  DOUBLE (PROP_ESTIMATE_MAX, "estimate-max");
  STRING (PROP_ERROR, "error");
  STRING (PROP_CANCEL_REASON, "cancel-reason");
  INT64 (PROP_QUEUE_POSITION, "queue-position");
  STRING (PROP_STATUS_DETAIL, "status-detail");
  STRING (PROP_PROVIDER, "provider");
  STRING (PROP_PRESET, "preset");
  properties[PROP_CONFIG] =
    g_param_spec_boxed ("config", NULL, NULL, JSON_TYPE_OBJECT, RO);
  properties[PROP_GUARD] =
    g_param_spec_boxed ("guard", NULL, NULL, LP_TYPE_GUARD, RO);

#undef RO
#undef INT64
#undef STRING
#undef DOUBLE

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
lp_job_init (LpJob *self)
{
  self->stages = new_stages ();
  self->remaining_s = -1;
  self->total_epochs = 1;
  self->total_steps = 1;
  self->epoch = 1;
}

LpJob *
lp_job_new (void)
{
  return g_object_new (LP_TYPE_JOB, NULL);
}

static void
set_string (LpJob       *self,
            char       **field,
            const char  *value,
            guint        prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;

  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_int64 (LpJob  *self,
           gint64 *field,
           gint64  value,
           guint   prop)
{
  if (*field == value)
    return;

  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_double (LpJob  *self,
            double *field,
            double  value,
            guint   prop)
{
  if (*field == value)
    return;

  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

#define STRING_ACCESSORS(field, PROP)                                   \
  const char *lp_job_get_##field (LpJob *self)                          \
  {                                                                     \
    g_return_val_if_fail (LP_IS_JOB (self), NULL);                      \
    return self->field;                                                 \
  }                                                                     \
  void lp_job_set_##field (LpJob *self, const char *value)              \
  {                                                                     \
    g_return_if_fail (LP_IS_JOB (self));                                \
    set_string (self, &self->field, value, PROP);                       \
  }

#define INT64_ACCESSORS(field, PROP)                                    \
  gint64 lp_job_get_##field (LpJob *self)                               \
  {                                                                     \
    g_return_val_if_fail (LP_IS_JOB (self), 0);                         \
    return self->field;                                                 \
  }                                                                     \
  void lp_job_set_##field (LpJob *self, gint64 value)                   \
  {                                                                     \
    g_return_if_fail (LP_IS_JOB (self));                                \
    set_int64 (self, &self->field, value, PROP);                        \
  }

#define DOUBLE_ACCESSORS(field, PROP)                                   \
  double lp_job_get_##field (LpJob *self)                               \
  {                                                                     \
    g_return_val_if_fail (LP_IS_JOB (self), 0);                         \
    return self->field;                                                 \
  }                                                                     \
  void lp_job_set_##field (LpJob *self, double value)                   \
  {                                                                     \
    g_return_if_fail (LP_IS_JOB (self));                                \
    set_double (self, &self->field, value, PROP);                       \
  }

STRING_ACCESSORS (name, PROP_NAME)
STRING_ACCESSORS (created_by, PROP_CREATED_BY)
STRING_ACCESSORS (cancelled_by, PROP_CANCELLED_BY)
STRING_ACCESSORS (gpu_type, PROP_GPU_TYPE)
STRING_ACCESSORS (pricing, PROP_PRICING)
STRING_ACCESSORS (error, PROP_ERROR)
STRING_ACCESSORS (cancel_reason, PROP_CANCEL_REASON)
STRING_ACCESSORS (status_detail, PROP_STATUS_DETAIL)
STRING_ACCESSORS (provider, PROP_PROVIDER)
STRING_ACCESSORS (preset, PROP_PRESET)
INT64_ACCESSORS (id, PROP_ID)
INT64_ACCESSORS (created_at, PROP_CREATED_AT)
INT64_ACCESSORS (started_at, PROP_STARTED_AT)
INT64_ACCESSORS (finished_at, PROP_FINISHED_AT)
INT64_ACCESSORS (epoch, PROP_EPOCH)
INT64_ACCESSORS (total_epochs, PROP_TOTAL_EPOCHS)
INT64_ACCESSORS (elapsed_s, PROP_ELAPSED_S)
INT64_ACCESSORS (remaining_s, PROP_REMAINING_S)
INT64_ACCESSORS (queue_position, PROP_QUEUE_POSITION)
DOUBLE_ACCESSORS (hourly_rate, PROP_HOURLY_RATE)
DOUBLE_ACCESSORS (cost, PROP_COST)
DOUBLE_ACCESSORS (projected_cost, PROP_PROJECTED_COST)

double
lp_job_get_estimate_min (LpJob *self)
{
  g_return_val_if_fail (LP_IS_JOB (self), 0);
  return self->estimate_min;
}

double
lp_job_get_estimate_max (LpJob *self)
{
  g_return_val_if_fail (LP_IS_JOB (self), 0);
  return self->estimate_max;
}

LpJobStatus
lp_job_get_status (LpJob *self)
{
  g_return_val_if_fail (LP_IS_JOB (self), 0);
  return self->status;
}

void
lp_job_set_status (LpJob       *self,
                   LpJobStatus  status)
{
  g_return_if_fail (LP_IS_JOB (self));

  if (self->status == status)
    return;

  self->status = status;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

double
lp_job_get_progress (LpJob *self)
{
  g_return_val_if_fail (LP_IS_JOB (self), 0);
  return lp_progress_percent (self->current_step, self->total_steps);
}

/* Progress is derived, so it is notified with the steps it comes from. */
gint64
lp_job_get_current_step (LpJob *self)
{
  g_return_val_if_fail (LP_IS_JOB (self), 0);
  return self->current_step;
}

void
lp_job_set_current_step (LpJob  *self,
                         gint64  step)
{
  g_return_if_fail (LP_IS_JOB (self));

  if (self->current_step == step)
    return;

  self->current_step = step;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENT_STEP]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
}

gint64
lp_job_get_total_steps (LpJob *self)
{
  g_return_val_if_fail (LP_IS_JOB (self), 0);
  return self->total_steps;
}

void
lp_job_set_total_steps (LpJob  *self,
                        gint64  steps)
{
  g_return_if_fail (LP_IS_JOB (self));

  if (self->total_steps == steps)
    return;

  self->total_steps = steps;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL_STEPS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
}

void
lp_job_set_estimate (LpJob  *self,
                     double  estimate_min,
                     double  estimate_max)
{
  g_return_if_fail (LP_IS_JOB (self));

  set_double (self, &self->estimate_min, estimate_min, PROP_ESTIMATE_MIN);
  set_double (self, &self->estimate_max, estimate_max, PROP_ESTIMATE_MAX);
}

gboolean
lp_job_has_estimate (LpJob *self)
{
  g_return_val_if_fail (LP_IS_JOB (self), FALSE);
  return self->estimate_min > 0 && self->estimate_max > 0;
}

/* The stage a user is waiting on: the active one, else the one that failed. */
const char *
lp_job_get_stage (LpJob *self)
{
  const LpStage *failed = NULL;

  g_return_val_if_fail (LP_IS_JOB (self), NULL);

  for (guint i = 0; i < self->stages->len; i++)
    {
      const LpStage *stage = g_ptr_array_index (self->stages, i);

      if (stage->status == LP_STAGE_STATUS_ACTIVE)
        return lp_stage_kind_to_string (stage->kind);
      if (stage->status == LP_STAGE_STATUS_FAILED && failed == NULL)
        failed = stage;
    }

  return failed ? lp_stage_kind_to_string (failed->kind) : NULL;
}

GPtrArray *
lp_job_get_stages (LpJob *self)
{
  g_return_val_if_fail (LP_IS_JOB (self), NULL);
  return self->stages;
}

void
lp_job_set_stages (LpJob     *self,
                   GPtrArray *stages)
{
  const char *old_stage;
  gboolean changed = FALSE;

  g_return_if_fail (LP_IS_JOB (self));
  g_return_if_fail (stages != NULL && stages->len == LP_N_STAGES);

  old_stage = lp_job_get_stage (self);

  for (guint i = 0; i < LP_N_STAGES; i++)
    {
      LpStage *mine = g_ptr_array_index (self->stages, i);
      const LpStage *theirs = g_ptr_array_index (stages, i);

      if (!lp_stage_equal (mine, theirs))
        {
          g_ptr_array_index (self->stages, i) = lp_stage_copy (theirs);
          lp_stage_free (mine);
          changed = TRUE;
        }
    }

  if (!changed)
    return;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STAGES]);
  if (g_strcmp0 (old_stage, lp_job_get_stage (self)) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STAGE]);
}

JsonObject *
lp_job_get_config (LpJob *self)
{
  g_return_val_if_fail (LP_IS_JOB (self), NULL);
  return self->config;
}

void
lp_job_set_config (LpJob      *self,
                   JsonObject *config)
{
  g_return_if_fail (LP_IS_JOB (self));

  /* Each refresh parses a new object; only a different config is news. */
  if (self->config == config ||
      (self->config != NULL && config != NULL && json_object_equal (self->config, config)))
    return;

  g_clear_pointer (&self->config, json_object_unref);
  if (config != NULL)
    self->config = json_object_ref (config);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONFIG]);
}

/* The job's budget guard, or NULL. */
const LpGuard *
lp_job_get_guard (LpJob *self)
{
  g_return_val_if_fail (LP_IS_JOB (self), NULL);

  return self->guard;
}

/* Takes a copy of @guard; an empty one is no guard. */
void
lp_job_set_guard (LpJob         *self,
                  const LpGuard *guard)
{
  g_return_if_fail (LP_IS_JOB (self));

  if (lp_guard_is_empty (guard))
    guard = NULL;

  /* Each refresh parses a new guard; only a different one is news. */
  if (lp_guard_equal (self->guard, guard))
    return;

  g_clear_pointer (&self->guard, lp_guard_free);
  if (guard != NULL)
    self->guard = lp_guard_copy (guard);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GUARD]);
}

/* JSON */

static void
add_int (JsonBuilder *builder,
         const char  *member,
         gint64       value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_int_value (builder, value);
}

static void
add_double (JsonBuilder *builder,
            const char  *member,
            double       value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_double_value (builder, value);
}

/* Money is served rounded to cents so that clients never show $22.179999. */
static void
add_money (JsonBuilder *builder,
           const char  *member,
           double       value,
           gboolean     present)
{
  json_builder_set_member_name (builder, member);
  if (!present)
    json_builder_add_null_value (builder);
  else if (!isfinite (value))
    json_builder_add_double_value (builder, 0.0);
  else if (fabs (value) >= LP_MONEY_MAX)
    /* No bill is this large: served as it is, rather than overflow the
     * rounding's cast. */
    json_builder_add_double_value (builder, value);
  else
    json_builder_add_double_value (builder, ((gint64) (value * 100.0 + (value >= 0 ? 0.5 : -0.5))) / 100.0);
}

static void
add_stage (JsonBuilder   *builder,
           const LpStage *stage,
           gint64         now)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, lp_stage_kind_to_string (stage->kind));
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, lp_stage_status_to_string (stage->status));
  lp_json_add_time (builder, "started_at", stage->started_at);
  lp_json_add_time (builder, "finished_at", stage->finished_at);
  json_builder_set_member_name (builder, "duration_s");
  if (stage->started_at != 0)
    json_builder_add_int_value (builder, lp_stage_duration_s (stage, now));
  else
    json_builder_add_null_value (builder);
  lp_json_add_string_or_null (builder, "substatus", stage->substatus);
  lp_json_add_string_or_null (builder, "error", stage->error);
  json_builder_end_object (builder);
}

void
lp_job_to_json (LpJob       *self,
                JsonBuilder *builder)
{
  gint64 now = g_get_real_time ();

  g_return_if_fail (LP_IS_JOB (self));

  json_builder_begin_object (builder);
  add_int (builder, "id", self->id);
  lp_json_add_string_or_null (builder, "name", self->name);
  lp_json_add_string_or_null (builder, "status", lp_job_status_to_string (self->status));
  lp_json_add_string_or_null (builder, "created_by", self->created_by);
  lp_json_add_string_or_null (builder, "cancelled_by", self->cancelled_by);
  lp_json_add_time (builder, "created_at", self->created_at);
  lp_json_add_time (builder, "started_at", self->started_at);
  lp_json_add_time (builder, "finished_at", self->finished_at);
  add_double (builder, "progress", lp_job_get_progress (self));
  add_int (builder, "current_step", self->current_step);
  add_int (builder, "total_steps", self->total_steps);
  add_int (builder, "epoch", self->epoch);
  add_int (builder, "total_epochs", self->total_epochs);
  lp_json_add_string_or_null (builder, "stage", lp_job_get_stage (self));

  json_builder_set_member_name (builder, "stages");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->stages->len; i++)
    add_stage (builder, g_ptr_array_index (self->stages, i), now);
  json_builder_end_array (builder);

  add_int (builder, "elapsed_s", self->elapsed_s);
  json_builder_set_member_name (builder, "remaining_s");
  if (self->remaining_s >= 0)
    json_builder_add_int_value (builder, self->remaining_s);
  else
    json_builder_add_null_value (builder);
  lp_json_add_string_or_null (builder, "gpu_type", self->gpu_type);
  lp_json_add_string_or_null (builder, "pricing", self->pricing);
  add_double (builder, "hourly_rate", self->hourly_rate);
  add_money (builder, "cost", self->cost, TRUE);
  add_money (builder, "projected_cost", self->projected_cost, TRUE);
  add_money (builder, "estimate_min", self->estimate_min, self->estimate_min > 0);
  add_money (builder, "estimate_max", self->estimate_max, self->estimate_max > 0);
  lp_json_add_string_or_null (builder, "error", self->error);
  lp_json_add_string_or_null (builder, "cancel_reason", self->cancel_reason);
  json_builder_set_member_name (builder, "queue_position");
  if (self->queue_position > 0)
    json_builder_add_int_value (builder, self->queue_position);
  else
    json_builder_add_null_value (builder);
  lp_json_add_string_or_null (builder, "status_detail", self->status_detail);
  lp_json_add_string_or_null (builder, "provider", self->provider);
  lp_json_add_string_or_null (builder, "preset", self->preset);

  json_builder_set_member_name (builder, "guard");
  if (self->guard != NULL)
    lp_guard_to_json (self->guard, builder);
  else
    json_builder_add_null_value (builder);

  json_builder_set_member_name (builder, "config");
  if (self->config != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), self->config);
      json_builder_add_value (builder, g_steal_pointer (&node));
    }
  else
    {
      json_builder_begin_object (builder);
      json_builder_end_object (builder);
    }

  json_builder_end_object (builder);
}

JsonNode *
lp_job_to_json_node (LpJob *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  lp_job_to_json (self, builder);
  return json_builder_get_root (builder);
}

static gboolean
parse_stages (JsonArray  *array,
              GPtrArray  *stages,
              GError    **error)
{
  if (json_array_get_length (array) != LP_N_STAGES)
    {
      g_set_error (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID,
                   _("“stages” must list the %d stages"), LP_N_STAGES);
      return FALSE;
    }

  for (guint i = 0; i < LP_N_STAGES; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      LpStage *stage = g_ptr_array_index (stages, i);
      JsonObject *obj;
      const char *name = NULL, *status = NULL, *substatus = NULL, *err = NULL;
      LpStageKind kind;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error_literal (error, LP_JSON_ERROR, LP_JSON_ERROR_TYPE,
                               _("Each stage must be an object"));
          return FALSE;
        }

      obj = json_node_get_object (node);
      if (!lp_json_get_string (obj, "name", TRUE, &name, error) ||
          !lp_json_get_string (obj, "status", TRUE, &status, error) ||
          !lp_json_get_time (obj, "started_at", FALSE, &stage->started_at, error) ||
          !lp_json_get_time (obj, "finished_at", FALSE, &stage->finished_at, error) ||
          !lp_json_get_string (obj, "substatus", FALSE, &substatus, error) ||
          !lp_json_get_string (obj, "error", FALSE, &err, error))
        return FALSE;

      if (!lp_stage_kind_from_string (name, &kind) || kind != (LpStageKind) i ||
          !lp_stage_status_from_string (status, &stage->status))
        {
          g_set_error (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID,
                       _("Stage %u is not valid"), i + 1);
          return FALSE;
        }

      g_free (stage->substatus);
      stage->substatus = g_strdup (substatus);
      g_free (stage->error);
      stage->error = g_strdup (err);
    }

  return TRUE;
}

/* Parses everything first so that a malformed document changes nothing. */
gboolean
lp_job_update_from_json (LpJob       *self,
                         JsonObject  *object,
                         GError     **error)
{
  const char *name = NULL, *status_str = NULL, *created_by = NULL, *cancelled_by = NULL;
  const char *gpu_type = NULL, *pricing = NULL, *err = NULL, *cancel_reason = NULL;
  const char *provider = NULL, *preset = NULL, *status_detail = NULL;
  gint64 id = 0, created_at = 0, started_at = 0, finished_at = 0;
  gint64 current_step = 0, total_steps = 1, epoch = 1, total_epochs = 1;
  gint64 elapsed_s = 0, remaining_s = -1, queue_position = 0;
  double hourly_rate = 0, cost = 0, projected_cost = 0, estimate_min = 0, estimate_max = 0;
  JsonArray *stages_array = NULL;
  JsonObject *config = NULL, *guard_object = NULL;
  g_autoptr(LpGuard) guard = NULL;
  LpJobStatus status;
  g_autoptr(GPtrArray) stages = new_stages ();

  g_return_val_if_fail (LP_IS_JOB (self), FALSE);

  if (!lp_json_get_int_range (object, "id", TRUE, 0, G_MAXINT64, &id, error) ||
      !lp_json_get_string (object, "name", TRUE, &name, error) ||
      !lp_json_get_string (object, "status", TRUE, &status_str, error) ||
      !lp_json_get_string (object, "created_by", FALSE, &created_by, error) ||
      !lp_json_get_string (object, "cancelled_by", FALSE, &cancelled_by, error) ||
      !lp_json_get_time (object, "created_at", FALSE, &created_at, error) ||
      !lp_json_get_time (object, "started_at", FALSE, &started_at, error) ||
      !lp_json_get_time (object, "finished_at", FALSE, &finished_at, error) ||
      !lp_json_get_int_range (object, "current_step", FALSE, 0, LP_STEP_MAX, &current_step, error) ||
      !lp_json_get_int_range (object, "total_steps", FALSE, 0, LP_STEP_MAX, &total_steps, error) ||
      !lp_json_get_int_range (object, "epoch", FALSE, 0, LP_EPOCH_MAX, &epoch, error) ||
      !lp_json_get_int_range (object, "total_epochs", FALSE, 0, LP_EPOCH_MAX, &total_epochs, error) ||
      !lp_json_get_array (object, "stages", FALSE, &stages_array, error) ||
      !lp_json_get_int_range (object, "elapsed_s", FALSE, 0, LP_SECONDS_MAX, &elapsed_s, error) ||
      !lp_json_get_int_range (object, "remaining_s", FALSE, -1, LP_SECONDS_MAX, &remaining_s, error) ||
      !lp_json_get_string (object, "gpu_type", FALSE, &gpu_type, error) ||
      !lp_json_get_string (object, "pricing", FALSE, &pricing, error) ||
      !lp_json_get_double_range (object, "hourly_rate", FALSE, -LP_MONEY_MAX, LP_MONEY_MAX, &hourly_rate, error) ||
      !lp_json_get_double_range (object, "cost", FALSE, -LP_MONEY_MAX, LP_MONEY_MAX, &cost, error) ||
      !lp_json_get_double_range (object, "projected_cost", FALSE, -LP_MONEY_MAX, LP_MONEY_MAX, &projected_cost, error) ||
      !lp_json_get_double_range (object, "estimate_min", FALSE, -LP_MONEY_MAX, LP_MONEY_MAX, &estimate_min, error) ||
      !lp_json_get_double_range (object, "estimate_max", FALSE, -LP_MONEY_MAX, LP_MONEY_MAX, &estimate_max, error) ||
      !lp_json_get_string (object, "error", FALSE, &err, error) ||
      !lp_json_get_string (object, "cancel_reason", FALSE, &cancel_reason, error) ||
      !lp_json_get_int_range (object, "queue_position", FALSE, 0, LP_COUNT_MAX, &queue_position, error) ||
      !lp_json_get_string (object, "status_detail", FALSE, &status_detail, error) ||
      !lp_json_get_string (object, "provider", FALSE, &provider, error) ||
      !lp_json_get_string (object, "preset", FALSE, &preset, error) ||
      !lp_json_get_object (object, "config", FALSE, &config, error) ||
      !lp_json_get_object (object, "guard", FALSE, &guard_object, error))
    return FALSE;

  if (guard_object != NULL && !(guard = lp_guard_new_from_json (guard_object, error)))
    {
      g_prefix_error (error, "guard: ");
      return FALSE;
    }

  if (!lp_job_status_from_string (status_str, &status))
    {
      g_set_error (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID,
                   _("“%s” is not a job status"), status_str);
      return FALSE;
    }

  if (stages_array != NULL && !parse_stages (stages_array, stages, error))
    return FALSE;

  g_object_freeze_notify (G_OBJECT (self));
  lp_job_set_id (self, id);
  lp_job_set_name (self, name);
  lp_job_set_status (self, status);
  lp_job_set_created_by (self, created_by);
  lp_job_set_cancelled_by (self, cancelled_by);
  lp_job_set_created_at (self, created_at);
  lp_job_set_started_at (self, started_at);
  lp_job_set_finished_at (self, finished_at);
  lp_job_set_current_step (self, current_step);
  lp_job_set_total_steps (self, total_steps);
  lp_job_set_epoch (self, epoch);
  lp_job_set_total_epochs (self, total_epochs);
  lp_job_set_stages (self, stages);
  lp_job_set_elapsed_s (self, elapsed_s);
  lp_job_set_remaining_s (self, remaining_s);
  lp_job_set_gpu_type (self, gpu_type);
  lp_job_set_pricing (self, pricing);
  lp_job_set_hourly_rate (self, hourly_rate);
  lp_job_set_cost (self, cost);
  lp_job_set_projected_cost (self, projected_cost);
  lp_job_set_estimate (self, estimate_min, estimate_max);
  lp_job_set_error (self, err);
  lp_job_set_cancel_reason (self, cancel_reason);
  lp_job_set_queue_position (self, queue_position);
  lp_job_set_status_detail (self, status_detail);
  lp_job_set_provider (self, provider);
  lp_job_set_preset (self, preset);
  lp_job_set_config (self, config);
  lp_job_set_guard (self, guard);
  g_object_thaw_notify (G_OBJECT (self));

  return TRUE;
}

LpJob *
lp_job_new_from_json (JsonObject  *object,
                      GError     **error)
{
  g_autoptr(LpJob) job = lp_job_new ();

  if (!lp_job_update_from_json (job, object, error))
    return NULL;

  return g_steal_pointer (&job);
}
