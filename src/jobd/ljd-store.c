/* ljd-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <sqlite3.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "lp-decimate.h"
#include "lp-json.h"
#include "ljd-store.h"

struct _LjdStore
{
  GObject     parent_instance;
  char       *path;
  sqlite3    *db;
  /* Prepared statements keyed by their (static) SQL text. */
  GHashTable *statements;
};

G_DEFINE_FINAL_TYPE (LjdStore, ljd_store, G_TYPE_OBJECT)

/* Each entry moves the schema from version i to i + 1. A released entry is
 * never edited: a change to the schema is a new entry. */
static const char *migrations[] = {
  /* 0 -> 1 */
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
  "CREATE UNIQUE INDEX events_source ON events (job_id, source_id) WHERE source_id IS NOT NULL;",

  /* 1 -> 2: the service's early warnings. A row says a warning of this
   * kind was raised for the job and whether its condition still holds
   * (raised = 1) or has cleared since (0, re-armed), so each is raised once
   * per occurrence even across restarts. Looked up by its primary key. */
  "CREATE TABLE job_warnings ("
  "  job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,"
  "  kind TEXT NOT NULL,"
  "  raised INTEGER NOT NULL,"
  "  raised_at INTEGER NOT NULL,"
  "  count INTEGER NOT NULL,"
  "  PRIMARY KEY (job_id, kind)) WITHOUT ROWID;",

  /* 2 -> 3: a list of a year of jobs that indexes can serve. The status
   * index also orders by time, so a status filter reads its page in order
   * and a queue position is a count over a short range. Per-status counts
   * are kept by triggers, so the tab badges cost one short read. Names are
   * searched in a table of their case folds (g_utf8_casefold, written by
   * the service: sqlite folds ASCII only) with an FTS5 trigram index over
   * it, so a search reads the rows that match, not every name. */
  "DROP INDEX jobs_status;"
  "CREATE INDEX jobs_status ON jobs (status, created_at, id);"
  "CREATE TABLE job_counts ("
  "  status INTEGER PRIMARY KEY,"
  "  n INTEGER NOT NULL);"
  "INSERT INTO job_counts (status, n) SELECT status, count(*) FROM jobs GROUP BY status;"
  "CREATE TRIGGER job_counts_insert AFTER INSERT ON jobs BEGIN"
  "  INSERT INTO job_counts (status, n) VALUES (NEW.status, 1)"
  "    ON CONFLICT (status) DO UPDATE SET n = n + 1;"
  "END;"
  "CREATE TRIGGER job_counts_delete AFTER DELETE ON jobs BEGIN"
  "  UPDATE job_counts SET n = n - 1 WHERE status = OLD.status;"
  "END;"
  "CREATE TRIGGER job_counts_update AFTER UPDATE OF status ON jobs"
  "  WHEN OLD.status != NEW.status BEGIN"
  "  UPDATE job_counts SET n = n - 1 WHERE status = OLD.status;"
  "  INSERT INTO job_counts (status, n) VALUES (NEW.status, 1)"
  "    ON CONFLICT (status) DO UPDATE SET n = n + 1;"
  "END;"
  "CREATE TABLE job_names ("
  "  id INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,"
  "  folded TEXT NOT NULL);"
  "CREATE VIRTUAL TABLE job_names_fts USING fts5 ("
  "  folded, content = 'job_names', content_rowid = 'id',"
  "  tokenize = 'trigram case_sensitive 1');"
  "CREATE TRIGGER job_names_insert AFTER INSERT ON job_names BEGIN"
  "  INSERT INTO job_names_fts (rowid, folded) VALUES (NEW.id, NEW.folded);"
  "END;"
  "CREATE TRIGGER job_names_delete AFTER DELETE ON job_names BEGIN"
  "  INSERT INTO job_names_fts (job_names_fts, rowid, folded) VALUES ('delete', OLD.id, OLD.folded);"
  "END;"
  "INSERT INTO job_names (id, folded) SELECT id, lp_casefold(name) FROM jobs;",

  /* 3 -> 4: a job's budget guard, its rules and where they stand, as the
   * JSON the API serves (lp_guard_to_json); NULL: no guard. */
  "ALTER TABLE jobs ADD COLUMN guard TEXT;",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == LJD_STORE_SCHEMA_VERSION);

static gboolean
sql_error (LjdStore    *self,
           GError     **error,
           const char  *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               /* Translators: %s is what failed, then sqlite's message */
               _("Database error while %s: %s"), what, sqlite3_errmsg (self->db));
  return FALSE;
}

static void
ljd_store_finalize (GObject *object)
{
  LjdStore *self = (LjdStore *) object;

  g_clear_pointer (&self->statements, g_hash_table_unref);
  if (self->db != NULL)
    {
      sqlite3_close_v2 (self->db);
      self->db = NULL;
    }
  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (ljd_store_parent_class)->finalize (object);
}

static void
ljd_store_class_init (LjdStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ljd_store_finalize;
}

static void
ljd_store_init (LjdStore *self)
{
  self->statements = g_hash_table_new_full (NULL, NULL, NULL,
                                            (GDestroyNotify) sqlite3_finalize);
}

/* Returns a reset statement for @sql, which must be a string literal. */
static sqlite3_stmt *
stmt (LjdStore   *self,
      const char *sql)
{
  sqlite3_stmt *s = g_hash_table_lookup (self->statements, sql);

  if (s != NULL)
    {
      sqlite3_reset (s);
      sqlite3_clear_bindings (s);
      return s;
    }

  if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
    {
      g_critical ("Failed to prepare “%s”: %s", sql, sqlite3_errmsg (self->db));
      return NULL;
    }

  g_hash_table_insert (self->statements, (gpointer) sql, s);
  return s;
}

static gboolean
exec (LjdStore    *self,
      const char  *sql,
      GError     **error)
{
  char *msg = NULL;

  if (sqlite3_exec (self->db, sql, NULL, NULL, &msg) != SQLITE_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Database error: %s"), msg ? msg : sqlite3_errmsg (self->db));
      sqlite3_free (msg);
      return FALSE;
    }

  return TRUE;
}

static void
bind_text (sqlite3_stmt *s,
           int           i,
           const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (s, i);
  else
    sqlite3_bind_text (s, i, text, -1, SQLITE_TRANSIENT);
}

static void
bind_time (sqlite3_stmt *s,
           int           i,
           gint64        usec)
{
  if (usec == 0)
    sqlite3_bind_null (s, i);
  else
    sqlite3_bind_int64 (s, i, usec);
}

static void
bind_positive (sqlite3_stmt *s,
               int           i,
               double        value)
{
  if (value > 0)
    sqlite3_bind_double (s, i, value);
  else
    sqlite3_bind_null (s, i);
}

static const char *
column_text (sqlite3_stmt *s,
             int           i)
{
  return (const char *) sqlite3_column_text (s, i);
}

/* NULL columns read as 0, which the model takes as "not set". */
static gint64
column_time (sqlite3_stmt *s,
             int           i)
{
  return sqlite3_column_int64 (s, i);
}

