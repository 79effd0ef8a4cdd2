/* ljd-sim-script.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "lp-format.h"
#include "lp-json.h"
#include "lp-types.h"
#include "ljd-sim-script.h"

#define DEFAULT_FAIL_MESSAGE \
  "CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.15 GiB total capacity; " \
  "76.80 GiB already allocated; 1.12 GiB free; 77.90 GiB reserved in total by PyTorch)"
#define PEAK_LEARNING_RATE 2e-4

static gboolean
config_int (JsonObject  *config,
            const char  *member,
            gint64       min,
            gint64       fallback,
            gint64      *value,
            GError     **error)
{
  *value = fallback;
  if (!lp_json_get_int (config, member, FALSE, value, error))
    return FALSE;

  if (json_object_has_member (config, member) && *value < min)
    {
      g_set_error (error, LP_JSON_ERROR, LP_JSON_ERROR_RANGE,
                   _("“%s” must be at least %lld"), member, (long long) min);
      return FALSE;
    }

  return TRUE;
}

gboolean
ljd_sim_params_init (LjdSimParams  *params,
                     JsonObject    *config,
                     gint64         total_steps,
                     gint64         total_epochs,
                     const char    *gpu_type,
                     const char    *pricing,
                     GError       **error)
{
  gint64 seed = 1;
  const char *fail_message = NULL, *base_model = NULL;

  memset (params, 0, sizeof *params);
  params->total_steps = MAX (1, total_steps);
  params->total_epochs = MAX (1, total_epochs);
  params->steps_per_hour = 160.0;

  if (!lp_json_get_int (config, "seed", FALSE, &seed, error) ||
      !lp_json_get_double (config, "steps_per_hour", FALSE, &params->steps_per_hour, error) ||
      !config_int (config, "fail_at_step", 1, 0, &params->fail_at_step, error) ||
      !lp_json_get_string (config, "fail_message", FALSE, &fail_message, error) ||
      !config_int (config, "log_every", 1, 10, &params->log_every, error) ||
      !config_int (config, "eval_every", 1, 100, &params->eval_every, error) ||
      !config_int (config, "checkpoint_every", 1, 500, &params->checkpoint_every, error) ||
      !lp_json_get_string (config, "base_model", FALSE, &base_model, error) ||
      !config_int (config, "conversations", 1, 242, &params->conversations, error) ||
      !config_int (config, "stall_at_step", 1, 0, &params->stall_at_step, error) ||
      !config_int (config, "diverge_at_step", 1, 0, &params->diverge_at_step, error) ||
      !lp_json_get_bool (config, "diverge_nan", FALSE, &params->diverge_nan, error) ||
      !config_int (config, "gpu_low_from_step", 1, 0, &params->gpu_low_from_step, error))
    return FALSE;

  if (!(params->steps_per_hour > 0 && params->steps_per_hour <= 1e7))
    {
      g_set_error_literal (error, LP_JSON_ERROR, LP_JSON_ERROR_RANGE,
                           _("“steps_per_hour” must be a positive number"));
      return FALSE;
    }

  {
    static const char *step_keys[] = {
      "fail_at_step", "stall_at_step", "diverge_at_step", "gpu_low_from_step",
    };
    const gint64 steps[] = {
      params->fail_at_step, params->stall_at_step, params->diverge_at_step, params->gpu_low_from_step,
    };

    for (guint i = 0; i < G_N_ELEMENTS (step_keys); i++)
      if (json_object_has_member (config, step_keys[i]) && steps[i] > total_steps)
        {
          g_set_error (error, LP_JSON_ERROR, LP_JSON_ERROR_RANGE,
                       _("“%s” must be at most total_steps (%lld)"),
                       step_keys[i], (long long) total_steps);
          return FALSE;
        }
  }

  params->seed = (guint64) seed;
  params->fail_message = g_strdup (fail_message ? fail_message : DEFAULT_FAIL_MESSAGE);
  params->base_model = g_strdup (base_model ? base_model : "Llama 3 70B");
  params->gpu_type = g_strdup (gpu_type ? gpu_type : "GPU");
  params->pricing = g_strdup (pricing ? pricing : "spot");

  return TRUE;
}

void
ljd_sim_params_clear (LjdSimParams *params)
{
  g_clear_pointer (&params->fail_message, g_free);
  g_clear_pointer (&params->gpu_type, g_free);
  g_clear_pointer (&params->pricing, g_free);
  g_clear_pointer (&params->base_model, g_free);
}

static double
training_seconds (const LjdSimParams *p)
{
  return p->total_steps * 3600.0 / p->steps_per_hour;
}

static double
training_start (void)
{
  return LJD_SIM_PROVISIONING_S + LJD_SIM_PREPROCESSING_S + LJD_SIM_MODEL_LOADING_S;
}

double
ljd_sim_total_seconds (const LjdSimParams *params)
{
  return training_start () + training_seconds (params) + LJD_SIM_FINALIZATION_S;
}

/* splitmix64: a well-mixed hash, so noise depends only on (seed, step). */
static double
noise (guint64 seed,
       gint64  step,
       guint   stream)
{
  guint64 z = seed * 0x9E3779B97F4A7C15ull + (guint64) step * 0xBF58476D1CE4E5B9ull + stream;

  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;

  return (z >> 11) * (1.0 / 9007199254740992.0);
}

