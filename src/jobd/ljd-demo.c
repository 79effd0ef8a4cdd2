/* ljd-demo.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The demo history is made of simulated runs replayed through the service's
 * own ingest code, so every finished job has the stages, curve, events and
 * cost a real one would have. Running and queued jobs are left to the
 * simulator, which carries them on live.
 */
#include "config.h"

#include <math.h>

#include <glib/gi18n-lib.h>

#include "lp-trainer-event.h"
#include "ljd-demo.h"
#include "ljd-sim-script.h"

#define N_HISTORY 293
#define HISTORY_DAYS 90

typedef struct
{
  const char *name;
  double      spot;
  double      on_demand;
} Gpu;

static const Gpu gpus[] = {
  { "H100 PCIe 80GB", 2.49, 3.99 },
  { "H100 SXM 80GB", 2.99, 3.47 },
  { "A100 SXM 80GB", 1.19, 1.89 },
  { "L40S 48GB", 0.79, 1.14 },
  { "8x H100 SXM", 19.92, 27.60 },
};

static const char *clients[] = {
  "Elena Morales", "Atlas Legal", "Northwind", "Helios Health", "Brightline",
  "Kestrel Insurance", "Orchid Retail", "Summit Bank", "Juniper Labs", "Vega Travel",
};

static const char *domains[] = {
  "Financial", "Contracts", "Support Chat", "Claims", "Product QA",
  "Onboarding", "Compliance", "Sales Emails", "Medical Notes", "Itineraries",
};

static const char *presets[] = { "fast", "balanced", "quality" };

static const char *
pick (GRand       *rand,
      const char **items,
      guint        n)
{
  return items[g_rand_int_range (rand, 0, (gint32) n)];
}

static LpJob *
new_job (GRand      *rand,
         const char *name,
         const char *user,
         gint64      created_at,
         gint64      total_steps,
         double      steps_per_hour,
         double      estimate_bias)
{
  const Gpu *gpu = &gpus[g_rand_int_range (rand, 0, G_N_ELEMENTS (gpus))];
  gboolean spot = g_rand_boolean (rand);
  double rate = spot ? gpu->spot : gpu->on_demand;
  g_autoptr(JsonObject) config = json_object_new ();
  LpJob *job = lp_job_new ();
  double hours, mid;

  json_object_set_int_member (config, "seed", g_rand_int (rand));
  json_object_set_double_member (config, "steps_per_hour", steps_per_hour);
  json_object_set_int_member (config, "log_every", 20);

  /* The estimate assumes a nominal speed; runs slower than planned are the
   * ones that go over it. */
  hours = (total_steps / (steps_per_hour * estimate_bias) * 3600.0 + 1482.0) / 3600.0;
  mid = hours * rate;

  lp_job_set_name (job, name);
  lp_job_set_status (job, LP_JOB_STATUS_QUEUED);
  lp_job_set_created_by (job, user);
  lp_job_set_created_at (job, created_at);
  lp_job_set_total_steps (job, total_steps);
  lp_job_set_total_epochs (job, g_rand_int_range (rand, 2, 5));
  lp_job_set_gpu_type (job, gpu->name);
  lp_job_set_pricing (job, spot ? "spot" : "on_demand");
  lp_job_set_hourly_rate (job, rate);
  lp_job_set_estimate (job, round (mid * 0.9), MAX (round (mid * 0.9) + 1, round (mid * 1.1)));
  lp_job_set_preset (job, pick (rand, presets, G_N_ELEMENTS (presets)));
  lp_job_set_provider (job, "simulator");
  lp_job_set_config (job, config);

  return job;
}

static gboolean
insert (LjdService  *service,
        LpJob       *job,
        gint64       started_at,
        GError     **error)
{
  LjdStore *store = ljd_service_get_store (service);
  g_autofree char *secret = g_compute_checksum_for_string (G_CHECKSUM_SHA256,
                                                           lp_job_get_name (job), -1);
  g_autoptr(JsonObject) queued = json_object_new ();

  if (!ljd_store_begin (store, error))
    return FALSE;

  json_object_set_string_member (queued, "status", "queued");
  json_object_set_string_member (queued, "source", "service");
  if (!ljd_store_insert_job (store, job, secret, error) ||
      ljd_store_add_event (store, lp_job_get_id (job), lp_job_get_created_at (job),
                           LP_EVENT_STATUS, _("Job queued at position 1"), queued,
                           NULL, NULL, error) < 0 ||
      !ljd_store_commit (store, error))
    {
      ljd_store_rollback (store);
      return FALSE;
    }

  /* Started jobs go through the service's own bookkeeping, in the past. */
  if (started_at != 0)
    {
      if (!ljd_service_record_start (service, lp_job_get_id (job), started_at, error))
        return FALSE;
      lp_job_set_status (job, LP_JOB_STATUS_PROVISIONING);
      lp_job_set_started_at (job, started_at);
    }

  return TRUE;
}

/* Replays simulated time [0, until] of @job through the ingest path. */
static gboolean
replay (LjdService  *service,
        LpJob       *job,
        double       until,
        GError     **error)
{
  LjdSimParams params;
  g_autoptr(JsonArray) events = json_array_new ();
  g_autoptr(GPtrArray) parsed = g_ptr_array_new_with_free_func ((GDestroyNotify) lp_trainer_event_free);
  gboolean done;
  guint accepted, duplicates;

  if (!ljd_sim_params_init (&params, lp_job_get_config (job), lp_job_get_total_steps (job),
                            lp_job_get_total_epochs (job), lp_job_get_gpu_type (job),
                            lp_job_get_pricing (job), error))
    return FALSE;

  ljd_sim_collect (&params, -1, until, lp_job_get_started_at (job), 1.0, G_MAXUINT, events, &done);
  ljd_sim_params_clear (&params);

  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      LpTrainerEvent *event = lp_trainer_event_new_from_json (json_array_get_object_element (events, i), error);

      if (event == NULL)
        return FALSE;
      g_ptr_array_add (parsed, event);
    }

  if (parsed->len == 0)
    return TRUE;

  return ljd_service_ingest_events (service, lp_job_get_id (job), parsed, &accepted, &duplicates, error);
}