static gboolean
run_done (LjdStore      *self,
          sqlite3_stmt  *s,
          const char    *what,
          GError       **error)
{
  int rc = sqlite3_step (s);

  sqlite3_reset (s);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return sql_error (self, error, what);

  return TRUE;
}

/* sqlite's lower() and LIKE fold ASCII only; names are UTF-8. */
static void
casefold_func (sqlite3_context  *ctx,
               int               argc,
               sqlite3_value   **argv)
{
  const char *text = (const char *) sqlite3_value_text (argv[0]);
  char *folded;

  if (text == NULL)
    {
      sqlite3_result_null (ctx);
      return;
    }

  folded = g_utf8_casefold (text, -1);
  sqlite3_result_text (ctx, folded, -1, g_free);
}

static gboolean
migrate (LjdStore  *self,
         GError   **error)
{
  sqlite3_stmt *s = stmt (self, "PRAGMA user_version");
  int version;

  if (s == NULL || sqlite3_step (s) != SQLITE_ROW)
    return sql_error (self, error, _("reading the schema version"));
  version = sqlite3_column_int (s, 0);
  sqlite3_reset (s);

  if (version > LJD_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("The database %s was written by a newer lora-jobd (schema %d, this one knows %d); refusing to touch it"),
                   self->path, version, LJD_STORE_SCHEMA_VERSION);
      return FALSE;
    }

  for (; version < LJD_STORE_SCHEMA_VERSION; version++)
    {
      g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %d", version + 1);

      if (!exec (self, "BEGIN IMMEDIATE", error))
        return FALSE;

      if (!exec (self, migrations[version], error) || !exec (self, bump, error))
        {
          ljd_store_rollback (self);
          g_prefix_error (error, _("Upgrading the database to schema %d: "), version + 1);
          return FALSE;
        }

      if (!ljd_store_commit (self, error))
        return FALSE;
    }

  return TRUE;
}

/* Jobs written by something else than this store (an import with the
 * sqlite3 tool) have no folded name yet; they get one here, so a search
 * finds them from the next start on. One anti-join on the primary keys. */
static gboolean
index_new_names (LjdStore  *self,
                 GError   **error)
{
  return exec (self,
               "INSERT INTO job_names (id, folded) SELECT id, lp_casefold(name) FROM jobs "
               "WHERE id NOT IN (SELECT id FROM job_names)",
               error);
}

LjdStore *
ljd_store_open (const char  *path,
                GError     **error)
{
  g_autoptr(LjdStore) self = g_object_new (LJD_TYPE_STORE, NULL);
  g_autofree char *dir = g_path_get_dirname (path);

  self->path = g_strdup (path);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Cannot create the folder %s: %s"), dir, g_strerror (errsv));
      return NULL;
    }

  if (sqlite3_open_v2 (path, &self->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                       NULL) != SQLITE_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Cannot open the database %s: %s"), path,
                   self->db ? sqlite3_errmsg (self->db) : g_strerror (ENOMEM));
      return NULL;
    }

  /* It holds every job's webhook secret: its owner's only, whatever the
   * umask; sqlite gives its -wal and -shm files the same mode. */
  if (path[0] != '\0' && !g_str_equal (path, ":memory:"))
    g_chmod (path, 0600);
  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, 5000);
  sqlite3_create_function (self->db, "lp_casefold", 1,
                           SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                           NULL, casefold_func, NULL, NULL);

  if (!exec (self, "PRAGMA journal_mode = WAL", error) ||
      !exec (self, "PRAGMA synchronous = NORMAL", error) ||
      !exec (self, "PRAGMA foreign_keys = ON", error) ||
      /* The list reads indexes of a year of jobs: let them stay in memory
       * rather than be read again with a system call per page. */
      !exec (self, "PRAGMA cache_size = -32768", error) ||
      !exec (self, "PRAGMA mmap_size = 268435456", error) ||
      !migrate (self, error) ||
      !index_new_names (self, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }

  return g_steal_pointer (&self);
}

const char *
ljd_store_get_path (LjdStore *self)
{
  g_return_val_if_fail (LJD_IS_STORE (self), NULL);
  return self->path;
}

gboolean
ljd_store_begin (LjdStore  *self,
                 GError   **error)
{
  return exec (self, "BEGIN IMMEDIATE", error);
}

/* A COMMIT that fails (busy, disk full) can leave the transaction open,
 * and every later write would silently join it; it is rolled back here. */
gboolean
ljd_store_commit (LjdStore  *self,
                  GError   **error)
{
  if (exec (self, "COMMIT", error))
    return TRUE;

  ljd_store_rollback (self);
  return FALSE;
}

void
ljd_store_rollback (LjdStore *self)
{
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Users and tokens */

/* Only the token's hash is stored, so a copied database grants nothing. */
static char *
hash_token (const char *token)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

char *
ljd_random_hex (gsize n_bytes)
{
  g_autoptr(GString) str = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = g_file_new_for_path ("/dev/urandom");
  g_autoptr(GFileInputStream) stream = g_file_read (file, NULL, &error);
  guint8 buf[64];
  gsize n_read = 0;

  g_assert (n_bytes <= sizeof buf);
  str = g_string_sized_new (n_bytes * 2);

  if (stream == NULL ||
      !g_input_stream_read_all (G_INPUT_STREAM (stream), buf, n_bytes, &n_read, NULL, &error) ||
      n_read != n_bytes)
    g_error ("Cannot read random bytes: %s", error ? error->message : "short read");

  for (gsize i = 0; i < n_bytes; i++)
    g_string_append_printf (str, "%02x", buf[i]);

  return g_string_free (g_steal_pointer (&str), FALSE);
}

static gboolean
is_blank (const char *str)
{
  for (; *str; str = g_utf8_next_char (str))
    if (!g_unichar_isspace (g_utf8_get_char (str)))
      return FALSE;

  return TRUE;
}

char *
ljd_store_add_token (LjdStore    *self,
                     const char  *user,
                     GError     **error)
{
  g_autofree char *random = NULL;
  g_autofree char *token = NULL;
  g_autofree char *hash = NULL;
  sqlite3_stmt *s;
  gint64 user_id;

  g_return_val_if_fail (LJD_IS_STORE (self), NULL);

  if (user == NULL || !g_utf8_validate (user, -1, NULL) ||
      g_utf8_strlen (user, -1) > 100 || is_blank (user))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("A user name must be 1 to 100 characters of UTF-8"));
      return NULL;
    }

  random = ljd_random_hex (24);
  token = g_strconcat ("lm_", random, NULL);
  hash = hash_token (token);

  if (!ljd_store_begin (self, error))
    return NULL;

  s = stmt (self, "INSERT INTO users (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING");
  bind_text (s, 1, user);
  sqlite3_bind_int64 (s, 2, g_get_real_time ());
  if (!run_done (self, s, _("adding a user"), error))
    goto fail;

  s = stmt (self, "SELECT id FROM users WHERE name = ?");
  bind_text (s, 1, user);
  if (sqlite3_step (s) != SQLITE_ROW)
    {
      sql_error (self, error, _("adding a user"));
      goto fail;
    }
  user_id = sqlite3_column_int64 (s, 0);
  sqlite3_reset (s);

  s = stmt (self, "INSERT INTO tokens (user_id, token_hash, created_at) VALUES (?, ?, ?)");
  sqlite3_bind_int64 (s, 1, user_id);
  bind_text (s, 2, hash);
  sqlite3_bind_int64 (s, 3, g_get_real_time ());
  if (!run_done (self, s, _("adding a token"), error))
    goto fail;

  if (!ljd_store_commit (self, error))
    goto fail;

  return g_steal_pointer (&token);