static double
base_loss (const LjdSimParams *p,
           gint64              step)
{
  return 0.18 + 1.6 * exp (-5.0 * (double) step / (double) p->total_steps);
}

double
ljd_sim_train_loss (const LjdSimParams *p,
                    gint64              step)
{
  return base_loss (p, step) + (noise (p->seed, step, 1) - 0.5) * 0.06;
}

static double
val_loss (const LjdSimParams *p,
          gint64              step)
{
  return base_loss (p, step) + 0.02 + (noise (p->seed, step, 2) - 0.5) * 0.02;
}

/* Linear warm-up over the first 5 % of steps, then cosine decay. */
static double
learning_rate (const LjdSimParams *p,
               gint64              step)
{
  double warmup = MAX (1.0, p->total_steps * 0.05);

  if (step < warmup)
    return PEAK_LEARNING_RATE * step / warmup;

  return PEAK_LEARNING_RATE * 0.5 *
         (1.0 + cos (G_PI * (step - warmup) / MAX (1.0, p->total_steps - warmup)));
}

static gboolean
diverged (const LjdSimParams *p,
          gint64              step)
{
  return p->diverge_at_step > 0 && step >= p->diverge_at_step;
}

/* Sets a reported loss, as a trainer would send it: a diverged run's is
 * ten times too high, or the string "NaN", since JSON has no NaN. */
static void
set_loss (JsonObject         *data,
          const char         *member,
          const LjdSimParams *p,
          gint64              step,
          double              value)
{
  if (diverged (p, step) && p->diverge_nan)
    json_object_set_string_member (data, member, "NaN");
  else
    json_object_set_double_member (data, member,
                                   round ((diverged (p, step) ? value * 10 : value) * 10000) / 10000);
}

/* Mostly 85-95 %, with an occasional dip that a real run sees when data
 * loading stalls; a starved GPU (gpu_low_from_step) idles around 30 %. */
static double
gpu_util (const LjdSimParams *p,
          gint64              step,
          gboolean           *dip)
{
  if (p->gpu_low_from_step > 0 && step >= p->gpu_low_from_step)
    {
      /* A steady low is not a dip: the trainer's own dip warnings are for
       * the odd slow batch. */
      *dip = FALSE;
      return round (27 + noise (p->seed, step, 4) * 6);
    }

  *dip = noise (p->seed, step, 3) < 0.03;

  if (*dip)
    return round (35 + noise (p->seed, step, 4) * 14);

  return round (85 + noise (p->seed, step, 5) * 10);
}

typedef struct
{
  const LjdSimParams *params;
  gint64              origin;
  double              scale;
  JsonArray          *out;
} Emitter;

/* With microseconds, where the API's own times have whole seconds: at
 * --time-scale 1000 a simulated quarter of an hour is under a real second,
 * and the service judges durations (five minutes of an idle GPU) from the
 * times a trainer gives its points. */
static char *
sim_timestamp (gint64 usec)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  g_autofree char *seconds = dt ? g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S") : NULL;

  if (seconds == NULL)
    return NULL;

  return g_strdup_printf ("%s.%06dZ", seconds, (int) (usec % G_USEC_PER_SEC));
}

