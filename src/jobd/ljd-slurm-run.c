/* ljd-slurm-run.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One job's life in Slurm. ljd_slurm_run_step() is the one place that
 * decides a run's next request: submit, find a submit whose answer was
 * lost, watch, signal, kill. Each answer updates the run and schedules the
 * next step, so slurmrestd never gets more than one request per job at a
 * time, and a restart resumes from the provider state saved with the job.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "lp-format.h"
#include "lp-json.h"
#include "ljd-slurm-config.h"
#include "ljd-slurm-private.h"
#include "ljd-timeout.h"

/* While a cancel waits for Slurm: often, for a few seconds. */
#define CANCEL_POLL_MS 500
#define FIRST_BACKOFF_MS 1000
#define MAX_BACKOFF_MS (60 * 1000)
/* Between Slurm's last word on a failed job and reading the tail of its
 * output: the follower reads the file every half second. */
#define SETTLE_MS 1200
/* After the kill, how long Slurm may take to show the job ended (its
 * KillWait and epilog) before the cancel gives up on confirming it. */
#define KILL_CONFIRM_MS (3 * 60 * 1000)
#define COMMENT_PREFIX "lora-jobd job "

/* Runs */

static void send_signal  (LjdSlurmRun *run,
                          const char  *signal_name);

void
ljd_slurm_run_stop_follower (LjdSlurmRun *run)
{
  if (run->follower == NULL)
    return;

  g_clear_signal_handler (&run->state_handler, run->follower);
  g_clear_signal_handler (&run->finished_handler, run->follower);
  ljd_log_follower_stop (run->follower);
  g_clear_object (&run->follower);
}

void
ljd_slurm_run_free (LjdSlurmRun *run)
{
  ljd_source_clear (&run->timer);
  ljd_slurm_run_stop_follower (run);
  /* Only a run replaced by a new start of its job can still hold one. */
  if (run->cancel_task != NULL)
    {
      g_task_return_boolean (run->cancel_task, TRUE);
      g_clear_object (&run->cancel_task);
    }
  g_free (run->secret);
  g_clear_object (&run->job);
  g_clear_pointer (&run->config, json_object_unref);
  g_free (run->nonce);
  g_free (run->output);
  g_free (run->state);
  g_free (run->detail);
  g_free (run->reason);
  g_free (run->end_message);
  g_free (run);
}

LjdSlurmRun *
ljd_slurm_run_new (LjdSlurm *self,
                   LpJob    *job)
{
  LjdSlurmRun *run = g_new0 (LjdSlurmRun, 1);

  run->slurm = self;
  run->job_id = lp_job_get_id (job);
  run->serial = ++self->next_serial;
  run->job = g_object_ref (job);
  run->config = json_object_ref (lp_job_get_config (job));
  g_hash_table_replace (self->runs, &run->job_id, run);

  return run;
}

static LjdSlurmRun *
run_lookup (LjdSlurm *self,
            gint64    job_id,
            guint     serial)
{
  LjdSlurmRun *run = g_hash_table_lookup (self->runs, &job_id);

  return run != NULL && run->serial == serial ? run : NULL;
}

/* Removes (and frees) @run. */
void
ljd_slurm_run_remove (LjdSlurmRun *run)
{
  gint64 id = run->job_id;

  g_hash_table_remove (run->slurm->runs, &id);
}

/* Provider state */