fail:
  ljd_store_rollback (self);
  return NULL;
}

char *
ljd_store_lookup_token (LjdStore   *self,
                        const char *token)
{
  g_autofree char *hash = NULL;
  sqlite3_stmt *s;
  char *user = NULL;

  g_return_val_if_fail (LJD_IS_STORE (self), NULL);

  if (token == NULL || *token == '\0')
    return NULL;

  hash = hash_token (token);
  s = stmt (self,
            "SELECT users.name FROM tokens JOIN users ON users.id = tokens.user_id "
            "WHERE tokens.token_hash = ?");
  bind_text (s, 1, hash);
  if (sqlite3_step (s) == SQLITE_ROW)
    user = g_strdup (column_text (s, 0));
  sqlite3_reset (s);

  return user;
}

gboolean
ljd_store_revoke_tokens (LjdStore    *self,
                         const char  *user,
                         GError     **error)
{
  sqlite3_stmt *s;

  g_return_val_if_fail (LJD_IS_STORE (self), FALSE);

  s = stmt (self, "DELETE FROM tokens WHERE user_id IN (SELECT id FROM users WHERE name = ?)");
  bind_text (s, 1, user);
  return run_done (self, s, _("revoking tokens"), error);
}

/* Jobs */

#define JOB_COLUMNS \
  "id, name, status, created_by, cancelled_by, created_at, started_at, finished_at, " \
  "current_step, total_steps, epoch, total_epochs, gpu_type, pricing, hourly_rate, " \
  "estimate_min, estimate_max, preset, provider, config, error, cancel_reason, final_cost, guard"
/* The same, where the names table is joined in. */
#define JOB_COLUMNS_OF_JOBS \
  "jobs.id, jobs.name, jobs.status, jobs.created_by, jobs.cancelled_by, jobs.created_at, " \
  "jobs.started_at, jobs.finished_at, jobs.current_step, jobs.total_steps, jobs.epoch, " \
  "jobs.total_epochs, jobs.gpu_type, jobs.pricing, jobs.hourly_rate, jobs.estimate_min, " \
  "jobs.estimate_max, jobs.preset, jobs.provider, jobs.config, jobs.error, " \
  "jobs.cancel_reason, jobs.final_cost, jobs.guard"

static gboolean
load_stages (LjdStore  *self,
             LpJob     *job,
             GError   **error)
{
  g_autoptr(GPtrArray) stages = g_ptr_array_new_with_free_func ((GDestroyNotify) lp_stage_free);
  sqlite3_stmt *s;
  int rc;

  for (guint i = 0; i < LP_N_STAGES; i++)
    g_ptr_array_add (stages, lp_stage_new ((LpStageKind) i));

  s = stmt (self,
            "SELECT idx, status, started_at, finished_at, substatus, error "
            "FROM stages WHERE job_id = ?");
  sqlite3_bind_int64 (s, 1, lp_job_get_id (job));

  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      int idx = sqlite3_column_int (s, 0);
      LpStage *stage;

      if (idx < 0 || idx >= LP_N_STAGES)
        continue;

      stage = g_ptr_array_index (stages, idx);
      stage->status = (LpStageStatus) CLAMP (sqlite3_column_int (s, 1), 0, LP_STAGE_STATUS_FAILED);
      stage->started_at = column_time (s, 2);
      stage->finished_at = column_time (s, 3);
      stage->substatus = g_strdup (column_text (s, 4));
      stage->error = g_strdup (column_text (s, 5));
    }
  sqlite3_reset (s);

  if (rc != SQLITE_DONE)
    return sql_error (self, error, _("reading stages"));

  lp_job_set_stages (job, stages);
  return TRUE;
}

/* A guard the service wrote; one it cannot read any more is dropped with
 * a warning rather than making its job unreadable. */
static void
set_guard_from_text (LpJob      *job,
                     const char *text)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(LpGuard) guard = NULL;
  g_autoptr(GError) error = NULL;

  if (text == NULL)
    return;

  if (!(object = lp_json_parse_object (text, strlen (text), &error)) ||
      !(guard = lp_guard_new_from_json (object, &error)))
    {
      g_warning ("Ignoring the unreadable guard of job %" G_GINT64_FORMAT ": %s",
                 lp_job_get_id (job), error->message);
      return;
    }

  lp_job_set_guard (job, guard);
}

static LpJob *
job_from_row (sqlite3_stmt *s)
{
  LpJob *job = lp_job_new ();
  const char *config = column_text (s, 19);
  g_autoptr(JsonObject) config_obj = NULL;
  int status = sqlite3_column_int (s, 2);

  lp_job_set_id (job, sqlite3_column_int64 (s, 0));
  lp_job_set_name (job, column_text (s, 1));
  lp_job_set_status (job, (LpJobStatus) CLAMP (status, 0, LP_N_JOB_STATUSES - 1));
  lp_job_set_created_by (job, column_text (s, 3));
  lp_job_set_cancelled_by (job, column_text (s, 4));
  lp_job_set_created_at (job, column_time (s, 5));
  lp_job_set_started_at (job, column_time (s, 6));
  lp_job_set_finished_at (job, column_time (s, 7));
  lp_job_set_current_step (job, sqlite3_column_int64 (s, 8));
  lp_job_set_total_steps (job, sqlite3_column_int64 (s, 9));
  lp_job_set_epoch (job, sqlite3_column_int64 (s, 10));
  lp_job_set_total_epochs (job, sqlite3_column_int64 (s, 11));
  lp_job_set_gpu_type (job, column_text (s, 12));
  lp_job_set_pricing (job, column_text (s, 13));
  lp_job_set_hourly_rate (job, sqlite3_column_double (s, 14));
  lp_job_set_estimate (job, sqlite3_column_double (s, 15), sqlite3_column_double (s, 16));
  lp_job_set_preset (job, column_text (s, 17));
  lp_job_set_provider (job, column_text (s, 18));
  if (config != NULL)
    config_obj = lp_json_parse_object (config, strlen (config), NULL);
  if (config_obj == NULL)
    config_obj = json_object_new ();
  lp_job_set_config (job, config_obj);
  lp_job_set_error (job, column_text (s, 20));
  lp_job_set_cancel_reason (job, column_text (s, 21));
  lp_job_set_cost (job, sqlite3_column_double (s, 22));
  set_guard_from_text (job, column_text (s, 23));

  return job;
}

