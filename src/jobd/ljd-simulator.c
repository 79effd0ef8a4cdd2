/* ljd-simulator.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The simulator posts signed webhook events over HTTP to its own service,
 * exactly as a trainer would, so every simulated run exercises the ingest
 * path the real ones use.
 */
#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include <glib/gi18n-lib.h>

#include "lp-json.h"
#include "ljd-sim-script.h"
#include "ljd-simulator.h"
#include "ljd-timeout.h"
#include "ljd-webhook.h"

/* Events per webhook request; a restart catching up on hours of a run
 * sends them in batches of this size. */
#define MAX_BATCH 500

struct _LjdSimulator
{
  GObject      parent_instance;
  LjdService  *service;     /* weak: the service owns its providers */
  SoupSession *session;
  GHashTable  *runs;        /* job id -> SimRun */
};

typedef struct
{
  LjdSimulator *simulator;  /* weak */
  gint64        job_id;
  char         *secret;
  LjdSimParams  params;
  gint64        origin;     /* real µs at which simulated time 0 fell */
  double        covered;    /* simulated seconds acknowledged by the service */
  GSource      *timer;
  GCancellable *cancellable;
  guint         in_flight : 1;
} SimRun;

static void provider_iface_init (LjdProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LjdSimulator, ljd_simulator, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (LJD_TYPE_PROVIDER, provider_iface_init))

static void
sim_run_free (SimRun *run)
{
  ljd_source_clear (&run->timer);
  if (run->cancellable != NULL)
    g_cancellable_cancel (run->cancellable);
  g_clear_object (&run->cancellable);
  g_free (run->secret);
  ljd_sim_params_clear (&run->params);
  g_free (run);
}

static void
ljd_simulator_dispose (GObject *object)
{
  LjdSimulator *self = (LjdSimulator *) object;

  g_hash_table_remove_all (self->runs);
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (ljd_simulator_parent_class)->dispose (object);
}

static void
ljd_simulator_finalize (GObject *object)
{
  LjdSimulator *self = (LjdSimulator *) object;

  g_clear_pointer (&self->runs, g_hash_table_unref);

  G_OBJECT_CLASS (ljd_simulator_parent_class)->finalize (object);
}

static void
ljd_simulator_class_init (LjdSimulatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ljd_simulator_dispose;
  object_class->finalize = ljd_simulator_finalize;
}

static void
ljd_simulator_init (LjdSimulator *self)
{
  self->runs = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                      (GDestroyNotify) sim_run_free);
  /* The simulator only ever talks to its own service on loopback, where a
   * system proxy would be wrong; NULL turns proxies off for this session. */
  self->session = soup_session_new_with_options ("proxy-resolver", NULL,
                                                 "timeout", 30,
                                                 "user-agent", "lora-jobd-simulator/" PACKAGE_VERSION,
                                                 NULL);
}

LjdSimulator *
ljd_simulator_new (LjdService *service)
{
  LjdSimulator *self = g_object_new (LJD_TYPE_SIMULATOR, NULL);

  self->service = service;
  return self;
}

guint
ljd_simulator_get_n_runs (LjdSimulator *self)
{
  g_return_val_if_fail (LJD_IS_SIMULATOR (self), 0);
  return g_hash_table_size (self->runs);
}

static const char *
ljd_simulator_get_name (LjdProvider *provider)
{
  return "simulator";
}

static gboolean
ljd_simulator_validate_config (LjdProvider  *provider,
                               LpJob        *job,
                               GError      **error)
{
  LjdSimParams params;
  gboolean ok;

  /* The same check the run makes when it starts, so that a config the run
   * would refuse (fail_at_step beyond total_steps) is refused at creation
   * instead of failing the job as soon as it gets a slot. */
  ok = ljd_sim_params_init (&params, lp_job_get_config (job), lp_job_get_total_steps (job),
                            lp_job_get_total_epochs (job), lp_job_get_gpu_type (job),
                            lp_job_get_pricing (job), error);
  ljd_sim_params_clear (&params);

  return ok;
}

typedef struct
{
  LjdSimulator *simulator;
  gint64        job_id;
  double        reached;
  gboolean      done;
} Post;

static void
post_free (Post *post)
{
  g_clear_object (&post->simulator);
  g_free (post);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Post, post_free)

static void
post_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  SoupSession *session = SOUP_SESSION (object);
  g_autoptr(Post) post = user_data;
  g_autoptr(GError) error = NULL;
  GBytes *body = soup_session_send_and_read_finish (session, result, &error);
  SoupMessage *msg = soup_session_get_async_result_message (session, result);
  SimRun *run;
  guint status;

  /* The status says all the simulator needs; the body is only a count. */
  g_clear_pointer (&body, g_bytes_unref);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* Looked up again: the run may have been cancelled meanwhile. */
  if (!(run = g_hash_table_lookup (post->simulator->runs, &post->job_id)))
    return;

  run->in_flight = FALSE;
  status = msg ? soup_message_get_status (msg) : 0;

  if (error == NULL && status == SOUP_STATUS_ACCEPTED)
    {
      run->covered = post->reached;
      if (post->done)
        g_hash_table_remove (post->simulator->runs, &post->job_id);
      return;
    }

  /* 409: the job was cancelled or finished; 404: it was deleted. Either
   * way nobody wants the rest of this run. */
  if (status == SOUP_STATUS_CONFLICT || status == SOUP_STATUS_NOT_FOUND)
    {
      g_hash_table_remove (post->simulator->runs, &post->job_id);
      return;
    }

  g_debug ("Simulator post for job %" G_GINT64_FORMAT " failed (%u %s); retrying",
           post->job_id, status, error ? error->message : "");
}