static JsonObject *
emit (Emitter    *e,
      double      t,
      const char *event_id,
      const char *type,
      const char *message)
{
  JsonObject *event = json_object_new ();
  JsonObject *data = json_object_new ();
  g_autofree char *ts = sim_timestamp (e->origin + (gint64) (t / e->scale * G_USEC_PER_SEC));

  json_object_set_string_member (event, "event_id", event_id);
  json_object_set_string_member (event, "type", type);
  json_object_set_string_member (event, "ts", ts);
  if (message != NULL)
    json_object_set_string_member (event, "message", message);
  json_object_set_object_member (event, "data", data);
  json_array_add_object_element (e->out, event);

  return data;
}

static void
emit_stage (Emitter    *e,
            double      t,
            const char *stage,
            const char *status,
            const char *substatus)
{
  g_autofree char *id = g_strdup_printf ("sim-stage-%s-%s", stage, status);
  JsonObject *data = emit (e, t, id, "stage", NULL);

  json_object_set_string_member (data, "stage", stage);
  json_object_set_string_member (data, "status", status);
  if (substatus != NULL)
    json_object_set_string_member (data, "substatus", substatus);
}

static void
emit_status (Emitter    *e,
             double      t,
             const char *status,
             const char *message,
             const char *error)
{
  g_autofree char *id = g_strdup_printf ("sim-status-%s", status);
  JsonObject *data = emit (e, t, id, "status", message);

  json_object_set_string_member (data, "status", status);
  if (error != NULL)
    json_object_set_string_member (data, "error", error);
}

/* Returns FALSE when the run ends at this step (a configured failure). */
static gboolean
emit_step (Emitter *e,
           double   t,
           gint64   s)
{
  const LjdSimParams *p = e->params;
  double epoch = (double) s / p->total_steps * p->total_epochs;

  if (p->fail_at_step > 0 && s == p->fail_at_step)
    {
      g_autofree char *id = g_strdup_printf ("sim-error-%" G_GINT64_FORMAT, s);
      g_autofree char *mid = g_strdup_printf ("sim-metrics-%" G_GINT64_FORMAT, s);
      JsonObject *data;

      /* The last step reached is reported before the crash, so the job
       * says where it failed rather than where it last logged. */
      data = emit (e, t, mid, "metrics", NULL);
      json_object_set_int_member (data, "step", s);
      json_object_set_double_member (data, "epoch", round (epoch * 1000) / 1000);
      set_loss (data, "train_loss", p, s, ljd_sim_train_loss (p, s));

      data = emit (e, t, id, "error", p->fail_message);

      json_object_set_int_member (data, "step", s);
      json_object_set_string_member (data, "error", p->fail_message);
      json_object_set_string_member (data, "exception", "torch.cuda.OutOfMemoryError");
      json_object_set_string_member (data, "traceback",
                                     "Traceback (most recent call last):\n"
                                     "  File \"train.py\", line 212, in <module>\n"
                                     "    trainer.train()\n"
                                     "  File \"transformers/trainer.py\", line 1859, in train\n"
                                     "    return inner_training_loop(\n"
                                     "torch.cuda.OutOfMemoryError: CUDA out of memory.");

      {
        g_autofree char *sid = g_strdup ("sim-stage-training-failed");
        JsonObject *sdata = emit (e, t, sid, "stage", NULL);

        json_object_set_string_member (sdata, "stage", "training");
        json_object_set_string_member (sdata, "status", "failed");
        json_object_set_string_member (sdata, "error", p->fail_message);
      }
      emit_status (e, t, "failed", NULL, p->fail_message);
      return FALSE;
    }

  if (s % p->log_every == 0 || s == p->total_steps)
    {
      g_autofree char *id = g_strdup_printf ("sim-metrics-%" G_GINT64_FORMAT, s);
      JsonObject *data = emit (e, t, id, "metrics", NULL);
      gboolean dip;
      double util = gpu_util (p, s, &dip);

      json_object_set_int_member (data, "step", s);
      json_object_set_double_member (data, "epoch", round (epoch * 1000) / 1000);
      set_loss (data, "train_loss", p, s, ljd_sim_train_loss (p, s));
      if (s % p->eval_every == 0 || s == p->total_steps)
        set_loss (data, "val_loss", p, s, val_loss (p, s));
      json_object_set_double_member (data, "learning_rate", learning_rate (p, s));
      json_object_set_double_member (data, "gpu_util", util);

      if (dip)
        {
          g_autofree char *wid = g_strdup_printf ("sim-gpu-%" G_GINT64_FORMAT, s);
          g_autofree char *message =
            g_strdup_printf (_("GPU utilization dropped to %.0f%% (possible throttling)"), util);
          JsonObject *wdata = emit (e, t, wid, "warning", message);

          json_object_set_int_member (wdata, "step", s);
          json_object_set_double_member (wdata, "gpu_util", util);
        }
    }

  if (s % p->checkpoint_every == 0 && s < p->total_steps)
    {
      g_autofree char *id = g_strdup_printf ("sim-checkpoint-%" G_GINT64_FORMAT, s);
      g_autofree char *path = g_strdup_printf ("/workspace/output/checkpoint-%" G_GINT64_FORMAT, s);
      JsonObject *data = emit (e, t, id, "checkpoint", NULL);

      json_object_set_int_member (data, "step", s);
      json_object_set_string_member (data, "path", path);
    }

  return TRUE;
}