static char *
config_to_string (LpJob *job)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *config = lp_job_get_config (job);

  if (config == NULL)
    return g_strdup ("{}");

  json_node_set_object (node, config);
  return lp_json_to_string (node, FALSE);
}

static gboolean
save_stages (LjdStore  *self,
             LpJob     *job,
             GError   **error)
{
  GPtrArray *stages = lp_job_get_stages (job);

  for (guint i = 0; i < stages->len; i++)
    {
      const LpStage *stage = g_ptr_array_index (stages, i);
      sqlite3_stmt *s = stmt (self,
                              "INSERT OR REPLACE INTO stages "
                              "(job_id, idx, status, started_at, finished_at, substatus, error) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?)");

      sqlite3_bind_int64 (s, 1, lp_job_get_id (job));
      sqlite3_bind_int (s, 2, (int) i);
      sqlite3_bind_int (s, 3, stage->status);
      bind_time (s, 4, stage->started_at);
      bind_time (s, 5, stage->finished_at);
      bind_text (s, 6, stage->substatus);
      bind_text (s, 7, stage->error);
      if (!run_done (self, s, _("saving stages"), error))
        return FALSE;
    }

  return TRUE;
}

gboolean
ljd_store_insert_job (LjdStore    *self,
                      LpJob       *job,
                      const char  *webhook_secret,
                      GError     **error)
{
  g_autofree char *config = config_to_string (job);
  sqlite3_stmt *s;

  g_return_val_if_fail (LJD_IS_STORE (self), FALSE);

  s = stmt (self,
            "INSERT INTO jobs (name, status, created_by, created_at, total_steps, "
            "total_epochs, gpu_type, pricing, hourly_rate, estimate_min, estimate_max, "
            "preset, provider, config, webhook_secret) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  bind_text (s, 1, lp_job_get_name (job));
  sqlite3_bind_int (s, 2, lp_job_get_status (job));
  bind_text (s, 3, lp_job_get_created_by (job));
  sqlite3_bind_int64 (s, 4, lp_job_get_created_at (job));
  sqlite3_bind_int64 (s, 5, lp_job_get_total_steps (job));
  sqlite3_bind_int64 (s, 6, lp_job_get_total_epochs (job));
  bind_text (s, 7, lp_job_get_gpu_type (job));
  bind_text (s, 8, lp_job_get_pricing (job));
  sqlite3_bind_double (s, 9, lp_job_get_hourly_rate (job));
  bind_positive (s, 10, lp_job_get_estimate_min (job));
  bind_positive (s, 11, lp_job_get_estimate_max (job));
  bind_text (s, 12, lp_job_get_preset (job));
  bind_text (s, 13, lp_job_get_provider (job));
  bind_text (s, 14, config);
  bind_text (s, 15, webhook_secret);

  if (!run_done (self, s, _("creating a job"), error))
    return FALSE;

  lp_job_set_id (job, sqlite3_last_insert_rowid (self->db));

  s = stmt (self, "INSERT INTO job_names (id, folded) VALUES (?, ?)");
  sqlite3_bind_int64 (s, 1, lp_job_get_id (job));
  sqlite3_bind_text (s, 2, g_utf8_casefold (lp_job_get_name (job), -1), -1, g_free);
  if (!run_done (self, s, _("creating a job"), error))
    return FALSE;

  return save_stages (self, job, error);
}

gboolean
ljd_store_update_job (LjdStore  *self,
                      LpJob     *job,
                      GError   **error)
{
  sqlite3_stmt *s;

  g_return_val_if_fail (LJD_IS_STORE (self), FALSE);

  s = stmt (self,
            "UPDATE jobs SET status = ?, cancelled_by = ?, started_at = ?, finished_at = ?, "
            "current_step = ?, epoch = ?, error = ?, cancel_reason = ?, final_cost = ? "
            "WHERE id = ?");
  sqlite3_bind_int (s, 1, lp_job_get_status (job));
  bind_text (s, 2, lp_job_get_cancelled_by (job));
  bind_time (s, 3, lp_job_get_started_at (job));
  bind_time (s, 4, lp_job_get_finished_at (job));
  sqlite3_bind_int64 (s, 5, lp_job_get_current_step (job));
  sqlite3_bind_int64 (s, 6, lp_job_get_epoch (job));
  bind_text (s, 7, lp_job_get_error (job));
  bind_text (s, 8, lp_job_get_cancel_reason (job));
  if (lp_job_status_is_finished (lp_job_get_status (job)))
    sqlite3_bind_double (s, 9, lp_job_get_cost (job));
  else
    sqlite3_bind_null (s, 9);
  sqlite3_bind_int64 (s, 10, lp_job_get_id (job));

  if (!run_done (self, s, _("saving a job"), error))
    return FALSE;

  return save_stages (self, job, error);
}

LpJob *
ljd_store_get_job (LjdStore  *self,
                   gint64     id,
                   GError   **error)
{
  g_autoptr(LpJob) job = NULL;
  sqlite3_stmt *s;
  int rc;

  g_return_val_if_fail (LJD_IS_STORE (self), NULL);

  s = stmt (self, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?");
  sqlite3_bind_int64 (s, 1, id);
  rc = sqlite3_step (s);
  if (rc == SQLITE_ROW)
    job = job_from_row (s);
  sqlite3_reset (s);

  if (rc == SQLITE_DONE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("There is no job %lld"), (long long) id);
      return NULL;
    }
  if (rc != SQLITE_ROW)
    {
      sql_error (self, error, _("reading a job"));
      return NULL;
    }

  if (!load_stages (self, job, error))
    return NULL;

  return g_steal_pointer (&job);
}

static GPtrArray *
collect_jobs (LjdStore      *self,
              sqlite3_stmt  *s,
              GError       **error)
{
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_object_unref);
  int rc;

  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    g_ptr_array_add (jobs, job_from_row (s));
  sqlite3_reset (s);

  if (rc != SQLITE_DONE)
    {
      sql_error (self, error, _("listing jobs"));
      return NULL;
    }

  for (guint i = 0; i < jobs->len; i++)
    if (!load_stages (self, g_ptr_array_index (jobs, i), error))
      return NULL;

  return g_steal_pointer (&jobs);
}

/* Statements are cached by their text's address, so SQL put together at
 * run time is interned: each distinct filter shape is prepared once. */
static const char *
intern_concat (const char *first,
               ...)
{
  g_autoptr(GString) sql = g_string_new (first);
  va_list args;
  const char *part;

  va_start (args, first);
  while ((part = va_arg (args, const char *)) != NULL)
    g_string_append (sql, part);
  va_end (args);

  return g_intern_string (sql->str);
}

/* "status IN (2, 3)" for a set of statuses, or NULL for all. Only the
 * numbers of known statuses are written into SQL; every value a client
 * sends is bound. The text is interned: statements are cached by it. */