static void
tick (SimRun *run)
{
  LjdSimulator *self = run->simulator;
  g_autoptr(JsonArray) events = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *url = NULL;
  double scale = ljd_service_get_time_scale (self->service);
  double now_t, reached;
  gboolean done = FALSE;
  Post *post;

  if (run->in_flight)
    return;

  now_t = (g_get_real_time () - run->origin) / (double) G_USEC_PER_SEC * scale;
  events = json_array_new ();
  reached = ljd_sim_collect (&run->params, run->covered, now_t, run->origin, scale,
                             MAX_BATCH, events, &done);

  if (json_array_get_length (events) == 0)
    {
      run->covered = reached;
      if (done)
        {
          gint64 id = run->job_id;
          g_hash_table_remove (self->runs, &id);
        }
      return;
    }

  url = ljd_service_get_webhook_url (self->service, run->job_id);
  if (!(msg = ljd_webhook_message_new (url, run->secret, events)))
    {
      g_warning ("The simulator cannot post to %s", url);
      return;
    }

  post = g_new0 (Post, 1);
  post->simulator = g_object_ref (self);
  post->job_id = run->job_id;
  post->reached = reached;
  post->done = done;

  run->in_flight = TRUE;
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT,
                                    run->cancellable, post_cb, post);
}

static gboolean
tick_cb (gpointer user_data)
{
  tick (user_data);
  return G_SOURCE_CONTINUE;
}

static void
ljd_simulator_start (LjdProvider *provider,
                     LpJob       *job,
                     const char  *webhook_secret,
                     gboolean     reattach)
{
  LjdSimulator *self = LJD_SIMULATOR (provider);
  g_autoptr(GError) error = NULL;
  double scale = ljd_service_get_time_scale (self->service);
  SimRun *run = g_new0 (SimRun, 1);
  guint interval;

  run->simulator = self;
  run->job_id = lp_job_get_id (job);
  run->secret = g_strdup (webhook_secret);
  run->origin = lp_job_get_started_at (job) ? lp_job_get_started_at (job) : g_get_real_time ();
  run->cancellable = g_cancellable_new ();

  if (!ljd_sim_params_init (&run->params, lp_job_get_config (job),
                            lp_job_get_total_steps (job), lp_job_get_total_epochs (job),
                            lp_job_get_gpu_type (job), lp_job_get_pricing (job), &error))
    {
      g_autofree char *message = g_strdup_printf (_("The simulator cannot run this job: %s"),
                                                  error->message);
      sim_run_free (run);
      ljd_service_provider_failed (self->service, lp_job_get_id (job), message);
      return;
    }

  g_hash_table_replace (self->runs, &run->job_id, run);

  /* Simulated work F times faster wants ticks about F times more often,
   * down to 50 ms, which is plenty for any test. */
  interval = (guint) CLAMP (1000.0 / scale, 50.0, 1000.0);
  run->timer = ljd_timeout_attach (g_main_context_get_thread_default (), interval, tick_cb, run, NULL);
  g_source_set_static_name (run->timer, "[lora-jobd] simulator tick");
  tick (run);
}

static void
ljd_simulator_cancel_async (LjdProvider         *provider,
                            LpJob               *job,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  LjdSimulator *self = LJD_SIMULATOR (provider);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  gint64 id = lp_job_get_id (job);

  g_task_set_source_tag (task, ljd_simulator_cancel_async);

  /* Stopping a simulation is instant; the answer still comes from the main
   * loop, as a real provider's would. */
  g_hash_table_remove (self->runs, &id);
  g_task_return_boolean (task, TRUE);
}

static gboolean
ljd_simulator_cancel_finish (LjdProvider   *provider,
                             GAsyncResult  *result,
                             GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
ljd_simulator_forget (LjdProvider *provider,
                      gint64       job_id)
{
  LjdSimulator *self = LJD_SIMULATOR (provider);

  g_hash_table_remove (self->runs, &job_id);
}

static void
provider_iface_init (LjdProviderInterface *iface)
{
  iface->get_name = ljd_simulator_get_name;
  iface->validate_config = ljd_simulator_validate_config;
  iface->start = ljd_simulator_start;
  iface->cancel_async = ljd_simulator_cancel_async;
  iface->cancel_finish = ljd_simulator_cancel_finish;
  iface->forget = ljd_simulator_forget;
}