double
ljd_sim_collect (const LjdSimParams *p,
                 double              t0,
                 double              t1,
                 gint64              origin_usec,
                 double              time_scale,
                 guint               max_events,
                 JsonArray          *out,
                 gboolean           *done)
{
  Emitter e = { p, origin_usec, time_scale > 0 ? time_scale : 1.0, out };
  double tp = LJD_SIM_PROVISIONING_S;
  double ta = tp + LJD_SIM_PREPROCESSING_S;
  double tb = ta + LJD_SIM_MODEL_LOADING_S;
  double tc = tb + training_seconds (p);
  double td = tc + LJD_SIM_FINALIZATION_S;
  double step_s = 3600.0 / p->steps_per_hour;

  *done = FALSE;

#define CROSSES(t) (t0 < (t) && (t) <= t1)

  if (CROSSES (tp))
    {
      g_autofree char *started = g_strdup_printf (_("Training started (GPU: %s %s)"),
                                                  p->gpu_type,
                                                  g_str_equal (p->pricing, "spot") ? "spot" : "on-demand");
      g_autofree char *tokenizing = g_strdup_printf (_("Tokenizing %lld conversations..."),
                                                     (long long) p->conversations);

      emit_status (&e, tp, "training", started, NULL);
      emit_stage (&e, tp, "preprocessing", "active", tokenizing);
    }

  if (CROSSES (ta))
    {
      g_autofree char *loading = g_strdup_printf (_("Loading %s model..."), p->base_model);

      emit_stage (&e, ta, "preprocessing", "completed", NULL);
      emit_stage (&e, ta, "model_loading", "active", loading);
    }

  if (CROSSES (tb))
    {
      emit_stage (&e, tb, "model_loading", "completed", NULL);
      emit_stage (&e, tb, "training", "active", NULL);
    }

  if (t1 > tb && t0 < tc)
    {
      /* Steps whose time lies in (t0, t1]. */
      gint64 first = (gint64) floor ((MAX (t0, tb) - tb) / step_s) + 1;
      gint64 last = (gint64) floor ((MIN (t1, tc) - tb) / step_s + 1e-9);

      last = MIN (last, p->total_steps);
      if (p->stall_at_step > 0)
        last = MIN (last, p->stall_at_step);
      for (gint64 s = MAX (1, first); s <= last; s++)
        {
          double t = tb + s * step_s;

          if (!emit_step (&e, t, s))
            {
              *done = TRUE;
              return t;
            }

          if (json_array_get_length (out) >= max_events && s < last)
            return t;
        }
    }

  /* A stalled run reports nothing after its stall step and never ends:
   * only a cancel stops it. */
  if (p->stall_at_step > 0 && t1 > tb)
    return t1;

  if (CROSSES (tc))
    {
      emit_stage (&e, tc, "training", "completed", NULL);
      emit_stage (&e, tc, "finalization", "active", _("Saving adapters..."));
    }

  if (CROSSES (td))
    {
      emit_stage (&e, td, "finalization", "completed", NULL);
      emit_status (&e, td, "completed", NULL, NULL);
    }

#undef CROSSES

  if (t1 >= td)
    *done = TRUE;

  return t1;
}