static const char *
status_clause (guint status_mask)
{
  g_autoptr(GString) clause = NULL;

  status_mask &= (1u << LP_N_JOB_STATUSES) - 1;
  if (status_mask == 0)
    return NULL;

  clause = g_string_new ("status IN (");
  for (guint i = 0; i < LP_N_JOB_STATUSES; i++)
    if (status_mask & (1u << i))
      g_string_append_printf (clause, "%s%u", clause->str[clause->len - 1] == '(' ? "" : ", ", i);
  g_string_append_c (clause, ')');

  return g_intern_string (clause->str);
}

/* A search shorter than a trigram cannot use the index: it reads the
 * folded names (a narrow table) instead of every job. */
static gboolean
is_trigram_query (const char *folded)
{
  return g_utf8_strlen (folded, -1) >= 3;
}

/* One FTS5 phrase: the whole query, quotes doubled, matched as a substring. */
static char *
fts_phrase (const char *folded)
{
  g_autoptr(GString) phrase = g_string_new ("\"");

  for (const char *p = folded; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (phrase, '"');
      g_string_append_c (phrase, *p);
    }
  g_string_append_c (phrase, '"');

  return g_string_free (g_steal_pointer (&phrase), FALSE);
}

/* Builds "FROM ... WHERE ..." for @filter. With a search, the matching
 * names drive (@by_names) when they are few; when they are many the
 * time-ordered index drives and the matches are a set looked into (the
 * unary + keeps sqlite from looking each match up and sorting them all). */
static const char *
filter_sql (const LjdJobFilter *filter,
            const char         *folded,
            gboolean            by_names,
            gboolean            for_count)
{
  g_autoptr(GString) sql = g_string_new (NULL);
  const char *status = status_clause (filter->status_mask);
  const char *and = "WHERE";

  if (folded != NULL && by_names && for_count && status == NULL && filter->created_since <= 0)
    {
      /* Nothing to look up in the jobs themselves: for the count. */
      g_string_append (sql, is_trigram_query (folded)
                              ? "FROM job_names_fts WHERE job_names_fts MATCH ?3 "
                              : "FROM job_names WHERE instr(folded, ?3) > 0 ");
      return g_intern_string (sql->str);
    }
  else if (folded != NULL && by_names)
    {
      if (is_trigram_query (folded))
        g_string_append (sql, "FROM job_names_fts CROSS JOIN jobs ON jobs.id = job_names_fts.rowid "
                              "WHERE job_names_fts MATCH ?3 ");
      else
        g_string_append (sql, "FROM job_names CROSS JOIN jobs ON jobs.id = job_names.id "
                              "WHERE instr(job_names.folded, ?3) > 0 ");
      and = "AND";
    }
  else
    {
      g_string_append (sql, "FROM jobs ");
      if (folded != NULL)
        {
          g_string_append (sql, is_trigram_query (folded)
                                  ? "WHERE +jobs.id IN (SELECT rowid FROM job_names_fts WHERE job_names_fts MATCH ?3) "
                                  : "WHERE +jobs.id IN (SELECT id FROM job_names WHERE instr(folded, ?3) > 0) ");
          and = "AND";
        }
    }

  if (status != NULL)
    {
      g_string_append_printf (sql, "%s jobs.%s ", and, status);
      and = "AND";
    }
  if (filter->created_since > 0)
    g_string_append_printf (sql, "%s jobs.created_at >= ?2 ", and);

  return g_intern_string (sql->str);
}

static void
bind_filter (sqlite3_stmt       *s,
             const LjdJobFilter *filter,
             const char         *folded)
{
  if (filter->created_since > 0)
    sqlite3_bind_int64 (s, 2, filter->created_since);
  if (folded != NULL)
    {
      if (is_trigram_query (folded))
        sqlite3_bind_text (s, 3, fts_phrase (folded), -1, g_free);
      else
        bind_text (s, 3, folded);
    }
}

static gboolean
count_from_table (LjdStore  *self,
                  guint      status_mask,
                  guint     *total,
                  GError   **error)
{
  guint counts[LP_N_JOB_STATUSES];

  if (!ljd_store_count_by_status (self, counts, error))
    return FALSE;

  *total = 0;
  for (guint i = 0; i < LP_N_JOB_STATUSES; i++)
    if (status_mask == 0 || (status_mask & (1u << i)))
      *total += counts[i];

  return TRUE;
}

/* Under this many matches the matching names lead and their jobs are
 * sorted; above it, walking the time index and skipping non-matches
 * reaches a page sooner than sorting every match. */
#define FEW_MATCHES 2000

GPtrArray *
ljd_store_list_jobs (LjdStore            *self,
                     const LjdJobFilter  *filter,
                     guint               *total,
                     GError             **error)
{
  g_autofree char *folded = NULL;
  const char *sql;
  sqlite3_stmt *s;

  g_return_val_if_fail (LJD_IS_STORE (self), NULL);

  if (filter->query != NULL && filter->query[0] != '\0')
    folded = g_utf8_casefold (filter->query, -1);

  if (folded == NULL && filter->created_since <= 0)
    {
      if (!count_from_table (self, filter->status_mask, total, error))
        return NULL;
    }
  else
    {
      s = stmt (self, intern_concat ("SELECT count(*) ", filter_sql (filter, folded, TRUE, TRUE), NULL));
      bind_filter (s, filter, folded);
      if (sqlite3_step (s) != SQLITE_ROW)
        {
          sqlite3_reset (s);
          sql_error (self, error, _("counting jobs"));
          return NULL;
        }
      *total = (guint) sqlite3_column_int64 (s, 0);
      sqlite3_reset (s);
    }

  if (filter->offset >= *total)
    return g_ptr_array_new_with_free_func (g_object_unref);

  sql = intern_concat ("SELECT " JOB_COLUMNS_OF_JOBS " ",
                            filter_sql (filter, folded, folded != NULL && *total <= FEW_MATCHES, FALSE),
                            "ORDER BY jobs.created_at DESC, jobs.id DESC LIMIT ?4 OFFSET ?5", NULL);
  s = stmt (self, sql);
  bind_filter (s, filter, folded);
  sqlite3_bind_int64 (s, 4, filter->limit);
  sqlite3_bind_int64 (s, 5, filter->offset);

  return collect_jobs (self, s, error);
}

gboolean
ljd_store_count_by_status (LjdStore  *self,
                           guint      counts[],
                           GError   **error)
{
  sqlite3_stmt *s = stmt (self, "SELECT status, n FROM job_counts");
  int rc;

  for (guint i = 0; i < LP_N_JOB_STATUSES; i++)
    counts[i] = 0;

  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      int status = sqlite3_column_int (s, 0);
      gint64 n = sqlite3_column_int64 (s, 1);

      if (status >= 0 && status < LP_N_JOB_STATUSES && n > 0)
        counts[status] = (guint) MIN (n, G_MAXUINT);
    }
  sqlite3_reset (s);

  if (rc != SQLITE_DONE)
    return sql_error (self, error, _("counting jobs"));

  return TRUE;
}

