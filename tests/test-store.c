/* test-store.c: the sqlite store on a real database file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <sqlite3.h>
#include <string.h>

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
  const gint64 since_990[LP_N_SERIES] = { 990, 900, 990, 990 };

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

  all = ljd_store_get_metrics (f->store, id, TRUE, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->series[LP_SERIES_TRAIN_LOSS].steps->len, ==, 1000);
  g_assert_cmpint (all->latest.step, ==, 1000);
  g_assert_cmpfloat_with_epsilon (all->latest.train_loss, 1.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (all->latest.prev_train_loss, 1.001, 1e-9);
  g_assert_true (isnan (all->latest.val_loss));
  g_assert_cmpfloat_with_epsilon (all->latest.prev_val_loss, 1.1, 1e-9);
  g_assert_cmpfloat (all->latest.epoch, ==, 1.5);

  later = ljd_store_get_metrics (f->store, id, TRUE, since_990, 0, &error);
  g_assert_cmpuint (later->series[LP_SERIES_TRAIN_LOSS].steps->len, ==, 10);
  g_assert_cmpint (g_array_index (later->series[LP_SERIES_TRAIN_LOSS].steps, gint64, 0), ==, 991);
  /* Each series has its own cursor: validation from step 900 on. */
  g_assert_cmpuint (later->series[LP_SERIES_VAL_LOSS].steps->len, ==, 2);
  g_assert_cmpint (g_array_index (later->series[LP_SERIES_VAL_LOSS].steps, gint64, 0), ==, 1000);

  thin = ljd_store_get_metrics (f->store, id, TRUE, NULL, 20, &error);
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

/* The schema as lora-jobd 0.1.0 (schema 1) wrote it, to check that its
 * databases are upgraded in place. */
static const char schema_1[] =
  "CREATE TABLE users ("
  "  id INTEGER PRIMARY KEY,"
  "  name TEXT NOT NULL UNIQUE,"
  "  created_at INTEGER NOT NULL);"
  "CREATE TABLE tokens ("
  "  id INTEGER PRIMARY KEY,"
  "  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  token_hash TEXT NOT NULL UNIQUE,"
  "  created_at INTEGER NOT NULL);"
  "CREATE TABLE jobs ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  name TEXT NOT NULL,"
  "  status INTEGER NOT NULL,"
  "  created_by TEXT NOT NULL,"
  "  cancelled_by TEXT,"
  "  created_at INTEGER NOT NULL,"
  "  started_at INTEGER,"
  "  finished_at INTEGER,"
  "  current_step INTEGER NOT NULL DEFAULT 0,"
  "  total_steps INTEGER NOT NULL,"
  "  epoch INTEGER NOT NULL DEFAULT 1,"
  "  total_epochs INTEGER NOT NULL,"
  "  last_epoch REAL,"
  "  last_metrics_at INTEGER,"
  "  gpu_type TEXT NOT NULL,"
  "  pricing TEXT NOT NULL,"
  "  hourly_rate REAL NOT NULL,"
  "  estimate_min REAL,"
  "  estimate_max REAL,"
  "  preset TEXT NOT NULL,"
  "  provider TEXT NOT NULL,"
  "  config TEXT NOT NULL DEFAULT '{}',"
  "  webhook_secret TEXT NOT NULL,"
  "  error TEXT,"
  "  cancel_reason TEXT,"
  "  final_cost REAL,"
  "  provider_state TEXT);"
  "CREATE INDEX jobs_status ON jobs (status);"
  "CREATE INDEX jobs_created_at ON jobs (created_at, id);"
  "CREATE INDEX jobs_created_by ON jobs (created_by);"
  "CREATE TABLE stages ("
  "  job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,"
  "  idx INTEGER NOT NULL,"
  "  status INTEGER NOT NULL,"
  "  started_at INTEGER,"
  "  finished_at INTEGER,"
  "  substatus TEXT,"
  "  error TEXT,"
  "  PRIMARY KEY (job_id, idx)) WITHOUT ROWID;"
  "CREATE TABLE training_metrics_history ("
  "  job_id INTEGER NOT NULL,"
  "  series INTEGER NOT NULL,"
  "  step INTEGER NOT NULL,"
  "  value REAL,"
  "  ts INTEGER NOT NULL,"
  "  PRIMARY KEY (job_id, series, step)) WITHOUT ROWID;"
  "CREATE TABLE events ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,"
  "  ts INTEGER NOT NULL,"
  "  type INTEGER NOT NULL,"
  "  message TEXT NOT NULL,"
  "  payload TEXT NOT NULL,"
  "  source_id TEXT);"
  "CREATE INDEX events_job ON events (job_id, id);"
  "CREATE INDEX events_job_type ON events (job_id, type, id);"
  "CREATE UNIQUE INDEX events_source ON events (job_id, source_id) WHERE source_id IS NOT NULL;"
  "PRAGMA user_version = 1;";