void
ljd_slurm_state_save (LjdSlurmRun *run)
{
  LjdSlurm *self = run->slurm;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  json_builder_begin_object (builder);
  lp_json_add_string_or_null (builder, "nonce", run->nonce);
  json_builder_set_member_name (builder, "slurm_job_id");
  if (run->slurm_id > 0)
    json_builder_add_int_value (builder, run->slurm_id);
  else
    json_builder_add_null_value (builder);
  lp_json_add_string_or_null (builder, "output", run->output);
  lp_json_add_string_or_null (builder, "state", run->state);
  lp_json_add_string_or_null (builder, "detail", run->detail);
  json_builder_set_member_name (builder, "start_time");
  json_builder_add_int_value (builder, run->start_time);
  if (run->follower != NULL)
    {
      json_builder_set_member_name (builder, "follower");
      json_builder_begin_object (builder);
      ljd_log_follower_save_state (run->follower, builder);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  text = lp_json_builder_to_string (builder);

  /* A job deleted meanwhile has no row, and nothing left to watch. */
  if (!ljd_store_set_provider_state (ljd_service_get_store (self->service), run->job_id, text, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_warning ("Cannot record Slurm job %" G_GINT64_FORMAT " of job %" G_GINT64_FORMAT ": %s",
               run->slurm_id, run->job_id, error->message);
}

void
ljd_slurm_state_clear (LjdSlurmState *state)
{
  g_clear_pointer (&state->nonce, g_free);
  g_clear_pointer (&state->output, g_free);
  g_clear_pointer (&state->state, g_free);
  g_clear_pointer (&state->detail, g_free);
  g_clear_pointer (&state->follower, json_object_unref);
}

gboolean
ljd_slurm_state_load (LjdSlurm      *self,
                      gint64         job_id,
                      LjdSlurmState *state)
{
  g_autofree char *text = ljd_store_get_provider_state (ljd_service_get_store (self->service), job_id);
  g_autoptr(JsonObject) obj = NULL;
  const char *value = NULL;
  JsonObject *follower = NULL;

  memset (state, 0, sizeof *state);
  if (text == NULL || !(obj = lp_json_parse_object (text, strlen (text), NULL)))
    return FALSE;

  if (lp_json_get_string (obj, "nonce", FALSE, &value, NULL) && value != NULL)
    state->nonce = g_strdup (value);
  lp_json_get_int (obj, "slurm_job_id", FALSE, &state->slurm_id, NULL);
  value = NULL;
  if (lp_json_get_string (obj, "output", FALSE, &value, NULL) && value != NULL)
    state->output = g_strdup (value);
  value = NULL;
  if (lp_json_get_string (obj, "state", FALSE, &value, NULL) && value != NULL)
    state->state = g_strdup (value);
  value = NULL;
  if (lp_json_get_string (obj, "detail", FALSE, &value, NULL) && value != NULL)
    state->detail = g_strdup (value);
  lp_json_get_int (obj, "start_time", FALSE, &state->start_time, NULL);
  if (lp_json_get_object (obj, "follower", FALSE, &follower, NULL) && follower != NULL)
    state->follower = json_object_ref (follower);

  return state->nonce != NULL || state->slurm_id > 0;
}

static char *
webhook_url (LjdSlurm *self,
             gint64    job_id)
{
  if (self->public_url != NULL)
    return g_strdup_printf ("%s/api/training/jobs/%" G_GINT64_FORMAT "/webhook", self->public_url, job_id);

  return ljd_service_get_webhook_url (self->service, job_id);
}

static char *
comment_for (LjdSlurmRun *run)
{
  return g_strdup_printf (COMMENT_PREFIX "%" G_GINT64_FORMAT " %s", run->job_id, run->nonce);
}

/* What a request holds instead of the run, which may be gone (forgotten,
 * replaced) when slurmrestd answers. */
typedef struct
{
  gint64 job_id;
  guint  serial;
} RunRef;

static RunRef *
run_ref (LjdSlurmRun *run)
{
  RunRef *ref = g_new (RunRef, 1);

  ref->job_id = run->job_id;
  ref->serial = run->serial;
  run->in_flight = TRUE;
  return ref;
}

static LjdSlurmRun *
run_from_ref (LjdSlurm *self,
              RunRef   *ref)
{
  LjdSlurmRun *run = run_lookup (self, ref->job_id, ref->serial);

  if (run != NULL)
    run->in_flight = FALSE;
  return run;
}

/* Events the provider writes itself */

static void
add_event (LjdSlurmRun *run,
           LpEventType  type,
           const char  *message,
           const char  *source_id,
           JsonObject  *extra)
{
  LjdSlurm *self = run->slurm;
  g_autoptr(JsonObject) payload = extra ? json_object_ref (extra) : json_object_new ();
  g_autoptr(GError) error = NULL;
  gboolean duplicate = FALSE;

  json_object_set_string_member (payload, "source", "slurm");
  if (run->slurm_id > 0)
    json_object_set_int_member (payload, "slurm_job_id", run->slurm_id);

  if (ljd_store_add_event (ljd_service_get_store (self->service), run->job_id, g_get_real_time (),
                           type, message, payload, source_id, &duplicate, &error) < 0 &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_warning ("Cannot record an event of Slurm job %" G_GINT64_FORMAT ": %s",
               run->slurm_id, error->message);
}

/* Scheduling */

static gboolean
run_timer_cb (gpointer user_data)
{
  LjdSlurmRun *run = user_data;

  g_clear_pointer (&run->timer, g_source_unref);
  ljd_slurm_run_step (run);
  return G_SOURCE_REMOVE;
}

static void
run_schedule (LjdSlurmRun *run,
              guint        delay_ms)
{
  ljd_source_clear (&run->timer);
  run->timer = ljd_timeout_attach (run->slurm->context, delay_ms, run_timer_cb, run, NULL);
}

static guint
poll_delay (LjdSlurmRun *run)
{
  return run->cancel_task != NULL ? MIN (CANCEL_POLL_MS, run->slurm->poll_ms) : run->slurm->poll_ms;
}

/* slurmrestd answered as it should: the trouble, if any, is over. */
static void
run_recovered (LjdSlurmRun *run)
{
  LjdSlurm *self = run->slurm;

  if (run->outage_warned)
    {
      g_autofree char *span = lp_format_duration ((g_get_monotonic_time () - run->trouble_since) / G_USEC_PER_SEC);
      g_autofree char *message = g_strdup_printf (_("slurmrestd answers again, after %s"), span);

      add_event (run, LP_EVENT_STATUS, message, NULL, NULL);
      g_message ("Slurm job %" G_GINT64_FORMAT ": %s", run->slurm_id, message);
    }

  if (run->auth_warned_generation != 0)
    {
      add_event (run, LP_EVENT_STATUS, _("Slurm accepts the renewed token"), NULL, NULL);
      g_message ("Slurm job %" G_GINT64_FORMAT ": Slurm accepts the renewed token", run->slurm_id);
      run->auth_warned_generation = 0;
    }

  if (self->refused_generation == ljd_slurm_token_get_generation (self->token))
    self->refused_generation = 0;

  run->outage_warned = FALSE;
  run->trouble_since = 0;
  run->backoff_ms = 0;
}

static void run_fail_job (LjdSlurmRun *run,
                          const char  *message);

/* Backs off after a failure that may pass. */
static void
run_backoff (LjdSlurmRun *run)
{
  LjdSlurm *self = run->slurm;
  guint max = MIN (MAX_BACKOFF_MS, MAX (8 * self->poll_ms, FIRST_BACKOFF_MS));

  if (run->backoff_ms == 0)
    run->backoff_ms = MIN (FIRST_BACKOFF_MS, self->poll_ms);
  else
    run->backoff_ms = MIN (run->backoff_ms * 2, max);

  run_schedule (run, run->backoff_ms);
}

/* Whether the job may still wait: a submit that keeps failing fails the
 * job once it has failed for longer than the retry limit. */
static gboolean
run_may_wait (LjdSlurmRun *run,
              const char  *problem)
{
  LjdSlurm *self = run->slurm;
  gint64 now = g_get_monotonic_time ();

  if (run->trouble_since == 0)
    run->trouble_since = now;

  if (run->slurm_id == 0 && !run->maybe_submitted && run->cancel_task == NULL &&
      now - run->trouble_since >= (gint64) self->retry_limit_ms * 1000)
    {
      guint minutes = MAX (1u, (self->retry_limit_ms + 59999) / 60000);
      g_autofree char *span = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u minute", "%u minutes", minutes),
                                               minutes);
      g_autofree char *message = g_strdup_printf (_("The job could not be submitted to Slurm for %s (%s)"),
                                                  span, problem);
      run_fail_job (run, message);
      return FALSE;
    }

  return TRUE;
}

/* slurmrestd or slurmctld is away: the job keeps its state, and its event
 * log says so once. May free @run. */
static void
run_transient (LjdSlurmRun         *run,
               const LjdSlurmReply *reply)
{
  g_debug ("Slurm request for job %" G_GINT64_FORMAT " failed (%s); retrying", run->job_id, reply->problem);

  if (!run_may_wait (run, reply->problem))
    return;

  if (!run->outage_warned)
    {
      g_autofree char *message = NULL;

      if (run->slurm_id > 0)
        message = g_strdup_printf (_("Cannot reach Slurm (%s); Slurm job %" G_GINT64_FORMAT " keeps running "
                                     "there and the service keeps trying"),
                                   reply->problem, run->slurm_id);
      else
        message = g_strdup_printf (_("Cannot reach Slurm to submit the job (%s); the service keeps trying"),
                                   reply->problem);
      add_event (run, LP_EVENT_WARNING, message, NULL, NULL);
      g_message ("Job %" G_GINT64_FORMAT ": %s", run->job_id, message);
      run->outage_warned = TRUE;
    }

  run_backoff (run);
}

/* Slurm does not take the token: one error event per token, and another
 * try whenever the file changes. May free @run. */
static void
run_auth (LjdSlurmRun *run,
          const char  *detail)
{
  LjdSlurm *self = run->slurm;

  if (!run_may_wait (run, detail ? detail : ljd_slurm_token_get_problem (self->token)))
    return;

  self->refused_generation = ljd_slurm_token_get_generation (self->token);
  if (run->auth_warned_generation != ljd_slurm_token_get_generation (self->token))
    {
      g_autofree char *message = ljd_slurm_token_describe_refusal (self->token, ljd_slurm_user_name (self), detail);

      add_event (run, LP_EVENT_ERROR, message, NULL, NULL);
      g_message ("Job %" G_GINT64_FORMAT ": %s", run->job_id, message);
      run->auth_warned_generation = ljd_slurm_token_get_generation (self->token);
    }

  /* The same token again only now and then (a clock set right, a key
   * restored), but the file is looked at every poll: a renewed token is
   * tried at once. */
  run_backoff (run);
  run->auth_retry_at = g_get_monotonic_time () + (gint64) run->backoff_ms * 1000;
  run_schedule (run, MIN (run->backoff_ms, run->slurm->poll_ms));
}

/* The job ends here, from the provider's own word. May free @run. */
static void
run_fail_job (LjdSlurmRun *run,
              const char  *message)
{
  LjdSlurm *self = run->slurm;
  gint64 id = run->job_id;
  g_autofree char *redacted = ljd_slurm_token_redact (self->token, message);

  g_message ("Slurm provider: job %" G_GINT64_FORMAT " failed: %s", id, redacted);
  run->ended = TRUE;
  ljd_source_clear (&run->timer);
  ljd_slurm_run_stop_follower (run);
  /* The service calls forget() from within, which removes the run. */
  ljd_service_provider_failed (self->service, id, redacted);
  if ((run = g_hash_table_lookup (self->runs, &id)) != NULL)
    ljd_slurm_run_remove (run);
}

/* A cancel from the app is over. Frees @run (through the service's
 * forget()) or leaves it for the service to forget. */
static void
run_cancel_done (LjdSlurmRun *run,
                 const char  *problem)
{
  g_autoptr(GTask) task = g_steal_pointer (&run->cancel_task);

  ljd_source_clear (&run->timer);
  ljd_slurm_run_stop_follower (run);
  run->ended = TRUE;

  if (task == NULL)
    return;
  if (problem == NULL)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", problem);
}

/* The follower */

static void
follower_state_cb (LjdLogFollower *follower,
                   LjdSlurmRun    *run)
{
  ljd_slurm_state_save (run);
}

static void
follower_finished_cb (LjdLogFollower *follower,
                      LjdSlurmRun    *run)
{
  LjdSlurm *self = run->slurm;
  g_autoptr(LpJob) job = NULL;
  gint64 id = run->job_id;

  /* Its end is posted; if the service took something else instead (the
   * job had finished), nothing is left to do either way. */
  if (!run->ended)
    {
      /* The service said no more events: the job finished otherwise
       * (its own reporter) while Slurm still runs it; watch Slurm on. */
      ljd_slurm_run_stop_follower (run);
      return;
    }

  job = ljd_store_get_job (ljd_service_get_store (self->service), id, NULL);
  if (job != NULL && !lp_job_status_is_finished (lp_job_get_status (job)) && run->end_message != NULL)
    {
      g_autofree char *message = g_strdup (run->end_message);
      run_fail_job (run, message);
      return;
    }

  ljd_slurm_run_remove (run);
}

void
ljd_slurm_run_start_follower (LjdSlurmRun *run,
                              JsonObject  *saved)
{
  LjdSlurm *self = run->slurm;
  g_autofree char *prefix = NULL;

  if (run->follower != NULL || run->output == NULL || run->secret == NULL)
    return;

  prefix = g_strdup_printf ("slurm-%" G_GINT64_FORMAT, run->slurm_id);
  run->follower = ljd_log_follower_new (self->service, self->webhook_session, run->job,
                                        run->secret, run->output, prefix);
  run->state_handler = g_signal_connect (run->follower, "state-changed",
                                         G_CALLBACK (follower_state_cb), run);
  run->finished_handler = g_signal_connect (run->follower, "finished",
                                            G_CALLBACK (follower_finished_cb), run);
  if (saved != NULL)
    ljd_log_follower_resume (run->follower, saved);
  else
    ljd_log_follower_start (run->follower, run->start_time * G_USEC_PER_SEC);
}

/* Watching */

static char *
describe_end (LjdSlurmRun           *run,
              const LjdSlurmJobInfo *info)
{
  g_autoptr(GString) text = g_string_new (NULL);

  g_string_append_printf (text, _("Slurm job %" G_GINT64_FORMAT " ended %s"), run->slurm_id, info->state);
  if (info->reason != NULL && *info->reason != '\0' && g_strcmp0 (info->reason, "None") != 0)
    g_string_append_printf (text, " (%s)", info->reason);
  if (info->exit_signal > 0)
    g_string_append_printf (text, _(", killed by signal %d (%s)"), info->exit_signal, g_strsignal (info->exit_signal));
  else
    g_string_append_printf (text, _(", exit code %d"), info->exit_status);
  if (info->description != NULL && *info->description != '\0')
    g_string_append_printf (text, ": %s", info->description);

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
set_detail (LjdSlurmRun *run,
            const char  *detail)
{
  if (g_strcmp0 (run->detail, detail) == 0)
    return;
  g_free (run->detail);
  run->detail = g_strdup (detail);
  ljd_slurm_state_save (run);
}

/* Slurm started the job at @info's start time. */
static void
run_started (LjdSlurmRun           *run,
             const LjdSlurmJobInfo *info)
{
  LjdSlurm *self = run->slurm;
  g_autoptr(JsonObject) payload = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (info->start_time);
  g_autofree char *at = g_date_time_format (when, "%H:%M:%S UTC");

  run->started = TRUE;
  run->start_time = info->start_time;
  if (run->output == NULL)
    {
      /* The pattern the service gave, with what Slurm now says. */
      g_auto(LjdSlurmConfig) config = { 0 };
      g_autofree char *pattern = NULL;

      if (ljd_slurm_config_parse (run->config, &config, NULL))
        pattern = ljd_slurm_config_output_pattern (&config, run->job_id);
      run->output = ljd_slurm_expand_output_path (pattern ? pattern : info->standard_output, info);
    }

  message = g_strdup_printf (_("Slurm started job %" G_GINT64_FORMAT " on %s at %s; its output goes to %s"),
                             run->slurm_id, info->batch_host ? info->batch_host : _("its node"), at,
                             run->output ? run->output : _("an unknown file"));
  json_object_set_string_member (payload, "slurm_state", info->state);
  if (info->batch_host != NULL)
    json_object_set_string_member (payload, "node", info->batch_host);
  if (run->output != NULL)
    json_object_set_string_member (payload, "output", run->output);

  g_message ("Job %" G_GINT64_FORMAT ": %s", run->job_id, message);
  if (!ljd_service_provider_running (self->service, run->job_id, info->start_time * G_USEC_PER_SEC,
                                     message, payload, &error))
    g_warning ("Cannot record the start of Slurm job %" G_GINT64_FORMAT ": %s", run->slurm_id, error->message);

  ljd_slurm_state_save (run);
  if (run->cancel_task == NULL)
    ljd_slurm_run_start_follower (run, NULL);
}

static gboolean
settle_cb (gpointer user_data)
{
  LjdSlurmRun *run = user_data;
  g_autofree char *tail = NULL;
  g_autofree char *error = NULL;

  g_clear_pointer (&run->timer, g_source_unref);
  if (run->follower == NULL)
    return G_SOURCE_REMOVE;

  tail = ljd_log_follower_get_tail (run->follower);
  error = tail != NULL && *tail != '\0' ? g_strdup_printf ("%s\n%s", run->end_message, tail)
                                       : g_strdup (run->end_message);
  /* Posts the rest of the output, then fails the job through the
   * service, which forgets the run. */
  ljd_log_follower_fail (run->follower, error);

  return G_SOURCE_REMOVE;
}

/* Slurm's final word on a job the app did not cancel. May free @run. */
static void
run_ended (LjdSlurmRun           *run,
           const LjdSlurmJobInfo *info)
{
  LjdSlurm *self = run->slurm;
  gint64 id = run->job_id;
  gint64 end = info->end_time > 0 ? info->end_time * G_USEC_PER_SEC : g_get_real_time ();

  g_free (run->state);
  run->state = g_strdup (info->state);
  set_detail (run, NULL);
  run->ended = TRUE;
  g_clear_pointer (&run->end_message, g_free);
  run->end_message = describe_end (run, info);
  g_message ("Job %" G_GINT64_FORMAT ": %s", id, run->end_message);

  if (g_str_equal (info->state, "CANCELLED"))
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *message =
        g_strdup_printf (_("Slurm job %" G_GINT64_FORMAT " was cancelled on the cluster (scancel, or Slurm "
                           "itself), not from this service"), run->slurm_id);
      g_autoptr(JsonObject) payload = json_object_new ();

      json_object_set_string_member (payload, "slurm_state", info->state);
      if (info->reason != NULL)
        json_object_set_string_member (payload, "slurm_reason", info->reason);
      add_event (run, LP_EVENT_WARNING, message, NULL, payload);
      ljd_slurm_run_stop_follower (run);
      ljd_slurm_run_remove (run);
      if (!ljd_service_cancel_at (self->service, id, "other", "Slurm", end, &error) &&
          !g_error_matches (error, LJD_SERVICE_ERROR, LJD_SERVICE_ERROR_NOT_FOUND))
        g_warning ("Cannot record the cancellation of job %" G_GINT64_FORMAT ": %s", id, error->message);
      return;
    }

  if (run->follower == NULL)
    ljd_slurm_run_start_follower (run, NULL);

  if (run->follower == NULL)
    {
      /* Only a job that never started has no output to read. */
      g_autofree char *message = g_strdup (run->end_message);

      run_fail_job (run, message);
      return;
    }

  /* The follower reads the output to its end, then posts the end. */
  if (g_str_equal (info->state, "COMPLETED"))
    {
      ljd_log_follower_finish (run->follower, 0, run->end_message);
      return;
    }

  /* A failure's error is Slurm's state and exit code with the tail of
   * the output, once the follower has read what the job last wrote. */
  ljd_source_clear (&run->timer);
  run->timer = ljd_timeout_attach (self->context, MIN (SETTLE_MS, 4 * self->poll_ms + 600),
                                   settle_cb, run, NULL);
}

/* Whether @info shows a job that ran: a job cancelled while it waited
 * has a start time too, the time of the cancel, which is also its end.
 * Times are in seconds: a job that ran for less than one may end when it
 * started. */
static gboolean
has_run (const LjdSlurmJobInfo *info)
{
  if (ljd_slurm_state_is_pending (info->state) || info->start_time <= 0)
    return FALSE;

  if (g_strcmp0 (info->state, "CANCELLED") == 0)
    return info->end_time > info->start_time;

  return TRUE;
}

static void
handle_info (LjdSlurmRun           *run,
             const LjdSlurmJobInfo *info)
{
  const char *state = info->state;

  /* The cost counts from here, also for a job cancelled as it started. */
  if (!run->started && has_run (info))
    {
      gint64 id = run->job_id;
      guint serial = run->serial;

      run_started (run, info);
      if ((run = run_lookup (run->slurm, id, serial)) == NULL)
        return;
    }

  if (run->cancel_task != NULL)
    {
      g_free (run->state);
      run->state = g_strdup (state);
      if (ljd_slurm_state_is_final (state))
        {
          g_message ("Job %" G_GINT64_FORMAT ": Slurm job %" G_GINT64_FORMAT " is %s after the cancel",
                     run->job_id, run->slurm_id, state);
          run_cancel_done (run, NULL);
          return;
        }
      /* Still waiting: nothing runs, so no grace is needed; Slurm's
       * cancel removes it at once. */
      if (ljd_slurm_state_is_pending (state) && !run->kill_sent)
        {
          run->kill_sent = TRUE;
          run->killed_at = g_get_monotonic_time ();
          send_signal (run, NULL);
          return;
        }
      run_schedule (run, poll_delay (run));
      return;
    }

  if (ljd_slurm_state_is_pending (state))
    {
      g_autofree char *detail = NULL;
      g_autofree char *source = NULL;
      const char *reason = info->reason && *info->reason ? info->reason : "None";

      /* "None": Slurm has not looked at it yet. */
      if (g_str_equal (reason, "None"))
        detail = g_strdup (run->started ? _("Waiting in Slurm again") : _("Waiting in Slurm"));
      else
        detail = g_strdup_printf (run->started ? _("Waiting in Slurm again: %s") : _("Waiting in Slurm: %s"),
                                  reason);

      if (g_strcmp0 (run->reason, reason) != 0)
        {
          g_autoptr(JsonObject) payload = json_object_new ();

          g_free (run->reason);
          run->reason = g_strdup (reason);
          json_object_set_string_member (payload, "slurm_state", state);
          json_object_set_string_member (payload, "slurm_reason", reason);
          /* One event per reason, across restarts too. */
          source = g_strdup_printf ("slurm-%" G_GINT64_FORMAT "-%s-%s", run->slurm_id, state, reason);
          if (!g_str_equal (reason, "None"))
            add_event (run, LP_EVENT_STATUS, detail, source, payload);
        }

      g_free (run->state);
      run->state = g_strdup (state);
      set_detail (run, detail);
      run_schedule (run, poll_delay (run));
      return;
    }

  if (ljd_slurm_state_is_final (state))
    {
      run_ended (run, info);
      return;
    }

  g_free (run->state);
  run->state = g_strdup (state);
  if (g_str_equal (state, "SUSPENDED") || g_str_equal (state, "STOPPED"))
    set_detail (run, _("Suspended in Slurm"));
  else if (g_str_equal (state, "CONFIGURING"))
    set_detail (run, _("Slurm is booting its nodes"));
  else
    set_detail (run, NULL);

  /* COMPLETING: the state it ends in comes in moments. */
  run_schedule (run, ljd_slurm_state_is_running (state) ? poll_delay (run)
                                                        : MIN (run->slurm->poll_ms, 1000u));
}

static void
get_cb (LjdSlurm            *self,
        const LjdSlurmReply *reply,
        gpointer             user_data)
{
  LjdSlurmRun *run = run_from_ref (self, user_data);
  g_auto(LjdSlurmJobInfo) info = { 0 };
  g_autoptr(GError) error = NULL;

  if (run == NULL)
    return;

  switch (reply->kind)
    {
    case LJD_SLURM_REPLY_OK:
      if (!ljd_slurm_api_parse_job (self->api, reply->object, run->slurm_id, &info, &error))
        {
          LjdSlurmReply odd = *reply;
          g_autofree char *problem = g_strdup_printf (_("slurmrestd's answer makes no sense: %s"), error->message);

          odd.problem = problem;
          run_transient (run, &odd);
          return;
        }
      run_recovered (run);
      handle_info (run, &info);
      return;

    case LJD_SLURM_REPLY_NO_SUCH_JOB:
      run_recovered (run);
      if (run->cancel_task != NULL)
        {
          run_cancel_done (run, NULL);
          return;
        }
      {
        g_autofree char *message =
          g_strdup_printf (_("Slurm no longer knows job %" G_GINT64_FORMAT "; it ended long enough ago that "
                             "slurmctld forgot it (MinJobAge), so how it ended is unknown"),
                           run->slurm_id);
        run_fail_job (run, message);
      }
      return;

    case LJD_SLURM_REPLY_AUTH:
      run_auth (run, reply->problem);
      return;

    case LJD_SLURM_REPLY_REFUSED:
    case LJD_SLURM_REPLY_TRANSIENT:
    default:
      /* A refusal to show a job we submitted cannot be the job's fault:
       * slurmrestd's configuration changed, which may be undone. */
      run_transient (run, reply);
      return;
    }
}

static void
send_get (LjdSlurmRun *run)
{
  g_autofree char *path = ljd_slurm_api_job_path (run->slurm->api, run->slurm_id);

  ljd_slurm_send (run->slurm, "GET", path, NULL, get_cb, run_ref (run));
}

/* Submitting */

static void
submit_cb (LjdSlurm            *self,
           const LjdSlurmReply *reply,
           gpointer             user_data)
{
  LjdSlurmRun *run = run_from_ref (self, user_data);
  g_autoptr(GError) error = NULL;
  g_autofree char *warning = NULL;
  gint64 slurm_id = 0;

  if (run == NULL)
    return;

  if (reply->kind == LJD_SLURM_REPLY_OK &&
      ljd_slurm_api_parse_submit (self->api, reply->object, &slurm_id, &warning, &error))
    {
      g_autofree char *message = NULL;
      g_autoptr(JsonObject) payload = json_object_new ();
      const char *partition = NULL;

      run_recovered (run);
      run->slurm_id = slurm_id;
      run->maybe_submitted = FALSE;
      lp_json_get_string (run->config, "partition", FALSE, &partition, NULL);
      ljd_slurm_state_save (run);

      if (partition != NULL)
        message = g_strdup_printf (_("Submitted to Slurm as job %" G_GINT64_FORMAT " (partition %s)"),
                                   slurm_id, partition);
      else
        message = g_strdup_printf (_("Submitted to Slurm as job %" G_GINT64_FORMAT), slurm_id);
      if (warning != NULL)
        {
          g_autofree char *with = g_strdup_printf (_("%s; Slurm says: %s"), message, warning);
          g_free (message);
          message = g_steal_pointer (&with);
        }
      if (partition != NULL)
        json_object_set_string_member (payload, "partition", partition);
      add_event (run, LP_EVENT_STATUS, message, NULL, payload);
      g_message ("Job %" G_GINT64_FORMAT ": %s", run->job_id, message);

      /* Cancelled while the submit was under way: it goes at once. */
      run_schedule (run, run->cancel_task != NULL ? 0 : MIN (self->poll_ms, 1000u));
      return;
    }

  switch (reply->kind)
    {
    case LJD_SLURM_REPLY_AUTH:
      run_auth (run, reply->problem);
      return;

    case LJD_SLURM_REPLY_TRANSIENT:
      /* The submit may have reached slurmctld before the answer got
       * lost: look for the job before submitting again. */
      if (reply->status == 0 || reply->status >= 500)
        run->maybe_submitted = TRUE;
      run_transient (run, reply);
      return;

    case LJD_SLURM_REPLY_OK:
    case LJD_SLURM_REPLY_REFUSED:
    case LJD_SLURM_REPLY_NO_SUCH_JOB:
    default:
      break;
    }

  /* Refused: nothing was submitted, so a cancel has nothing to stop. */
  if (run->cancel_task != NULL)
    {
      run_cancel_done (run, NULL);
      return;
    }

  {
    g_autofree char *message = NULL;

    if (error != NULL)
      message = g_strdup_printf (_("slurmrestd's answer to the submit makes no sense: %s"), error->message);
    else
      message = g_strdup_printf (_("Slurm refused the job: %s"), reply->problem);
    run_fail_job (run, message);
  }
}

static void
send_submit (LjdSlurmRun *run)
{
  LjdSlurm *self = run->slurm;
  g_auto(LjdSlurmConfig) config = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GPtrArray) values = g_ptr_array_new ();
  g_autofree char *script = NULL;
  g_autofree char *body = NULL;
  g_autofree char *url = NULL;
  g_autofree char *id = NULL;
  g_autofree char *comment = NULL;
  g_autofree char *pattern = NULL;
  LjdSlurmSubmit submit = { 0 };
  gboolean unbuffered_set = FALSE;

  if (!ljd_slurm_config_parse (run->config, &config, &error))
    {
      g_autofree char *message = g_strdup_printf (_("The slurm provider cannot submit this job: %s"), error->message);
      run_fail_job (run, message);
      return;
    }

  url = webhook_url (self, run->job_id);
  id = g_strdup_printf ("%" G_GINT64_FORMAT, run->job_id);
  comment = comment_for (run);
  pattern = ljd_slurm_config_output_pattern (&config, run->job_id);
  script = ljd_slurm_config_batch_script (&config, run->job_id);

  /* The batch job's whole environment: the job's own and the service's
   * three, nothing of the service's own environment (its secrets). */
  for (guint i = 0; config.env_names != NULL && config.env_names[i] != NULL; i++)
    {
      g_ptr_array_add (names, config.env_names[i]);
      g_ptr_array_add (values, config.env_values[i]);
      unbuffered_set |= g_str_equal (config.env_names[i], "PYTHONUNBUFFERED");
    }
  /* Python buffers stdout into a file by the block, which would hold
   * the output back from the follower for minutes. */
  if (!unbuffered_set)
    {
      g_ptr_array_add (names, (char *) "PYTHONUNBUFFERED");
      g_ptr_array_add (values, (char *) "1");
    }
  g_ptr_array_add (names, (char *) "LORA_JOB_ID");
  g_ptr_array_add (values, id);
  g_ptr_array_add (names, (char *) "LORA_WEBHOOK_URL");
  g_ptr_array_add (values, url);
  g_ptr_array_add (names, (char *) "LORA_WEBHOOK_SECRET");
  g_ptr_array_add (values, run->secret ? run->secret : (char *) "");
  g_ptr_array_add (names, NULL);
  g_ptr_array_add (values, NULL);

  submit.script = script;
  submit.name = lp_job_get_name (run->job);
  submit.comment = comment;
  submit.cwd = config.cwd;
  submit.standard_output = pattern;
  submit.partition = config.partition;
  submit.account = config.account;
  submit.qos = config.qos;
  submit.gpus = config.gpus;
  submit.cpus = config.cpus;
  submit.memory_mb = config.memory_mb;
  submit.time_limit_min = config.time_limit_min;
  submit.env_names = (const char * const *) names->pdata;
  submit.env_values = (const char * const *) values->pdata;

  body = ljd_slurm_api_submit_body (self->api, &submit);
  {
    g_autofree char *path = ljd_slurm_api_submit_path (self->api);
    ljd_slurm_send (self, "POST", path, body, submit_cb, run_ref (run));
  }
  memset (body, 0, strlen (body));
}

/* After a submit that may have worked: is there a job with our comment? */
static void
lookup_cb (LjdSlurm            *self,
           const LjdSlurmReply *reply,
           gpointer             user_data)
{
  LjdSlurmRun *run = run_from_ref (self, user_data);
  g_autoptr(GPtrArray) jobs = NULL;
  g_autofree char *comment = NULL;

  if (run == NULL)
    return;

  if (reply->kind == LJD_SLURM_REPLY_AUTH)
    {
      run_auth (run, reply->problem);
      return;
    }

  if (reply->kind != LJD_SLURM_REPLY_OK || !(jobs = ljd_slurm_api_parse_jobs (self->api, reply->object, NULL)))
    {
      run_transient (run, reply);
      return;
    }

  run_recovered (run);
  run->maybe_submitted = FALSE;
  comment = comment_for (run);
  for (guint i = 0; i < jobs->len; i++)
    {
      const LjdSlurmJobInfo *info = g_ptr_array_index (jobs, i);

      if (g_strcmp0 (info->comment, comment) != 0)
        continue;

      run->slurm_id = info->job_id;
      ljd_slurm_state_save (run);
      {
        g_autofree char *message = g_strdup_printf (_("Found Slurm job %" G_GINT64_FORMAT ", submitted while "
                                                      "slurmrestd's answer was lost"), run->slurm_id);
        add_event (run, LP_EVENT_STATUS, message, NULL, NULL);
        g_message ("Job %" G_GINT64_FORMAT ": %s", run->job_id, message);
      }
      break;
    }

  /* Found: watch it (or cancel it); not found: submit (or be done). */
  ljd_slurm_run_step (run);
}

static void
send_lookup (LjdSlurmRun *run)
{
  g_autofree char *path = ljd_slurm_api_jobs_path (run->slurm->api);

  ljd_slurm_send (run->slurm, "GET", path, NULL, lookup_cb, run_ref (run));
}

/* Cancelling */

static void
signal_cb (LjdSlurm            *self,
           const LjdSlurmReply *reply,
           gpointer             user_data)
{
  LjdSlurmRun *run = run_from_ref (self, user_data);

  if (run == NULL)
    return;

  switch (reply->kind)
    {
    case LJD_SLURM_REPLY_OK:
      run_recovered (run);
      run_schedule (run, poll_delay (run));
      return;

    case LJD_SLURM_REPLY_NO_SUCH_JOB:
      run_cancel_done (run, NULL);
      return;

    case LJD_SLURM_REPLY_AUTH:
    case LJD_SLURM_REPLY_TRANSIENT:
    default:
      /* Not sent: again at the next step. */
      if (run->kill_sent)
        run->kill_sent = FALSE;
      else
        run->term_sent = FALSE;
      if (reply->kind == LJD_SLURM_REPLY_AUTH)
        run_auth (run, reply->problem);
      else
        run_transient (run, reply);
      return;

    case LJD_SLURM_REPLY_REFUSED:
      /* A job that is not running (still waiting, or its nodes booting)
       * takes no signal but Slurm's cancel, which nothing needs grace
       * for. */
      if (!run->kill_sent)
        {
          run->kill_sent = TRUE;
          run->killed_at = g_get_monotonic_time ();
          send_signal (run, NULL);
          return;
        }
      {
        /* ESLURM_ALREADY_DONE is taken as done by slurmrestd itself; any
         * other refusal means the job cannot be cancelled at all. */
        g_autofree char *message = g_strdup_printf (_("Slurm refused to cancel job %" G_GINT64_FORMAT ": %s"),
                                                    run->slurm_id, reply->problem);
        run_cancel_done (run, message);
      }
      return;
    }
}

static void
send_signal (LjdSlurmRun *run,
             const char  *signal_name)
{
  g_autofree char *path = ljd_slurm_api_signal_path (run->slurm->api, run->slurm_id, signal_name);

  g_message ("Job %" G_GINT64_FORMAT ": sending %s to Slurm job %" G_GINT64_FORMAT,
             run->job_id, signal_name ? signal_name : "the kill", run->slurm_id);
  ljd_slurm_send (run->slurm, "DELETE", path, NULL, signal_cb, run_ref (run));
}

/* The one place that decides a run's next request. May free @run. */
void
ljd_slurm_run_step (LjdSlurmRun *run)
{
  LjdSlurm *self = run->slurm;
  gint64 now = g_get_monotonic_time ();

  if (run->in_flight || run->ended)
    return;

  ljd_source_clear (&run->timer);

  if (!ljd_slurm_token_refresh (self->token))
    {
      run_auth (run, NULL);
      return;
    }

  if (self->refused_generation != 0 && self->refused_generation == ljd_slurm_token_get_generation (self->token) &&
      run->auth_warned_generation == ljd_slurm_token_get_generation (self->token) && now < run->auth_retry_at)
    {
      run_schedule (run, MIN ((guint) ((run->auth_retry_at - now) / 1000) + 1, self->poll_ms));
      return;
    }

  if (run->cancel_task != NULL)
    {
      if (run->slurm_id == 0)
        {
          if (run->maybe_submitted)
            send_lookup (run);
          else
            run_cancel_done (run, NULL);   /* nothing was submitted */
          return;
        }

      /* Waiting in Slurm: nothing runs that needs the grace period. */
      if (!run->kill_sent && (!run->term_sent || now - run->cancel_started >= (gint64) self->grace_ms * 1000) &&
          ljd_slurm_state_is_pending (run->state))
        {
          run->kill_sent = TRUE;
          run->killed_at = now;
          send_signal (run, NULL);
          return;
        }

      if (!run->term_sent)
        {
          run->term_sent = TRUE;
          send_signal (run, "SIGTERM");
          return;
        }

      if (!run->kill_sent && now - run->cancel_started >= (gint64) self->grace_ms * 1000)
        {
          /* The grace period is over: Slurm's own cancel, which ends
           * with SIGKILL. */
          run->kill_sent = TRUE;
          run->killed_at = now;
          send_signal (run, NULL);
          return;
        }

      if (run->kill_sent && now - run->killed_at >= (gint64) KILL_CONFIRM_MS * 1000)
        {
          g_autofree char *message =
            g_strdup_printf (_("Slurm still shows job %" G_GINT64_FORMAT " as %s after it was killed"),
                             run->slurm_id, run->state ? run->state : "?");
          run_cancel_done (run, message);
          return;
        }

      send_get (run);
      return;
    }

  if (run->slurm_id > 0)
    send_get (run);
  else if (run->maybe_submitted)
    send_lookup (run);
  else
    send_submit (run);
}