GPtrArray *
ljd_store_jobs_in_order (LjdStore  *self,
                         guint      status_mask,
                         GError   **error)
{
  const char *status = status_clause (status_mask);
  sqlite3_stmt *s;

  if (status == NULL)
    return g_ptr_array_new_with_free_func (g_object_unref);

  s = stmt (self, intern_concat ("SELECT " JOB_COLUMNS " FROM jobs WHERE ", status,
                                 " ORDER BY created_at ASC, id ASC", NULL));
  return collect_jobs (self, s, error);
}

/* 1 for the queued job created first, 0 for a job that is not queued: a
 * count over the queued jobs' stretch of the status index up to this one. */
gint64
ljd_store_queue_position (LjdStore *self,
                          LpJob    *job)
{
  sqlite3_stmt *s;
  gint64 position = 0;

  g_return_val_if_fail (LJD_IS_STORE (self), 0);

  if (lp_job_get_status (job) != LP_JOB_STATUS_QUEUED)
    return 0;

  s = stmt (self,
            "SELECT count(*) FROM jobs WHERE status = ?1 AND "
            "(created_at < ?2 OR (created_at = ?2 AND id <= ?3))");
  sqlite3_bind_int (s, 1, LP_JOB_STATUS_QUEUED);
  sqlite3_bind_int64 (s, 2, lp_job_get_created_at (job));
  sqlite3_bind_int64 (s, 3, lp_job_get_id (job));
  if (sqlite3_step (s) == SQLITE_ROW)
    position = sqlite3_column_int64 (s, 0);
  sqlite3_reset (s);

  return position;
}

gint64
ljd_store_count_jobs (LjdStore *self)
{
  sqlite3_stmt *s = stmt (self, "SELECT count(*) FROM jobs");
  gint64 n = 0;

  if (sqlite3_step (s) == SQLITE_ROW)
    n = sqlite3_column_int64 (s, 0);
  sqlite3_reset (s);

  return n;
}

gboolean
ljd_store_delete_job (LjdStore  *self,
                      gint64     id,
                      GError   **error)
{
  sqlite3_stmt *s;

  if (!ljd_store_begin (self, error))
    return FALSE;

  /* Metrics have no foreign key (WITHOUT ROWID keeps them compact), so they
   * go explicitly; stages and events follow the job by cascade. */
  s = stmt (self, "DELETE FROM training_metrics_history WHERE job_id = ?");
  sqlite3_bind_int64 (s, 1, id);
  if (!run_done (self, s, _("deleting metrics"), error))
    goto fail;

  s = stmt (self, "DELETE FROM jobs WHERE id = ?");
  sqlite3_bind_int64 (s, 1, id);
  if (!run_done (self, s, _("deleting a job"), error))
    goto fail;

  return ljd_store_commit (self, error);

fail:
  ljd_store_rollback (self);
  return FALSE;
}

static char *
get_job_text (LjdStore   *self,
              sqlite3_stmt *s,
              gint64      id)
{
  char *text = NULL;

  sqlite3_bind_int64 (s, 1, id);
  if (sqlite3_step (s) == SQLITE_ROW)
    text = g_strdup (column_text (s, 0));
  sqlite3_reset (s);

  return text;
}

/* Stores @guard (NULL or empty: none) as the job's, rules and state. */
gboolean
ljd_store_set_guard (LjdStore       *self,
                     gint64          id,
                     const LpGuard  *guard,
                     GError        **error)
{
  sqlite3_stmt *s = stmt (self, "UPDATE jobs SET guard = ? WHERE id = ?");
  g_autofree char *text = NULL;

  g_return_val_if_fail (LJD_IS_STORE (self), FALSE);

  if (!lp_guard_is_empty (guard))
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) node = NULL;

      lp_guard_to_json (guard, builder);
      node = json_builder_get_root (builder);
      text = lp_json_to_string (node, FALSE);
    }

  bind_text (s, 1, text);
  sqlite3_bind_int64 (s, 2, id);
  return run_done (self, s, _("saving a guard"), error);
}

char *
ljd_store_get_webhook_secret (LjdStore *self,
                              gint64    id)
{
  return get_job_text (self, stmt (self, "SELECT webhook_secret FROM jobs WHERE id = ?"), id);
}

char *
ljd_store_get_provider_state (LjdStore *self,
                              gint64    id)
{
  return get_job_text (self, stmt (self, "SELECT provider_state FROM jobs WHERE id = ?"), id);
}

gboolean
ljd_store_set_provider_state (LjdStore    *self,
                              gint64       id,
                              const char  *state,
                              GError     **error)
{
  sqlite3_stmt *s = stmt (self, "UPDATE jobs SET provider_state = ? WHERE id = ?");

  bind_text (s, 1, state);
  sqlite3_bind_int64 (s, 2, id);
  return run_done (self, s, _("saving provider state"), error);
}

/* Events */

gint64
ljd_store_add_event (LjdStore    *self,
                     gint64       job_id,
                     gint64       ts,
                     LpEventType  type,
                     const char  *message,
                     JsonObject  *payload,
                     const char  *source_id,
                     gboolean    *duplicate,
                     GError     **error)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonObject) empty = NULL;
  g_autofree char *payload_str = NULL;
  sqlite3_stmt *s;
  int rc;

  if (duplicate != NULL)
    *duplicate = FALSE;

  if (payload == NULL)
    payload = empty = json_object_new ();
  json_node_set_object (node, payload);
  payload_str = lp_json_to_string (node, FALSE);

  s = stmt (self,
            "INSERT INTO events (job_id, ts, type, message, payload, source_id) "
            "VALUES (?, ?, ?, ?, ?, ?)");
  sqlite3_bind_int64 (s, 1, job_id);
  sqlite3_bind_int64 (s, 2, ts);
  sqlite3_bind_int (s, 3, type);
  bind_text (s, 4, message ? message : "");
  bind_text (s, 5, payload_str);
  bind_text (s, 6, source_id);
  rc = sqlite3_step (s);
  sqlite3_reset (s);

  if (rc == SQLITE_CONSTRAINT_UNIQUE && source_id != NULL)
    {
      if (duplicate != NULL)
        *duplicate = TRUE;
      return 0;
    }

  if (rc != SQLITE_DONE)
    {
      sql_error (self, error, _("recording an event"));
      return -1;
    }

  return sqlite3_last_insert_rowid (self->db);
}

gboolean
ljd_store_has_event_source (LjdStore   *self,
                            gint64      job_id,
                            const char *source_id)
{
  sqlite3_stmt *s = stmt (self, "SELECT 1 FROM events WHERE job_id = ? AND source_id = ?");
  gboolean found;

  sqlite3_bind_int64 (s, 1, job_id);
  bind_text (s, 2, source_id);
  found = sqlite3_step (s) == SQLITE_ROW;
  sqlite3_reset (s);

  return found;
}

