/* bench-ingest-raw.c: the floor for webhook ingest, sqlite alone
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The reference of bench_ingest.py: the rows a metrics event leaves in the
 * service's database (its event row with the payload and the generated
 * message, one history row per reported series) inserted with prepared
 * statements, one transaction per batch, into a database lora-jobd made
 * (so the same schema, indexes and triggers) with the service's pragmas.
 * No HTTP, no JSON parsing, no signature: what is left is sqlite's cost.
 * The numbers are those of benchlib.metrics_data().
 *
 *   bench-ingest-raw DB JOB_ID N_EVENTS BATCH FIRST_STEP
 *
 * Prints "events/s N".
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <glib.h>
#include <sqlite3.h>

static void
check (sqlite3 *db,
       int      rc,
       int      want,
       const char *what)
{
  if (rc != want)
    {
      g_printerr ("bench-ingest-raw: %s: %s\n", what, sqlite3_errmsg (db));
      exit (1);
    }
}

static void
exec (sqlite3    *db,
      const char *sql)
{
  check (db, sqlite3_exec (db, sql, NULL, NULL, NULL), SQLITE_OK, sql);
}

static void
add_metric (sqlite3      *db,
            sqlite3_stmt *s,
            gint64        job_id,
            int           series,
            gint64        step,
            double        value,
            gint64        ts)
{
  sqlite3_bind_int64 (s, 1, job_id);
  sqlite3_bind_int (s, 2, series);
  sqlite3_bind_int64 (s, 3, step);
  sqlite3_bind_double (s, 4, value);
  sqlite3_bind_int64 (s, 5, ts);
  check (db, sqlite3_step (s), SQLITE_DONE, "inserting a metric");
  sqlite3_reset (s);
}

int
main (int   argc,
      char *argv[])
{
  sqlite3 *db = NULL;
  sqlite3_stmt *event = NULL;
  sqlite3_stmt *metric = NULL;
  gint64 job_id, n_events, batch, first;
  gint64 start, elapsed;
  char payload[256];
  char message[256];
  char source[32];

  if (argc != 6)
    {
      g_printerr ("usage: bench-ingest-raw DB JOB_ID N_EVENTS BATCH FIRST_STEP\n");
      return 2;
    }
  job_id = g_ascii_strtoll (argv[2], NULL, 10);
  n_events = g_ascii_strtoll (argv[3], NULL, 10);
  batch = MAX (1, g_ascii_strtoll (argv[4], NULL, 10));
  first = g_ascii_strtoll (argv[5], NULL, 10);

  check (db, sqlite3_open_v2 (argv[1], &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK, "opening");
  exec (db, "PRAGMA journal_mode = WAL");
  exec (db, "PRAGMA synchronous = NORMAL");
  exec (db, "PRAGMA foreign_keys = ON");
  exec (db, "PRAGMA cache_size = -32768");
  check (db, sqlite3_prepare_v2 (db,
                                 "INSERT INTO events (job_id, ts, type, message, payload, source_id) "
                                 "VALUES (?, ?, ?, ?, ?, ?)", -1, &event, NULL), SQLITE_OK, "preparing");
  check (db, sqlite3_prepare_v2 (db,
                                 "INSERT OR REPLACE INTO training_metrics_history "
                                 "(job_id, series, step, value, ts) VALUES (?, ?, ?, ?, ?)", -1, &metric, NULL),
         SQLITE_OK, "preparing");

  start = g_get_monotonic_time ();
  for (gint64 step = first; step < first + n_events; step++)
    {
      double loss = 0.3 + 1.5 / (1.0 + step / 2000.0) + ((step * 7919) % 101) / 5000.0;
      double gpu = 90 + step % 10;
      gint64 ts = g_get_real_time ();
      gboolean val = step % 100 == 0;

      if ((step - first) % batch == 0)
        exec (db, "BEGIN IMMEDIATE");

      /* The event's payload and message as the service writes them. */
      g_snprintf (payload, sizeof payload,
                  "{\"step\":%" G_GINT64_FORMAT ",\"epoch\":%.3f,\"train_loss\":%.4f,"
                  "\"learning_rate\":0.0002,\"gpu_util\":%.0f%s}",
                  step, step / 1000.0, loss, gpu, val ? ",\"val_loss\":1.0" : "");
      g_snprintf (message, sizeof message,
                  "Step %" G_GINT64_FORMAT ": loss=%.4g, lr=%.3g, gpu_util=%.0f%%", step, loss, 2e-4, gpu);
      g_snprintf (source, sizeof source, "r%" G_GINT64_FORMAT, step);

      sqlite3_bind_int64 (event, 1, job_id);
      sqlite3_bind_int64 (event, 2, ts);
      sqlite3_bind_int (event, 3, 2);
      sqlite3_bind_text (event, 4, message, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (event, 5, payload, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (event, 6, source, -1, SQLITE_TRANSIENT);
      check (db, sqlite3_step (event), SQLITE_DONE, "inserting an event");
      sqlite3_reset (event);

      add_metric (db, metric, job_id, 0, step, loss, ts);
      if (val)
        add_metric (db, metric, job_id, 1, step, loss * 1.05, ts);
      add_metric (db, metric, job_id, 2, step, 2e-4, ts);
      add_metric (db, metric, job_id, 3, step, gpu, ts);

      if ((step - first) % batch == batch - 1 || step == first + n_events - 1)
        exec (db, "COMMIT");
    }
  elapsed = g_get_monotonic_time () - start;

  printf ("events/s %.0f\n", n_events / (elapsed / 1e6));

  sqlite3_finalize (event);
  sqlite3_finalize (metric);
  sqlite3_close (db);

  return 0;
}
