/* test-store.c: the sqlite store on a real database file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <sqlite3.h>

#include <glib/gstdio.h>

#include "ljd-store.h"

typedef struct
{
  char     *dir;
  char     *path;
  LjdStore *store;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("lora-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "sub", "jobs.db", NULL);
  f->store = ljd_store_open (f->path, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);

  g_clear_object (&f->store);
  g_assert_cmpint (system (cmd), ==, 0);
  g_free (f->path);
  g_free (f->dir);
}

static LpJob *
make_job (const char *name,
          gint64      created_at,
          LpJobStatus status)
{
  LpJob *job = lp_job_new ();

  lp_job_set_name (job, name);
  lp_job_set_status (job, status);
  lp_job_set_created_by (job, "alice");
  lp_job_set_created_at (job, created_at);
  lp_job_set_total_steps (job, 2000);
  lp_job_set_total_epochs (job, 3);
  lp_job_set_gpu_type (job, "H100");
  lp_job_set_pricing (job, "spot");
  lp_job_set_hourly_rate (job, 2.49);
  lp_job_set_estimate (job, 45, 55);
  lp_job_set_preset (job, "balanced");
  lp_job_set_provider (job, "simulator");

  return job;
}

static gint64
insert (Fixture    *f,
        const char *name,
        gint64      created_at,
        LpJobStatus status)
{
  g_autoptr(LpJob) job = make_job (name, created_at, status);
  g_autoptr(GError) error = NULL;

  g_assert_true (ljd_store_insert_job (f->store, job, "secret", &error));
  g_assert_no_error (error);
  return lp_job_get_id (job);
}

static void
test_schema (Fixture       *f,
             gconstpointer  data)
{
  sqlite3 *db;
  sqlite3_stmt *s;

  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &s, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (s, 0), ==, LJD_STORE_SCHEMA_VERSION);
  sqlite3_finalize (s);

  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA journal_mode", -1, &s, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (s, 0), ==, "wal");
  sqlite3_finalize (s);

  /* The indexes the brief asks for exist under their names. */
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "
                                       "('jobs_status', 'jobs_created_at', 'jobs_created_by', 'events_job')",
                                       -1, &s, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (s, 0), ==, 4);
  sqlite3_finalize (s);
  sqlite3_close (db);
}

static void
test_refuses_newer_schema (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LjdStore) again = NULL;
  sqlite3 *db;

  g_clear_object (&f->store);
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 99", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  again = ljd_store_open (f->path, &error);
  g_assert_null (again);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
}