GPtrArray *
ljd_store_list_events (LjdStore  *self,
                       gint64     job_id,
                       guint      type_mask,
                       gint64     after_id,
                       guint      offset,
                       guint      limit,
                       gboolean   oldest_first,
                       guint     *total,
                       GError   **error)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *s;
  int rc;

#define EVENT_FILTER \
  "WHERE job_id = ?1 AND (?2 = 0 OR ((1 << type) & ?2) != 0) AND id > ?3 "

  if (total != NULL)
    {
      s = stmt (self, "SELECT count(*) FROM events " EVENT_FILTER);
      sqlite3_bind_int64 (s, 1, job_id);
      sqlite3_bind_int64 (s, 2, type_mask);
      sqlite3_bind_int64 (s, 3, after_id);
      if (sqlite3_step (s) != SQLITE_ROW)
        {
          sqlite3_reset (s);
          sql_error (self, error, _("counting events"));
          return NULL;
        }
      *total = (guint) sqlite3_column_int64 (s, 0);
      sqlite3_reset (s);
    }

  if (oldest_first)
    s = stmt (self,
              "SELECT id, ts, type, message, payload FROM events " EVENT_FILTER
              "ORDER BY id ASC LIMIT ?4 OFFSET ?5");
  else
    s = stmt (self,
              "SELECT id, ts, type, message, payload FROM events " EVENT_FILTER
              "ORDER BY id DESC LIMIT ?4 OFFSET ?5");
#undef EVENT_FILTER

  sqlite3_bind_int64 (s, 1, job_id);
  sqlite3_bind_int64 (s, 2, type_mask);
  sqlite3_bind_int64 (s, 3, after_id);
  sqlite3_bind_int64 (s, 4, limit);
  sqlite3_bind_int64 (s, 5, offset);

  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      const char *payload = column_text (s, 4);
      g_autoptr(JsonObject) obj = NULL;
      int type = sqlite3_column_int (s, 2);

      if (payload != NULL)
        obj = lp_json_parse_object (payload, strlen (payload), NULL);

      g_ptr_array_add (events,
                       lp_event_new (sqlite3_column_int64 (s, 0),
                                     sqlite3_column_int64 (s, 1),
                                     (LpEventType) CLAMP (type, 0, LP_N_EVENT_TYPES - 1),
                                     column_text (s, 3),
                                     obj));
    }
  sqlite3_reset (s);

  if (rc != SQLITE_DONE)
    {
      sql_error (self, error, _("listing events"));
      return NULL;
    }

  return g_steal_pointer (&events);
}

/* Metrics */

gboolean
ljd_store_add_metric (LjdStore    *self,
                      gint64       job_id,
                      LpSeries     series,
                      gint64       step,
                      double       value,
                      gint64       ts,
                      GError     **error)
{
  /* A step reported twice (a retried batch, a resumed run) keeps the newest. */
  sqlite3_stmt *s = stmt (self,
                          "INSERT OR REPLACE INTO training_metrics_history "
                          "(job_id, series, step, value, ts) VALUES (?, ?, ?, ?, ?)");

  sqlite3_bind_int64 (s, 1, job_id);
  sqlite3_bind_int (s, 2, series);
  sqlite3_bind_int64 (s, 3, step);
  if (isnan (value))
    sqlite3_bind_null (s, 4);
  else
    sqlite3_bind_double (s, 4, value);
  sqlite3_bind_int64 (s, 5, ts);

  return run_done (self, s, _("recording a metric"), error);
}

gboolean
ljd_store_set_latest_epoch (LjdStore    *self,
                            gint64       job_id,
                            double       epoch,
                            gint64       ts,
                            GError     **error)
{
  sqlite3_stmt *s = stmt (self,
                          "UPDATE jobs SET last_epoch = coalesce(?, last_epoch), "
                          "last_metrics_at = ? WHERE id = ?");

  if (isnan (epoch))
    sqlite3_bind_null (s, 1);
  else
    sqlite3_bind_double (s, 1, epoch);
  sqlite3_bind_int64 (s, 2, ts);
  sqlite3_bind_int64 (s, 3, job_id);

  return run_done (self, s, _("recording a metric"), error);
}

static double
column_value (sqlite3_stmt *s,
              int           i)
{
  if (sqlite3_column_type (s, i) == SQLITE_NULL)
    return NAN;
  return sqlite3_column_double (s, i);
}

static gboolean
load_series (LjdStore      *self,
             gint64         job_id,
             LpSeries       series,
             gint64         since_step,
             guint          max_points,
             LpSeriesData  *data,
             GError       **error)
{
  g_autoptr(GArray) steps = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) values = g_array_new (FALSE, FALSE, sizeof (double));
  sqlite3_stmt *s;
  int rc;

  /* The primary key (job_id, series, step) serves this as a range scan, so
   * a since_step poll reads only the new rows. */
  s = stmt (self,
            "SELECT step, value FROM training_metrics_history "
            "WHERE job_id = ? AND series = ? AND step > ? ORDER BY step");
  sqlite3_bind_int64 (s, 1, job_id);
  sqlite3_bind_int (s, 2, series);
  sqlite3_bind_int64 (s, 3, since_step);

  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      gint64 step = sqlite3_column_int64 (s, 0);
      double value = column_value (s, 1);

      g_array_append_val (steps, step);
      g_array_append_val (values, value);
    }
  sqlite3_reset (s);

  if (rc != SQLITE_DONE)
    return sql_error (self, error, _("reading metrics"));

  if (max_points > 0 && values->len > max_points)
    {
      g_autofree guint *keep = g_new (guint, max_points);
      guint n = lp_decimate_minmax ((const double *) values->data, values->len, max_points, keep);

      for (guint i = 0; i < n; i++)
        {
          g_array_append_val (data->steps, g_array_index (steps, gint64, keep[i]));
          g_array_append_val (data->values, g_array_index (values, double, keep[i]));
        }
    }
  else
    {
      g_array_append_vals (data->steps, steps->data, steps->len);
      g_array_append_vals (data->values, values->data, values->len);
    }

  return TRUE;
}

static gboolean
load_last_two (LjdStore  *self,
               gint64     job_id,
               LpSeries   series,
               gint64    *step,
               gint64    *ts,
               double    *current,
               double    *previous)
{
  sqlite3_stmt *s = stmt (self,
                          "SELECT step, value, ts FROM training_metrics_history "
                          "WHERE job_id = ? AND series = ? ORDER BY step DESC LIMIT 2");
  gboolean found = FALSE;

  sqlite3_bind_int64 (s, 1, job_id);
  sqlite3_bind_int (s, 2, series);

  if (sqlite3_step (s) == SQLITE_ROW)
    {
      found = TRUE;
      if (step != NULL)
        *step = sqlite3_column_int64 (s, 0);
      if (ts != NULL)
        *ts = sqlite3_column_int64 (s, 2);
      *current = column_value (s, 1);

      if (previous != NULL && sqlite3_step (s) == SQLITE_ROW)
        *previous = column_value (s, 1);
    }
  sqlite3_reset (s);

  return found;
}

