/* lm-job-watcher.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Polls the active jobs of the service and remembers which of them the
 * user created. A job of theirs that leaves the active set is fetched once
 * to learn how it ended; one whose spend passes its estimate is reported
 * once. The first poll only learns the state: nothing that happened
 * before the app started is announced. A guard counting down is the
 * exception: it is about to act, so it is announced whenever it is seen,
 * once per warning, for the jobs the user created or guards.
 */
#include "config.h"

#include "lp-calc.h"
#include "lm-job-watcher.h"

struct _LmJobWatcher
{
  GObject       parent_instance;

  LmClient     *client;
  GCancellable *cancellable;
  GHashTable   *watched;       /* id -> GINT_TO_POINTER (over estimate already reported) */
  GHashTable   *guard_warned;  /* id -> gint64: the warned_at last reported */
  guint         poll_seconds;
  guint         poll_id;
  gboolean      primed;
};

G_DEFINE_FINAL_TYPE (LmJobWatcher, lm_job_watcher, G_TYPE_OBJECT)

enum {
  JOB_FINISHED,
  JOB_OVER_ESTIMATE,
  JOB_GUARD_WARNING,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean poll_cb (gpointer data);

static void
schedule (LmJobWatcher *self)
{
  g_clear_handle_id (&self->poll_id, g_source_remove);
  self->poll_id = g_timeout_add_seconds (self->poll_seconds, poll_cb, self);
}

static void
finished_job_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  LmJobWatcher *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LpJob) job = lm_client_get_job_finish (LM_CLIENT (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || job == NULL)
    return;

  if (lp_job_status_is_finished (lp_job_get_status (job)))
    g_signal_emit (self, signals[JOB_FINISHED], 0, job);
}

static gboolean
over_estimate (LpJob *job)
{
  return lp_job_has_estimate (job) &&
         lp_cost_over_estimate (lp_job_get_cost (job), lp_job_get_estimate_max (job));
}

static void
check_guard (LmJobWatcher *self,
             LpJob        *job,
             const char   *user)
{
  const LpGuard *guard = lp_job_get_guard (job);
  gint64 id = lp_job_get_id (job);
  const gint64 *reported;

  /* A cancelling job is past its countdown. */
  if (guard == NULL || guard->warned < 0 ||
      (lp_job_get_status (job) != LP_JOB_STATUS_PROVISIONING &&
       lp_job_get_status (job) != LP_JOB_STATUS_TRAINING))
    return;

  if (g_strcmp0 (lp_job_get_created_by (job), user) != 0 && g_strcmp0 (guard->set_by, user) != 0)
    return;

  reported = g_hash_table_lookup (self->guard_warned, &id);
  if (reported != NULL && *reported == guard->warned_at)
    return;

  g_hash_table_insert (self->guard_warned, g_memdup2 (&id, sizeof id),
                       g_memdup2 (&guard->warned_at, sizeof guard->warned_at));
  g_signal_emit (self, signals[JOB_GUARD_WARNING], 0, job);
}