static void
test_tokens (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *t1 = ljd_store_add_token (f->store, "alice", &error);
  g_autofree char *t2 = ljd_store_add_token (f->store, "alice", &error);
  g_autofree char *user = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (t1, !=, t2);
  user = ljd_store_lookup_token (f->store, t1);
  g_assert_cmpstr (user, ==, "alice");
  g_assert_null (ljd_store_lookup_token (f->store, "lm_nope"));
  g_assert_null (ljd_store_lookup_token (f->store, ""));
  g_assert_null (ljd_store_add_token (f->store, "", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
test_job_round_trip (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gint64 id = insert (f, "Elena Morales Financial", 1000, LP_JOB_STATUS_QUEUED);
  g_autoptr(LpJob) job = ljd_store_get_job (f->store, id, &error);
  g_autoptr(GPtrArray) stages = NULL;
  g_autoptr(LpJob) again = NULL;
  g_autofree char *secret = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (lp_job_get_name (job), ==, "Elena Morales Financial");
  g_assert_cmpint (lp_job_get_status (job), ==, LP_JOB_STATUS_QUEUED);
  g_assert_cmpfloat (lp_job_get_estimate_min (job), ==, 45);

  stages = g_ptr_array_copy (lp_job_get_stages (job), (GCopyFunc) lp_stage_copy, NULL);
  ((LpStage *) g_ptr_array_index (stages, 0))->status = LP_STAGE_STATUS_COMPLETED;
  ((LpStage *) g_ptr_array_index (stages, 0))->substatus = g_strdup ("Tokenizing 242 conversations...");
  lp_job_set_stages (job, stages);
  lp_job_set_status (job, LP_JOB_STATUS_FAILED);
  lp_job_set_started_at (job, 2000);
  lp_job_set_finished_at (job, 3000);
  lp_job_set_error (job, "CUDA out of memory");
  lp_job_set_cost (job, 12.5);
  g_assert_true (ljd_store_update_job (f->store, job, &error));

  again = ljd_store_get_job (f->store, id, &error);
  g_assert_cmpint (lp_job_get_status (again), ==, LP_JOB_STATUS_FAILED);
  g_assert_cmpstr (lp_job_get_error (again), ==, "CUDA out of memory");
  g_assert_cmpfloat (lp_job_get_cost (again), ==, 12.5);
  g_assert_cmpstr (((LpStage *) g_ptr_array_index (lp_job_get_stages (again), 0))->substatus,
                   ==, "Tokenizing 242 conversations...");

  secret = ljd_store_get_webhook_secret (f->store, id);
  g_assert_cmpstr (secret, ==, "secret");

  g_assert_null (ljd_store_get_job (f->store, id + 100, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
test_list_filters (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  LjdJobFilter filter = { 0, 0, NULL, 0, 25 };
  guint total = 0, counts[LP_N_JOB_STATUSES];
  g_autoptr(GPtrArray) jobs = NULL;

  insert (f, "Alpha Support", 100, LP_JOB_STATUS_COMPLETED);
  insert (f, "Beta Claims", 200, LP_JOB_STATUS_TRAINING);
  insert (f, "Ünïcode Résumés", 300, LP_JOB_STATUS_QUEUED);
  insert (f, "alpha again", 300, LP_JOB_STATUS_QUEUED);

  jobs = ljd_store_list_jobs (f->store, &filter, &total, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (total, ==, 4);
  /* Newest first, ties broken by id (newest id first). */
  g_assert_cmpstr (lp_job_get_name (g_ptr_array_index (jobs, 0)), ==, "alpha again");
  g_assert_cmpstr (lp_job_get_name (g_ptr_array_index (jobs, 1)), ==, "Ünïcode Résumés");
  g_assert_cmpstr (lp_job_get_name (g_ptr_array_index (jobs, 3)), ==, "Alpha Support");
  g_clear_pointer (&jobs, g_ptr_array_unref);

  filter.query = "ALPHA";
  jobs = ljd_store_list_jobs (f->store, &filter, &total, &error);
  g_assert_cmpuint (total, ==, 2);
  g_clear_pointer (&jobs, g_ptr_array_unref);

  filter.query = "üNÏ";
  jobs = ljd_store_list_jobs (f->store, &filter, &total, &error);
  g_assert_cmpuint (total, ==, 1);
  g_clear_pointer (&jobs, g_ptr_array_unref);

  /* Input that would be SQL if spliced is just text. */
  filter.query = "%' OR 1=1 --";
  jobs = ljd_store_list_jobs (f->store, &filter, &total, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (total, ==, 0);
  g_clear_pointer (&jobs, g_ptr_array_unref);

  filter.query = NULL;
  filter.status_mask = 1u << LP_JOB_STATUS_QUEUED;
  filter.created_since = 250;
  filter.limit = 1;
  filter.offset = 1;
  jobs = ljd_store_list_jobs (f->store, &filter, &total, &error);
  g_assert_cmpuint (total, ==, 2);
  g_assert_cmpuint (jobs->len, ==, 1);
  g_assert_cmpstr (lp_job_get_name (g_ptr_array_index (jobs, 0)), ==, "Ünïcode Résumés");
  g_clear_pointer (&jobs, g_ptr_array_unref);

  g_assert_true (ljd_store_count_by_status (f->store, counts, &error));
  g_assert_cmpuint (counts[LP_JOB_STATUS_QUEUED], ==, 2);
  g_assert_cmpuint (counts[LP_JOB_STATUS_TRAINING], ==, 1);
  g_assert_cmpuint (counts[LP_JOB_STATUS_FAILED], ==, 0);

  /* The queue's order: oldest first, ties by id. */
  jobs = ljd_store_jobs_in_order (f->store, 1u << LP_JOB_STATUS_QUEUED, &error);
  g_assert_cmpuint (jobs->len, ==, 2);
  g_assert_cmpstr (lp_job_get_name (g_ptr_array_index (jobs, 0)), ==, "Ünïcode Résumés");
}

static void
test_events (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gint64 id = insert (f, "Job", 100, LP_JOB_STATUS_TRAINING);
  g_autoptr(GPtrArray) events = NULL;
  gboolean duplicate = FALSE;
  gint64 e1, e2, e3;
  guint total = 0;

  e1 = ljd_store_add_event (f->store, id, 1, LP_EVENT_STATUS, "Queued", NULL, NULL, NULL, &error);
  e2 = ljd_store_add_event (f->store, id, 2, LP_EVENT_METRICS, "Step 10", NULL, "m-10", &duplicate, &error);
  g_assert_false (duplicate);
  g_assert_cmpint (ljd_store_add_event (f->store, id, 3, LP_EVENT_METRICS, "Step 10 again", NULL, "m-10",
                                        &duplicate, &error), ==, 0);
  g_assert_true (duplicate);
  e3 = ljd_store_add_event (f->store, id, 4, LP_EVENT_STAGE, "Training started", NULL, "s-1", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (e1, <, e2);
  g_assert_cmpint (e2, <, e3);

  events = ljd_store_list_events (f->store, id, 0, 0, 0, 50, FALSE, &total, &error);
  g_assert_cmpuint (total, ==, 3);
  g_assert_cmpint (lp_event_get_id (g_ptr_array_index (events, 0)), ==, e3);
  g_clear_pointer (&events, g_ptr_array_unref);

  events = ljd_store_list_events (f->store, id, (1u << LP_EVENT_STATUS) | (1u << LP_EVENT_STAGE),
                                  0, 0, 50, TRUE, &total, &error);
  g_assert_cmpuint (total, ==, 2);
  g_assert_cmpint (lp_event_get_id (g_ptr_array_index (events, 0)), ==, e1);
  g_clear_pointer (&events, g_ptr_array_unref);

  events = ljd_store_list_events (f->store, id, 0, e2, 0, 50, FALSE, &total, &error);
  g_assert_cmpuint (total, ==, 1);
  g_clear_pointer (&events, g_ptr_array_unref);

  /* Deleting a job takes its events and metrics with it. */
  g_assert_true (ljd_store_add_metric (f->store, id, LP_SERIES_TRAIN_LOSS, 10, 0.5, 1, &error));
  g_assert_true (ljd_store_delete_job (f->store, id, &error));
  events = ljd_store_list_events (f->store, id, 0, 0, 0, 50, FALSE, &total, &error);
  g_assert_cmpuint (total, ==, 0);
  g_assert_cmpint (ljd_store_count_metrics (f->store, id), ==, 0);
}

static void
test_metrics (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gint64 id = insert (f, "Job", 100, LP_JOB_STATUS_TRAINING);
  g_autoptr(LpMetrics) all = NULL;
  g_autoptr(LpMetrics) later = NULL;
  g_autoptr(LpMetrics) thin = NULL;
  gboolean spike_kept = FALSE;

  g_assert_true (ljd_store_begin (f->store, &error));
  for (gint64 step = 1; step <= 1000; step++)
    {
      double loss = step == 500 ? 50.0 : 2.0 - step / 1000.0;

      g_assert_true (ljd_store_add_metric (f->store, id, LP_SERIES_TRAIN_LOSS, step, loss, step, &error));
      if (step % 100 == 0)
        g_assert_true (ljd_store_add_metric (f->store, id, LP_SERIES_VAL_LOSS, step, loss + 0.1, step, &error));
    }
  g_assert_true (ljd_store_add_metric (f->store, id, LP_SERIES_VAL_LOSS, 1001, NAN, 1001, &error));
  g_assert_true (ljd_store_set_latest_epoch (f->store, id, 1.5, 1000, &error));
  g_assert_true (ljd_store_commit (f->store, &error));

  all = ljd_store_get_metrics (f->store, id, TRUE, -1, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->series[LP_SERIES_TRAIN_LOSS].steps->len, ==, 1000);
  g_assert_cmpint (all->latest.step, ==, 1000);
  g_assert_cmpfloat_with_epsilon (all->latest.train_loss, 1.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (all->latest.prev_train_loss, 1.001, 1e-9);
  g_assert_true (isnan (all->latest.val_loss));
  g_assert_cmpfloat_with_epsilon (all->latest.prev_val_loss, 1.1, 1e-9);
  g_assert_cmpfloat (all->latest.epoch, ==, 1.5);

  later = ljd_store_get_metrics (f->store, id, TRUE, 990, 0, &error);
  g_assert_cmpuint (later->series[LP_SERIES_TRAIN_LOSS].steps->len, ==, 10);
  g_assert_cmpint (g_array_index (later->series[LP_SERIES_TRAIN_LOSS].steps, gint64, 0), ==, 991);

  thin = ljd_store_get_metrics (f->store, id, TRUE, -1, 20, &error);
  g_assert_cmpuint (thin->series[LP_SERIES_TRAIN_LOSS].steps->len, <=, 20);
  for (guint i = 0; i < thin->series[LP_SERIES_TRAIN_LOSS].values->len; i++)
    spike_kept |= g_array_index (thin->series[LP_SERIES_TRAIN_LOSS].values, double, i) == 50.0;
  g_assert_true (spike_kept);
}

static void
test_reopen_keeps_everything (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gint64 id = insert (f, "Persistent", 100, LP_JOB_STATUS_COMPLETED);
  g_autoptr(LpJob) job = NULL;
  guint total = 0;
  g_autoptr(GPtrArray) events = NULL;

  g_assert_true (ljd_store_add_metric (f->store, id, LP_SERIES_GPU_UTIL, 5, 88, 1, &error));
  g_assert_cmpint (ljd_store_add_event (f->store, id, 1, LP_EVENT_CHECKPOINT, "Saved", NULL, "c", NULL, &error), >, 0);

  g_clear_object (&f->store);
  f->store = ljd_store_open (f->path, &error);
  g_assert_no_error (error);

  job = ljd_store_get_job (f->store, id, &error);
  g_assert_cmpstr (lp_job_get_name (job), ==, "Persistent");
  g_assert_cmpint (ljd_store_count_metrics (f->store, id), ==, 1);
  events = ljd_store_list_events (f->store, id, 0, 0, 0, 10, FALSE, &total, &error);
  g_assert_cmpuint (total, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/store/schema", test_schema);
  ADD ("/store/newer-schema", test_refuses_newer_schema);
  ADD ("/store/tokens", test_tokens);
  ADD ("/store/job", test_job_round_trip);
  ADD ("/store/list", test_list_filters);
  ADD ("/store/events", test_events);
  ADD ("/store/metrics", test_metrics);
  ADD ("/store/reopen", test_reopen_keeps_everything);

#undef ADD

  return g_test_run ();
}