static int
user_version (const char *path)
{
  sqlite3 *db;
  sqlite3_stmt *s;
  int version;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &s, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  version = sqlite3_column_int (s, 0);
  sqlite3_finalize (s);
  sqlite3_close (db);

  return version;
}

static void
test_migrate_from_1 (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->dir, "v1.db", NULL);
  g_autoptr(LjdStore) store = NULL;
  g_autoptr(LpJob) job = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) raised = NULL;
  guint total = 0;
  sqlite3 *db;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, schema_1, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
                                 "INSERT INTO jobs (id, name, status, created_by, created_at, started_at,"
                                 " total_steps, total_epochs, gpu_type, pricing, hourly_rate,"
                                 " estimate_min, estimate_max, preset, provider, webhook_secret)"
                                 " VALUES (7, 'Old run', 2, 'alice', 100, 200, 2000, 3, 'H100', 'spot',"
                                 " 2.49, 45, 55, 'balanced', 'simulator', 'secret');"
                                 "INSERT INTO events (job_id, ts, type, message, payload)"
                                 " VALUES (7, 300, 3, 'GPU utilization dropped', '{}');"
                                 "INSERT INTO training_metrics_history VALUES (7, 0, 10, 1.5, 300);",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  g_assert_cmpint (user_version (path), ==, 1);

  store = ljd_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (user_version (path), ==, LJD_STORE_SCHEMA_VERSION);

  /* Everything written by schema 1 is still there... */
  job = ljd_store_get_job (store, 7, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (lp_job_get_name (job), ==, "Old run");
  g_assert_cmpint (ljd_store_count_metrics (store, 7), ==, 1);
  events = ljd_store_list_events (store, 7, 0, 0, 0, 10, FALSE, &total, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (total, ==, 1);

  /* ...it is counted and found by name (schema 3's tables, filled from
   * the old rows)... */
  {
    LjdJobFilter filter = { 0, 0, "OLD R", 0, 25 };
    guint counts[LP_N_JOB_STATUSES];
    g_autoptr(GPtrArray) found = ljd_store_list_jobs (store, &filter, &total, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (total, ==, 1);
    g_assert_cmpuint (found->len, ==, 1);
    g_assert_true (ljd_store_count_by_status (store, counts, &error));
    g_assert_cmpuint (counts[LP_JOB_STATUS_TRAINING], ==, 1);
  }

  /* ...and the old job can hold warnings. */
  raised = ljd_store_list_raised_warnings (store, 7, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (raised), ==, 0);
  g_assert_true (ljd_store_raise_warning (store, 7, "spend_over", 400, &error));
  g_assert_no_error (error);
  g_clear_pointer (&raised, g_strfreev);
  raised = ljd_store_list_raised_warnings (store, 7, &error);
  g_assert_cmpstrv (raised, ((const char *[]) { "spend_over", NULL }));

  /* ...and a guard (schema 4), which it has none of yet. */
  g_assert_null (lp_job_get_guard (job));
  {
    g_autoptr(LpGuard) guard = lp_guard_new ();

    guard->stall_s = 600;
    guard->set_by = g_strdup ("alice");
    g_assert_true (ljd_store_set_guard (store, 7, guard, &error));
    g_assert_no_error (error);
  }

  /* Opening again finds nothing to upgrade. */
  g_clear_object (&store);
  store = ljd_store_open (path, &error);
  g_assert_no_error (error);
  g_clear_pointer (&raised, g_strfreev);
  raised = ljd_store_list_raised_warnings (store, 7, &error);
  g_assert_cmpstrv (raised, ((const char *[]) { "spend_over", NULL }));
  g_clear_object (&job);
  job = ljd_store_get_job (store, 7, &error);
  g_assert_no_error (error);
  g_assert_nonnull (lp_job_get_guard (job));
  g_assert_cmpint (lp_job_get_guard (job)->stall_s, ==, 600);
  g_assert_cmpstr (lp_job_get_guard (job)->set_by, ==, "alice");

  /* An empty guard is none. */
  {
    g_autoptr(LpGuard) empty = lp_guard_new ();

    g_assert_true (ljd_store_set_guard (store, 7, empty, &error));
    g_clear_object (&job);
    job = ljd_store_get_job (store, 7, &error);
    g_assert_null (lp_job_get_guard (job));
  }
}

static void
test_warnings (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) raised = NULL;
  gint64 id = insert (f, "Watched", 100, LP_JOB_STATUS_TRAINING);
  gint64 other = insert (f, "Other", 101, LP_JOB_STATUS_TRAINING);
  sqlite3 *db;
  sqlite3_stmt *s;

  g_assert_true (ljd_store_raise_warning (f->store, id, "stalled", 10, &error));
  g_assert_true (ljd_store_raise_warning (f->store, id, "gpu_low", 11, &error));
  g_assert_true (ljd_store_raise_warning (f->store, other, "divergence", 12, &error));
  g_assert_no_error (error);

  raised = ljd_store_list_raised_warnings (f->store, id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (raised), ==, 2);
  g_assert_true (g_strv_contains ((const char * const *) raised, "stalled"));
  g_assert_true (g_strv_contains ((const char * const *) raised, "gpu_low"));

  /* Re-armed, it is no longer raised; raised again, it counts twice. */
  g_assert_true (ljd_store_rearm_warning (f->store, id, "stalled", &error));
  g_clear_pointer (&raised, g_strfreev);
  raised = ljd_store_list_raised_warnings (f->store, id, &error);
  g_assert_cmpstrv (raised, ((const char *[]) { "gpu_low", NULL }));
  g_assert_true (ljd_store_raise_warning (f->store, id, "stalled", 20, &error));
  g_assert_no_error (error);

  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "SELECT raised, raised_at, count FROM job_warnings "
                                       "WHERE job_id = ? AND kind = 'stalled'",
                                       -1, &s, NULL), ==, SQLITE_OK);
  sqlite3_bind_int64 (s, 1, id);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (s, 0), ==, 1);
  g_assert_cmpint (sqlite3_column_int64 (s, 1), ==, 20);
  g_assert_cmpint (sqlite3_column_int (s, 2), ==, 2);
  sqlite3_finalize (s);
  sqlite3_close (db);

  /* A deleted job takes its warnings with it. */
  g_assert_true (ljd_store_delete_job (f->store, id, &error));
  g_assert_no_error (error);
  g_clear_pointer (&raised, g_strfreev);
  raised = ljd_store_list_raised_warnings (f->store, id, &error);
  g_assert_cmpuint (g_strv_length (raised), ==, 0);
  g_clear_pointer (&raised, g_strfreev);
  raised = ljd_store_list_raised_warnings (f->store, other, &error);
  g_assert_cmpstrv (raised, ((const char *[]) { "divergence", NULL }));
}