static void
list_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  LmJobWatcher *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LpJobPage) page = lm_client_list_jobs_finish (LM_CLIENT (object), result, &error);
  g_autoptr(GHashTable) active = NULL;
  const char *user = lm_client_get_user (self->client);
  GHashTableIter iter;
  gpointer key;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  schedule (self);

  if (page == NULL || user == NULL)
    return;

  active = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  for (guint i = 0; i < page->jobs->len; i++)
    {
      LpJob *job = g_ptr_array_index (page->jobs, i);
      gint64 id = lp_job_get_id (job);
      gpointer reported;

      check_guard (self, job, user);

      if (g_strcmp0 (lp_job_get_created_by (job), user) != 0)
        continue;

      g_hash_table_add (active, g_memdup2 (&id, sizeof id));

      if (!g_hash_table_lookup_extended (self->watched, &id, NULL, &reported))
        {
          /* Already over budget when first seen: not news after a restart. */
          g_hash_table_insert (self->watched, g_memdup2 (&id, sizeof id),
                               GINT_TO_POINTER (!self->primed ? over_estimate (job) : FALSE));
          reported = g_hash_table_lookup (self->watched, &id);
        }

      if (!GPOINTER_TO_INT (reported) && over_estimate (job))
        {
          g_hash_table_insert (self->watched, g_memdup2 (&id, sizeof id), GINT_TO_POINTER (TRUE));
          g_signal_emit (self, signals[JOB_OVER_ESTIMATE], 0, job);
        }
    }

  /* A job that left the active set counts down no more. */
  g_hash_table_iter_init (&iter, self->guard_warned);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      gboolean listed = FALSE;

      for (guint i = 0; i < page->jobs->len && !listed; i++)
        listed = lp_job_get_id (g_ptr_array_index (page->jobs, i)) == *(gint64 *) key;
      if (!listed)
        g_hash_table_iter_remove (&iter);
    }

  /* Jobs of ours that left the active set have finished one way or another. */
  g_hash_table_iter_init (&iter, self->watched);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      if (g_hash_table_contains (active, key))
        continue;

      lm_client_get_job_async (self->client, *(gint64 *) key, self->cancellable, finished_job_cb, self);
      g_hash_table_iter_remove (&iter);
    }

  self->primed = TRUE;
}

void
lm_job_watcher_check_now (LmJobWatcher *self)
{
  g_return_if_fail (LM_IS_JOB_WATCHER (self));

  /* Provisioning, training and cancelling: the jobs that can still end. */
  lm_client_list_jobs_async (self->client, "active", "all", NULL, 1, 100,
                             self->cancellable, list_cb, self);
}

static gboolean
poll_cb (gpointer data)
{
  LmJobWatcher *self = data;

  self->poll_id = 0;
  lm_job_watcher_check_now (self);
  return G_SOURCE_REMOVE;
}

static void
lm_job_watcher_dispose (GObject *object)
{
  LmJobWatcher *self = (LmJobWatcher *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_pointer (&self->watched, g_hash_table_unref);
  g_clear_pointer (&self->guard_warned, g_hash_table_unref);

  G_OBJECT_CLASS (lm_job_watcher_parent_class)->dispose (object);
}

static void
lm_job_watcher_class_init (LmJobWatcherClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = lm_job_watcher_dispose;

  /**
   * LmJobWatcher::job-finished:
   * @job: the job as it ended (completed, failed or cancelled)
   */
  signals[JOB_FINISHED] =
    g_signal_new ("job-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, LP_TYPE_JOB);

  /**
   * LmJobWatcher::job-over-estimate:
   * @job: a running job whose spend passed its cost estimate
   */
  signals[JOB_OVER_ESTIMATE] =
    g_signal_new ("job-over-estimate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, LP_TYPE_JOB);

  /**
   * LmJobWatcher::job-guard-warning:
   * @job: a running job whose budget guard began to count down to a cancel
   */
  signals[JOB_GUARD_WARNING] =
    g_signal_new ("job-guard-warning", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, LP_TYPE_JOB);
}

static void
lm_job_watcher_init (LmJobWatcher *self)
{
  self->cancellable = g_cancellable_new ();
  self->watched = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->guard_warned = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  self->poll_seconds = LM_JOB_WATCHER_POLL_SECONDS;
}

LmJobWatcher *
lm_job_watcher_new (LmClient *client)
{
  LmJobWatcher *self = g_object_new (LM_TYPE_JOB_WATCHER, NULL);

  self->client = g_object_ref (client);
  lm_job_watcher_check_now (self);
  return self;
}

void
lm_job_watcher_set_poll_interval (LmJobWatcher *self,
                                  guint         seconds)
{
  g_return_if_fail (LM_IS_JOB_WATCHER (self));

  self->poll_seconds = MAX (seconds, 1u);
  if (self->poll_id != 0)
    schedule (self);
}