LpMetrics *
ljd_store_get_metrics (LjdStore      *self,
                       gint64         job_id,
                       gboolean       with_series,
                       const gint64  *since_steps,
                       guint          max_points,
                       GError       **error)
{
  g_autoptr(LpMetrics) metrics = lp_metrics_new (job_id);
  LpMetricsLatest *latest = &metrics->latest;
  sqlite3_stmt *s;
  gint64 ts = 0;

  if (with_series)
    {
      metrics->has_series = TRUE;
      for (guint i = 0; i < LP_N_SERIES; i++)
        if (!load_series (self, job_id, (LpSeries) i, since_steps ? since_steps[i] : -1, max_points,
                          &metrics->series[i], error))
          return NULL;
    }

  /* The step and time of the latest metrics come from the training loss,
   * which every trainer reports; the others are read as they stand. */
  load_last_two (self, job_id, LP_SERIES_TRAIN_LOSS, &latest->step, &ts,
                 &latest->train_loss, &latest->prev_train_loss);
  load_last_two (self, job_id, LP_SERIES_VAL_LOSS, NULL, NULL,
                 &latest->val_loss, &latest->prev_val_loss);
  load_last_two (self, job_id, LP_SERIES_LEARNING_RATE, NULL, NULL,
                 &latest->learning_rate, NULL);
  load_last_two (self, job_id, LP_SERIES_GPU_UTIL, NULL, NULL,
                 &latest->gpu_util, NULL);

  s = stmt (self, "SELECT last_epoch, last_metrics_at FROM jobs WHERE id = ?");
  sqlite3_bind_int64 (s, 1, job_id);
  if (sqlite3_step (s) == SQLITE_ROW)
    {
      latest->epoch = column_value (s, 0);
      latest->ts = sqlite3_column_int64 (s, 1);
    }
  sqlite3_reset (s);

  if (latest->ts == 0)
    latest->ts = ts;

  return g_steal_pointer (&metrics);
}

gint64
ljd_store_count_metrics (LjdStore *self,
                         gint64    job_id)
{
  sqlite3_stmt *s = stmt (self,
                          "SELECT count(*) FROM training_metrics_history WHERE job_id = ?");
  gint64 n = 0;

  sqlite3_bind_int64 (s, 1, job_id);
  if (sqlite3_step (s) == SQLITE_ROW)
    n = sqlite3_column_int64 (s, 0);
  sqlite3_reset (s);

  return n;
}

/* Early warnings */

GStrv
ljd_store_list_raised_warnings (LjdStore  *self,
                                gint64     job_id,
                                GError   **error)
{
  g_autoptr(GStrvBuilder) kinds = g_strv_builder_new ();
  sqlite3_stmt *s = stmt (self, "SELECT kind FROM job_warnings WHERE job_id = ? AND raised = 1");
  int rc;

  g_return_val_if_fail (LJD_IS_STORE (self), NULL);

  sqlite3_bind_int64 (s, 1, job_id);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    g_strv_builder_add (kinds, column_text (s, 0));
  sqlite3_reset (s);

  if (rc != SQLITE_DONE)
    {
      sql_error (self, error, _("reading warnings"));
      return NULL;
    }

  return g_strv_builder_end (kinds);
}

gboolean
ljd_store_raise_warning (LjdStore    *self,
                         gint64       job_id,
                         const char  *kind,
                         gint64       ts,
                         GError     **error)
{
  sqlite3_stmt *s = stmt (self,
                          "INSERT INTO job_warnings (job_id, kind, raised, raised_at, count) "
                          "VALUES (?1, ?2, 1, ?3, 1) "
                          "ON CONFLICT (job_id, kind) DO UPDATE SET "
                          "raised = 1, raised_at = excluded.raised_at, count = count + 1");

  g_return_val_if_fail (LJD_IS_STORE (self), FALSE);

  sqlite3_bind_int64 (s, 1, job_id);
  bind_text (s, 2, kind);
  sqlite3_bind_int64 (s, 3, ts);
  return run_done (self, s, _("recording a warning"), error);
}

gboolean
ljd_store_rearm_warning (LjdStore    *self,
                         gint64       job_id,
                         const char  *kind,
                         GError     **error)
{
  sqlite3_stmt *s = stmt (self, "UPDATE job_warnings SET raised = 0 WHERE job_id = ? AND kind = ?");

  g_return_val_if_fail (LJD_IS_STORE (self), FALSE);

  sqlite3_bind_int64 (s, 1, job_id);
  bind_text (s, 2, kind);
  return run_done (self, s, _("recording a warning"), error);
}

gboolean
ljd_store_recent_metrics (LjdStore  *self,
                          gint64     job_id,
                          LpSeries   series,
                          guint      limit,
                          GArray    *values,
                          GArray    *steps,
                          GError   **error)
{
  /* A backward range scan of the primary key: reads @limit rows at most. */
  sqlite3_stmt *s = stmt (self,
                          "SELECT value, step FROM training_metrics_history "
                          "WHERE job_id = ? AND series = ? ORDER BY step DESC LIMIT ?");
  int rc;

  g_return_val_if_fail (LJD_IS_STORE (self), FALSE);

  sqlite3_bind_int64 (s, 1, job_id);
  sqlite3_bind_int (s, 2, series);
  sqlite3_bind_int64 (s, 3, limit);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      double value = column_value (s, 0);
      gint64 step = sqlite3_column_int64 (s, 1);

      g_array_append_val (values, value);
      if (steps != NULL)
        g_array_append_val (steps, step);
    }
  sqlite3_reset (s);

  if (rc != SQLITE_DONE)
    return sql_error (self, error, _("reading metrics"));

  return TRUE;
}

gboolean
ljd_store_get_low_run (LjdStore   *self,
                       gint64      job_id,
                       LpSeries    series,
                       double      threshold,
                       LjdLowRun  *run,
                       GError    **error)
{
  /* Walks back from the newest point and stops at the first one at or
   * above the threshold, so a healthy series costs one row. */
  sqlite3_stmt *s = stmt (self,
                          "SELECT step, value, ts FROM training_metrics_history "
                          "WHERE job_id = ? AND series = ? ORDER BY step DESC");
  int rc;

  g_return_val_if_fail (LJD_IS_STORE (self), FALSE);

  memset (run, 0, sizeof *run);
  sqlite3_bind_int64 (s, 1, job_id);
  sqlite3_bind_int (s, 2, series);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      double value = column_value (s, 1);

      if (!(value < threshold))
        {
          rc = SQLITE_DONE;
          break;
        }

      if (run->n_points == 0)
        {
          run->last_step = sqlite3_column_int64 (s, 0);
          run->last_ts = sqlite3_column_int64 (s, 2);
          run->last_value = value;
        }
      run->first_step = sqlite3_column_int64 (s, 0);
      run->first_ts = sqlite3_column_int64 (s, 2);
      run->n_points++;
    }
  sqlite3_reset (s);

  if (rc != SQLITE_DONE)
    return sql_error (self, error, _("reading metrics"));

  return TRUE;
}