static void
test_recent_metrics_and_low_run (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) values = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) steps = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 id = insert (f, "Low", 100, LP_JOB_STATUS_TRAINING);
  const double gpu[] = { 90, 30, 95, 40, 20, 45 };
  LjdLowRun run;

  for (guint i = 0; i < G_N_ELEMENTS (gpu); i++)
    g_assert_true (ljd_store_add_metric (f->store, id, LP_SERIES_GPU_UTIL, (i + 1) * 10, gpu[i],
                                         1000 + i, &error));
  g_assert_true (ljd_store_add_metric (f->store, id, LP_SERIES_TRAIN_LOSS, 10, 2.0, 1000, &error));
  g_assert_true (ljd_store_add_metric (f->store, id, LP_SERIES_TRAIN_LOSS, 20, NAN, 1001, &error));
  g_assert_no_error (error);

  /* Newest first, NaN kept as NaN. */
  g_assert_true (ljd_store_recent_metrics (f->store, id, LP_SERIES_TRAIN_LOSS, 5, values, steps, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (values->len, ==, 2);
  g_assert_true (isnan (g_array_index (values, double, 0)));
  g_assert_cmpfloat (g_array_index (values, double, 1), ==, 2.0);
  g_assert_cmpint (g_array_index (steps, gint64, 0), ==, 20);

  /* The run below 50 that ends with the newest point: steps 40 to 60. */
  g_assert_true (ljd_store_get_low_run (f->store, id, LP_SERIES_GPU_UTIL, 50, &run, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (run.n_points, ==, 3);
  g_assert_cmpint (run.first_step, ==, 40);
  g_assert_cmpint (run.first_ts, ==, 1003);
  g_assert_cmpint (run.last_step, ==, 60);
  g_assert_cmpint (run.last_ts, ==, 1005);
  g_assert_cmpfloat (run.last_value, ==, 45);

  g_assert_true (ljd_store_add_metric (f->store, id, LP_SERIES_GPU_UTIL, 70, 50, 1006, &error));
  g_assert_true (ljd_store_get_low_run (f->store, id, LP_SERIES_GPU_UTIL, 50, &run, &error));
  g_assert_cmpuint (run.n_points, ==, 0);
}

/* The list's indexed queries against the plain definition of each filter,
 * worked out here over the same rows: every status set, time range and
 * search (shorter and longer than a trigram, Unicode, FTS5 syntax), both
 * ways a search is run (few matches and many), after status changes and
 * deletions, and a row written behind the store's back. */
typedef struct
{
  gint64      id;
  char       *name;
  gint64      created_at;
  LpJobStatus status;
  gboolean    gone;
} Row;

static gboolean
row_matches (const Row          *row,
             const LjdJobFilter *filter)
{
  g_autofree char *name = NULL, *query = NULL;

  if (row->gone)
    return FALSE;
  if (filter->status_mask != 0 && !(filter->status_mask & (1u << row->status)))
    return FALSE;
  if (row->created_at < filter->created_since)
    return FALSE;
  if (filter->query == NULL || filter->query[0] == '\0')
    return TRUE;

  name = g_utf8_casefold (row->name, -1);
  query = g_utf8_casefold (filter->query, -1);
  return strstr (name, query) != NULL;
}

static void
check_list (LjdStore     *store,
            Row          *rows,
            guint         n_rows,
            LjdJobFilter *filter)
{
  g_autoptr(GPtrArray) jobs = NULL;
  g_autoptr(GArray) expected = g_array_new (FALSE, FALSE, sizeof (Row *));
  g_autoptr(GError) error = NULL;
  guint total = G_MAXUINT;

  /* Rows are made in created_at, id order: newest first is backwards. */
  for (guint i = n_rows; i-- > 0;)
    if (row_matches (&rows[i], filter))
      {
        Row *row = &rows[i];
        g_array_append_val (expected, row);
      }

  jobs = ljd_store_list_jobs (store, filter, &total, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (total, ==, expected->len);
  for (guint i = 0; i < jobs->len; i++)
    {
      Row *row = g_array_index (expected, Row *, filter->offset + i);

      g_assert_cmpint (lp_job_get_id (g_ptr_array_index (jobs, i)), ==, row->id);
    }
  g_assert_cmpuint (jobs->len, ==, MIN (filter->limit, expected->len - MIN (filter->offset, expected->len)));
}

static void
test_list_indexed (Fixture       *f,
                   gconstpointer  data)
{
  static const char *words[] = { "llama", "Mistral", "MISTRAL", "sdxl", "Äpfel", "straße", "qu\"ote",
                                 "st*r", "AND", "NOT", "x", "日本語", "lora" };
  static const char *queries[] = { NULL, "", "l", "ll", "lla", "mistral", "Mistral-sd", "äPF", "STRASSE",
                                   "straße", "\"", "u\"o", "*", "t*r", "and", "NOT lora", "日本", "-", "zzz",
                                   "lora-", NULL };
  static const guint masks[] = { 0, 1u << LP_JOB_STATUS_QUEUED, 1u << LP_JOB_STATUS_COMPLETED,
                                 LP_ACTIVE_STATUS_MASK, (1u << LP_JOB_STATUS_FAILED) | (1u << LP_JOB_STATUS_QUEUED) };
  static const gint64 since[] = { 0, 1500, 2999 };
  const guint n_rows = 2600;
  g_autofree Row *rows = g_new0 (Row, n_rows);
  g_autoptr(GError) error = NULL;
  GRand *rand = g_rand_new_with_seed (15);
  guint counts[LP_N_JOB_STATUSES], expected_counts[LP_N_JOB_STATUSES] = { 0 };
  sqlite3 *db;

  g_assert_true (ljd_store_begin (f->store, &error));
  for (guint i = 0; i < n_rows; i++)
    {
      /* Most names hold "lora", so that search has more matches than the
       * store sorts by hand. */
      rows[i].name = g_strdup_printf ("%s-%s%s-%u", words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))],
                                      words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))],
                                      g_rand_int_range (rand, 0, 10) < 9 ? "-lora" : "", i);
      rows[i].created_at = 1000 + i / 2;
      rows[i].status = g_rand_int_range (rand, 0, LP_N_JOB_STATUSES);
      rows[i].id = insert (f, rows[i].name, rows[i].created_at, rows[i].status);
    }
  g_assert_true (ljd_store_commit (f->store, &error));

  /* Status changes and deletions keep the counts and the names right. */
  for (guint i = 0; i < n_rows; i += 7)
    {
      g_autoptr(LpJob) job = ljd_store_get_job (f->store, rows[i].id, &error);

      g_assert_no_error (error);
      rows[i].status = (rows[i].status + 3) % LP_N_JOB_STATUSES;
      lp_job_set_status (job, rows[i].status);
      g_assert_true (ljd_store_update_job (f->store, job, &error));
    }
  for (guint i = 3; i < n_rows; i += 11)
    {
      rows[i].status = LP_JOB_STATUS_COMPLETED;
      {
        g_autoptr(LpJob) job = ljd_store_get_job (f->store, rows[i].id, &error);
        lp_job_set_status (job, LP_JOB_STATUS_COMPLETED);
        g_assert_true (ljd_store_update_job (f->store, job, &error));
      }
      g_assert_true (ljd_store_delete_job (f->store, rows[i].id, &error));
      rows[i].gone = TRUE;
    }

  for (guint i = 0; i < n_rows; i++)
    if (!rows[i].gone)
      expected_counts[rows[i].status]++;
  g_assert_true (ljd_store_count_by_status (f->store, counts, &error));
  for (guint i = 0; i < LP_N_JOB_STATUSES; i++)
    g_assert_cmpuint (counts[i], ==, expected_counts[i]);

  for (guint m = 0; m < G_N_ELEMENTS (masks); m++)
    for (guint r = 0; r < G_N_ELEMENTS (since); r++)
      for (guint q = 0; q == 0 || queries[q] != NULL; q++)
        {
          LjdJobFilter filter = { masks[m], since[r], queries[q], 0, 25 };

          check_list (f->store, rows, n_rows, &filter);
          filter.offset = 40;
          filter.limit = 100;
          check_list (f->store, rows, n_rows, &filter);
        }

  /* Queue positions: the queued jobs in the order they were made. */
  {
    gint64 position = 0;

    for (guint i = 0; i < n_rows; i++)
      {
        g_autoptr(LpJob) job = NULL;

        if (rows[i].gone)
          continue;
        job = ljd_store_get_job (f->store, rows[i].id, &error);
        if (rows[i].status == LP_JOB_STATUS_QUEUED)
          g_assert_cmpint (ljd_store_queue_position (f->store, job), ==, ++position);
        else
          g_assert_cmpint (ljd_store_queue_position (f->store, job), ==, 0);
      }
  }

  /* A job written with the sqlite3 tool is counted at once and found by
   * name from the next start. */
  g_clear_object (&f->store);
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
                                 "INSERT INTO jobs (name, status, created_by, created_at,"
                                 " total_steps, total_epochs, gpu_type, pricing, hourly_rate,"
                                 " preset, provider, webhook_secret)"
                                 " VALUES ('Imported Ärger', 4, 'bob', 5000, 10, 1, 'H100', 'spot',"
                                 " 2.49, 'balanced', 'simulator', 'secret');",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  f->store = ljd_store_open (f->path, &error);
  g_assert_no_error (error);
  {
    LjdJobFilter filter = { 0, 0, "äRGER", 0, 25 };
    guint total = 0;
    g_autoptr(GPtrArray) jobs = ljd_store_list_jobs (f->store, &filter, &total, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (jobs->len, ==, 1);
    g_assert_cmpuint (total, ==, 1);
    g_assert_true (ljd_store_count_by_status (f->store, counts, &error));
    g_assert_cmpuint (counts[LP_JOB_STATUS_COMPLETED], ==, expected_counts[LP_JOB_STATUS_COMPLETED] + 1);
  }

  for (guint i = 0; i < n_rows; i++)
    g_free (rows[i].name);
  g_rand_free (rand);
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
  ADD ("/store/list-indexed", test_list_indexed);
  ADD ("/store/events", test_events);
  ADD ("/store/metrics", test_metrics);
  ADD ("/store/reopen", test_reopen_keeps_everything);
  ADD ("/store/migrate-from-1", test_migrate_from_1);
  ADD ("/store/warnings", test_warnings);
  ADD ("/store/recent-metrics", test_recent_metrics_and_low_run);

#undef ADD

  return g_test_run ();
}