gboolean
ljd_demo_seed (LjdService  *service,
               GError     **error)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20251218);
  gint64 now = g_get_real_time ();
  const char *users[] = { g_get_user_name (), "Elena Morales", "John Smith", "Priya Patel", "Marcus Chen" };

  /* History: finished jobs spread over the last 90 days. */
  for (guint i = 0; i < N_HISTORY; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s %s%s", pick (rand, clients, G_N_ELEMENTS (clients)),
                                               pick (rand, domains, G_N_ELEMENTS (domains)),
                                               g_rand_int_range (rand, 0, 3) == 0 ? " v2" : "");
      gint64 total_steps = 500 * g_rand_int_range (rand, 2, 7);
      double sph = g_rand_double_range (rand, 130, 220);
      double bias = g_rand_int_range (rand, 0, 10) == 0 ? 0.75 : g_rand_double_range (rand, 0.95, 1.08);
      gint64 created = now - (gint64) (g_rand_double_range (rand, 1.2, HISTORY_DAYS) * G_TIME_SPAN_DAY);
      gint64 started = created + (gint64) (g_rand_double_range (rand, 0, 2) * G_TIME_SPAN_HOUR);
      g_autoptr(LpJob) job = new_job (rand, name, users[g_rand_int_range (rand, 0, G_N_ELEMENTS (users))],
                                      created, total_steps, sph * bias, 1.0 / bias);
      int kind = g_rand_int_range (rand, 0, 100);
      LjdSimParams params;
      double total_s;

      if (!ljd_sim_params_init (&params, lp_job_get_config (job), total_steps, 3, NULL, NULL, error))
        return FALSE;
      total_s = ljd_sim_total_seconds (&params);
      ljd_sim_params_clear (&params);

      if (kind < 14)
        {
          /* Fails part-way, as a run out of memory does. */
          JsonObject *config = lp_job_get_config (job);
          json_object_set_int_member (config, "fail_at_step",
                                      g_rand_int_range (rand, 1, (gint32) total_steps));
        }

      if (!insert (service, job, started, error))
        return FALSE;

      if (kind >= 14 && kind < 28)
        {
          double cut = g_rand_double_range (rand, 0.1, 0.9) * total_s;
          gint64 when = started + (gint64) (cut * G_USEC_PER_SEC);

          if (!replay (service, job, cut, error) ||
              !ljd_service_cancel_at (service, lp_job_get_id (job),
                                      lp_cancel_reason_to_string (g_rand_int_range (rand, 0, LP_N_CANCEL_REASONS)),
                                      users[g_rand_int_range (rand, 0, G_N_ELEMENTS (users))],
                                      when, error))
            return FALSE;
        }
      else if (!replay (service, job, total_s + 1, error))
        return FALSE;
    }

  /* Two runs in progress, the first one the brief's own example. */
  {
    struct {
      const char *name;
      gint64      steps;
      double      sph;
      gint64      started_ago_s;
      const char *gpu;
      double      rate;
      double      est_min, est_max;
    } running[] = {
      { "Elena Morales Financial", 2000, 139.2, 6 * 3600 + 23 * 60, "H100 SXM 80GB", 3.47, 45, 55 },
      { "Atlas Legal Contracts", 1500, 150.0, 8 * 3600 + 40 * 60, "A100 SXM 80GB", 1.19, 11, 14 },
    };

    for (guint i = 0; i < G_N_ELEMENTS (running); i++)
      {
        g_autoptr(LpJob) job = new_job (rand, running[i].name, users[i], 0,
                                        running[i].steps, running[i].sph, 1.0);
        gint64 started = now - running[i].started_ago_s * G_USEC_PER_SEC;
        JsonObject *config = lp_job_get_config (job);

        json_object_set_int_member (config, "log_every", 10);
        lp_job_set_created_at (job, started - 12 * G_TIME_SPAN_MINUTE);
        lp_job_set_total_epochs (job, 3);
        lp_job_set_gpu_type (job, running[i].gpu);
        lp_job_set_pricing (job, "on_demand");
        lp_job_set_hourly_rate (job, running[i].rate);
        lp_job_set_estimate (job, running[i].est_min, running[i].est_max);
        lp_job_set_preset (job, "balanced");

        if (!insert (service, job, started, error))
          return FALSE;
      }
  }

  /* The queue: six waiting, so that with one slot free the demo shows two
   * training, one provisioning and five queued. */
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s %s", clients[(i * 3 + 2) % G_N_ELEMENTS (clients)],
                                               domains[(i * 7 + 1) % G_N_ELEMENTS (domains)]);
      g_autoptr(LpJob) job = new_job (rand, name, users[(i + 1) % G_N_ELEMENTS (users)],
                                      now - (gint64) (110 - i * 15) * G_TIME_SPAN_MINUTE,
                                      500 * g_rand_int_range (rand, 2, 6), 160, 1.0);

      json_object_set_int_member (lp_job_get_config (job), "log_every", 10);

      if (!insert (service, job, 0, error))
        return FALSE;
    }

  return TRUE;
}
