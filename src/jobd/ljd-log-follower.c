/* ljd-log-follower.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reading and posting are both asynchronous and both bounded: a read
 * takes at most READ_CHUNK bytes, and reading pauses while MAX_PENDING
 * events wait to be posted, so that catching up on a huge log after a
 * restart holds neither the main loop nor all of the log in memory.
 *
 * Everything before the first event still waiting has been reported; that
 * offset is what the state keeps. After a restart the follower reads
 * TAIL_PRIME_BYTES before it again, only to fill the tail that a failure's
 * error is made of.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "lp-json.h"
#include "lp-log-lines.h"
#include "lp-log-parser.h"
#include "lp-run-stages.h"
#include "lp-trainer-event.h"
#include "ljd-log-follower.h"
#include "ljd-timeout.h"
#include "ljd-webhook.h"

/* Events per webhook request, as the simulator sends them. */
#define MAX_BATCH 500
#define TAIL_INTERVAL_MS 500
#define READ_CHUNK 65536
/* A "line" that never ends (binary output, one endless bar) is cut. */
#define MAX_LINE 65536
#define MAX_PENDING 5000
/* Progress counters and GPU readings become an event at most this often;
 * metrics always do. */
#define PROGRESS_INTERVAL_US (10 * G_USEC_PER_SEC)
#define BAR_METRICS_INTERVAL_US (G_USEC_PER_SEC)
/* An older GPU reading is not attached to metrics any more. */
#define GPU_FRESH_US (30 * G_USEC_PER_SEC)
#define TAIL_LINES 50
#define TAIL_LINE_MAX_CHARS 1000
#define TAIL_PRIME_BYTES 16384
#define ERROR_MAX_CHARS LP_MESSAGE_MAX
#define SAVE_INTERVAL_US (2 * G_USEC_PER_SEC)
#define SUBSTATUS_MAX_CHARS 120
/* The bytes kept to tell a file started over from one written on. */
#define SIGNATURE_BYTES 64

typedef enum {
  END_NONE,
  END_EXIT,   /* the process ended with exit_status */
  END_FAIL,   /* the provider fails the job with end_message */
} EndKind;

typedef struct
{
  JsonObject *event;
  goffset     start;   /* where its line starts in the file */
} Pending;

struct _LjdLogFollower
{
  GObject       parent_instance;

  LjdService   *service;      /* not a reference: the service outlives it */
  SoupSession  *session;
  GMainContext *context;
  GCancellable *cancellable;
  gint64        job_id;
  char         *secret;
  char         *path;
  char         *prefix;

  LpLogParser  *parser;
  LpRunStages  *stages;
  LpLogLines   *lines;
  GInputStream *stream;
  GSource      *tick_source;
  guint         generation;   /* how often the file was started over */
  guint8        signature[SIGNATURE_BYTES];   /* the last bytes read */
  gsize         signature_len;
  goffset       prime_until;  /* lines before this only fill the tail */
  GQueue       *tail;         /* char *, the last lines, oldest first */

  GQueue       *pending;      /* Pending *, in order */
  guint         in_flight;    /* events of the request under way, or 0 */
  gint64        reported_step;
  gint64        last_metrics_at;
  goffset       saved_offset;
  gint64        saved_at;
  gint64        job_total_steps;
  goffset       resumed_at;   /* the offset reported before a restart */
  int           furthest_stage;  /* the furthest stage posted, or -1 */

  double        gpu_util;
  gint64        gpu_at;

  LpLogRecord   held;         /* a bar's metrics, until its step is over */
  goffset       held_start;
  gint64        last_bar_metrics_at;

  EndKind       end;
  int           exit_status;
  char         *end_message;

  guint         began : 1;
  guint         reading : 1;
  guint         read_after_end : 1;
  guint         have_held : 1;
  guint         opening : 1;
  guint         log_failed : 1;
  guint         tail_progress : 1;
  guint         stages_owned : 1;
  guint         ending : 1;       /* told how it ended: read to the end */
  guint         drained : 1;      /* read to the end; the end is queued */
  guint         failing : 1;      /* the provider's failure is under way */
  guint         finished : 1;
  guint         stopped : 1;
};

G_DEFINE_FINAL_TYPE (LjdLogFollower, ljd_log_follower, G_TYPE_OBJECT)

enum {
  STATE_CHANGED,
  FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void flush (LjdLogFollower *self);
static void read_more (LjdLogFollower *self);
static void hold_bar_metrics (LjdLogFollower    *self,
                              const LpLogRecord *record,
                              goffset            start);

static void
pending_free (Pending *pending)
{
  json_object_unref (pending->event);
  g_free (pending);
}

/* Config */

/**
 * ljd_log_follower_is_config_key:
 *
 * Whether @key belongs to the follower in a job's config: a provider that
 * refuses keys it does not know lets these through.
 */
gboolean
ljd_log_follower_is_config_key (const char *key)
{
  return lp_log_config_is_key (key);
}

/**
 * ljd_log_follower_check_config:
 *
 * Checks the follower's part of a job's config ("log_format",
 * "log_patterns"): a format it knows, and patterns that compile and have
 * a group it reads. The error names what is wrong.
 */
gboolean
ljd_log_follower_check_config (JsonObject  *config,
                               GError     **error)
{
  g_auto(GStrv) patterns = NULL;
  g_autoptr(LpLogParser) parser = NULL;
  LpLogFormat format;

  if (!lp_log_config_read (config, &format, &patterns, error))
    return FALSE;

  parser = lp_log_parser_new_full (format, (const char * const *) patterns, 0, 0, error);
  return parser != NULL;
}

/* Posting */

static void
queue_event (LjdLogFollower *self,
             const char     *type,
             char           *event_id,   /* (transfer full) */
             JsonObject     *data,       /* (transfer full) */
             const char     *message,
             gint64          ts,         /* 0: when the service takes it */
             goffset         start)
{
  Pending *pending = g_new0 (Pending, 1);

  pending->event = json_object_new ();
  json_object_set_string_member (pending->event, "event_id", event_id);
  json_object_set_string_member (pending->event, "type", type);
  if (ts > 0)
    {
      g_autofree char *iso = lp_iso8601_from_usec (ts);
      json_object_set_string_member (pending->event, "ts", iso);
    }
  if (message != NULL)
    json_object_set_string_member (pending->event, "message", message);
  json_object_set_object_member (pending->event, "data", data);
  pending->start = start;

  g_queue_push_tail (self->pending, pending);
  g_free (event_id);
}

/* Ids of events made of the file's offsets; a file that was started over
 * gets ids of its own. */
static char *
offset_id (LjdLogFollower *self,
           const char     *what,
           goffset         offset)
{
  if (self->generation == 0)
    return g_strdup_printf ("%s%s-%" G_GOFFSET_FORMAT, self->prefix, what, offset);
  return g_strdup_printf ("%s%s-g%u-%" G_GOFFSET_FORMAT, self->prefix, what, self->generation, offset);
}

/* Whether the job's stages are still the follower's to post: a stage
 * beyond the furthest it posted that is no longer pending came from the
 * trainer itself. */
static gboolean
owns_stages (LjdLogFollower *self)
{
  g_autoptr(LpJob) job = NULL;
  GPtrArray *stages;

  if (!self->stages_owned)
    return FALSE;

  job = ljd_store_get_job (ljd_service_get_store (self->service), self->job_id, NULL);
  if (job == NULL || (stages = lp_job_get_stages (job)) == NULL)
    return TRUE;

  for (guint i = MAX (self->furthest_stage + 1, 0); i < stages->len; i++)
    {
      const LpStage *stage = g_ptr_array_index (stages, i);

      if (stage->status != LP_STAGE_STATUS_PENDING)
        {
          g_debug ("Job %" G_GINT64_FORMAT " reports its own stages; its output no longer sets them",
                   self->job_id);
          self->stages_owned = FALSE;
          return FALSE;
        }
    }

  return TRUE;
}

static void
queue_stages (LjdLogFollower      *self,
              const LpStageChange *changes,
              guint                n,
              const char          *substatus,
              goffset              start)
{
  if (n == 0 || !owns_stages (self))
    return;

  for (guint i = 0; i < n; i++)
    {
      const char *stage = lp_stage_kind_to_string (changes[i].stage);
      const char *status = lp_stage_status_to_string (changes[i].status);
      JsonObject *data = json_object_new ();

      json_object_set_string_member (data, "stage", stage);
      json_object_set_string_member (data, "status", status);
      if (substatus != NULL && changes[i].status == LP_STAGE_STATUS_ACTIVE &&
          changes[i].stage < LP_STAGE_TRAINING)
        json_object_set_string_member (data, "substatus", substatus);

      queue_event (self, "stage", g_strdup_printf ("%sstage-%s-%s", self->prefix, stage, status),
                   data, NULL, changes[i].ts, start);
      self->furthest_stage = MAX (self->furthest_stage, (int) changes[i].stage);
    }
}

/* JSON has no NaN: the webhook takes non-finite values as strings. */
static void
set_metric (JsonObject *data,
            const char *member,
            double      value)
{
  if (isnan (value))
    json_object_set_string_member (data, member, "NaN");
  else if (isinf (value))
    json_object_set_string_member (data, member, value > 0 ? "Infinity" : "-Infinity");
  else
    json_object_set_double_member (data, member, value);
}

static gint64
known_total (LjdLogFollower *self,
             const LpLogRecord *record)
{
  gint64 total = lp_log_parser_get_total_steps (self->parser);

  if (record != NULL && (record->present & LP_LOG_HAS_TOTAL_STEPS))
    return record->total_steps;
  return total > 0 ? total : self->job_total_steps;
}

/* Every metrics event goes through here: a step means training, even
 * one that only a dict without a counter told. */
static void
queue_metrics (LjdLogFollower    *self,
               char              *event_id,   /* (transfer full) */
               gint64             step,
               const LpLogRecord *record,
               goffset            start)
{
  LpStageChange changes[LP_RUN_STAGES_MAX_CHANGES];
  JsonObject *data = json_object_new ();
  gint64 now = g_get_monotonic_time ();
  guint n;

  n = lp_run_stages_step (self->stages, step, known_total (self, record), g_get_real_time (), changes);
  queue_stages (self, changes, n, NULL, start);

  json_object_set_int_member (data, "step", step);
  if (record != NULL)
    {
      if (record->present & LP_LOG_HAS_EPOCH)
        json_object_set_double_member (data, "epoch", record->epoch);
      if (record->present & LP_LOG_HAS_LOSS)
        set_metric (data, "train_loss", record->loss);
      if (record->present & LP_LOG_HAS_EVAL_LOSS)
        set_metric (data, "val_loss", record->eval_loss);
      if (record->present & LP_LOG_HAS_LEARNING_RATE)
        set_metric (data, "learning_rate", record->learning_rate);
    }

  if (!isnan (self->gpu_util) && now - self->gpu_at < GPU_FRESH_US)
    json_object_set_double_member (data, "gpu_util", self->gpu_util);

  self->reported_step = MAX (self->reported_step, step);
  self->last_metrics_at = now;

  queue_event (self, "metrics", event_id, data, NULL, 0, start);
}

static gboolean
all_posted (LjdLogFollower *self)
{
  return self->in_flight == 0 && g_queue_is_empty (self->pending);
}

static void
finish_now (LjdLogFollower *self)
{
  if (self->finished || self->stopped)
    return;

  self->finished = TRUE;
  ljd_source_clear (&self->tick_source);
  g_signal_emit (self, signals[FINISHED], 0);
}

/* Fails the job through the service once the events before it are in. */
static gboolean
fail_cb (gpointer user_data)
{
  LjdLogFollower *self = user_data;

  if (!self->stopped && !self->finished)
    {
      ljd_service_provider_failed (self->service, self->job_id, self->end_message);
      /* The service may have had the provider stop it meanwhile. */
      if (!self->stopped)
        finish_now (self);
    }

  return G_SOURCE_REMOVE;
}

static void
maybe_done (LjdLogFollower *self)
{
  if (!self->drained || !all_posted (self) || self->finished || self->stopped)
    return;

  if (self->end == END_FAIL)
    {
      /* From the main loop: the service frees its provider's runs in
       * there, and the caller up the stack may be one of them. */
      if (!self->failing)
        {
          self->failing = TRUE;
          g_source_unref (ljd_timeout_attach (self->context, 0, fail_cb,
                                              g_object_ref (self), g_object_unref));
        }
      return;
    }

  finish_now (self);
}

static void
post_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  SoupSession *session = SOUP_SESSION (object);
  g_autoptr(LjdLogFollower) self = user_data;
  g_autoptr(GError) error = NULL;
  GBytes *body = soup_session_send_and_read_finish (session, result, &error);
  SoupMessage *msg = soup_session_get_async_result_message (session, result);
  guint status = msg != NULL ? soup_message_get_status (msg) : 0;
  guint count = self->in_flight;

  /* The status says all there is to know; the body is only a count. */
  g_clear_pointer (&body, g_bytes_unref);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->stopped)
    return;

  self->in_flight = 0;

  if (error == NULL && status == SOUP_STATUS_ACCEPTED)
    {
      for (guint i = 0; i < count && !g_queue_is_empty (self->pending); i++)
        pending_free (g_queue_pop_head (self->pending));
      flush (self);
      maybe_done (self);
      return;
    }

  /* 409: the job is over (cancelled, or finished by the trainer's own
   * reporter); 404: it is gone. Nobody wants the rest of this output. */
  if (status == SOUP_STATUS_CONFLICT || status == SOUP_STATUS_NOT_FOUND)
    {
      g_queue_clear_full (self->pending, (GDestroyNotify) pending_free);
      finish_now (self);
      return;
    }

  /* Anything else is retried from the next tick. */
  g_debug ("Posting the events of job %" G_GINT64_FORMAT " failed (%u %s); retrying",
           self->job_id, status, error ? error->message : "");
}

static void
flush (LjdLogFollower *self)
{
  g_autoptr(JsonArray) events = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *url = NULL;
  guint count = 0;

  if (self->in_flight > 0 || self->stopped || self->finished || g_queue_is_empty (self->pending))
    return;

  events = json_array_new ();
  for (GList *l = self->pending->head; l != NULL && count < MAX_BATCH; l = l->next, count++)
    json_array_add_object_element (events, json_object_ref (((Pending *) l->data)->event));

  url = ljd_service_get_webhook_url (self->service, self->job_id);
  if (!(msg = ljd_webhook_message_new (url, self->secret, events)))
    {
      g_warning ("Cannot post the events of job %" G_GINT64_FORMAT " to %s", self->job_id, url);
      return;
    }

  self->in_flight = count;
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT,
                                    self->cancellable, post_cb, g_object_ref (self));
}

/* The tail */

/* Keeps a line for the error of a failed run: valid UTF-8, without
 * terminal escapes, and a progress bar replaced by the next one the way a
 * terminal shows it. */
static void
tail_add (LjdLogFollower *self,
          const char     *data,
          gsize           len,
          gboolean        progress)
{
  g_autofree char *valid = g_utf8_make_valid (data, len);
  g_autoptr(GString) clean = g_string_new (NULL);
  glong chars;

  for (const char *p = valid; *p; p++)
    {
      if (*p == '\x1b')
        {
          /* CSI: ESC [ parameters letter */
          if (p[1] == '[')
            {
              p += 2;
              while (*p && !g_ascii_isalpha (*p))
                p++;
              if (*p == '\0')
                break;
            }
          continue;
        }
      if ((guchar) *p < 0x20 && *p != '\t')
        continue;
      g_string_append_c (clean, *p);
    }

  g_strchomp (clean->str);
  if (clean->str[0] == '\0')
    return;

  chars = g_utf8_strlen (clean->str, -1);
  if (chars > TAIL_LINE_MAX_CHARS)
    g_string_truncate (clean, g_utf8_offset_to_pointer (clean->str, TAIL_LINE_MAX_CHARS) - clean->str);

  if (progress && self->tail_progress && !g_queue_is_empty (self->tail))
    g_free (g_queue_pop_tail (self->tail));

  g_queue_push_tail (self->tail, g_string_free (g_steal_pointer (&clean), FALSE));
  self->tail_progress = progress;

  while (g_queue_get_length (self->tail) > TAIL_LINES)
    g_free (g_queue_pop_head (self->tail));
}

/**
 * ljd_log_follower_get_tail:
 *
 * Returns: (transfer full): the end of the output as a terminal would
 *   show it (the last 50 lines, at most 2000 characters), for the error of
 *   a failed run; empty when there was none
 */
char *
ljd_log_follower_get_tail (LjdLogFollower *self)
{
  g_autoptr(GString) text = g_string_new (NULL);
  const char *start, *newline;
  glong chars;

  g_return_val_if_fail (LJD_IS_LOG_FOLLOWER (self), NULL);

  for (GList *l = self->tail->head; l != NULL; l = l->next)
    g_string_append_printf (text, "%s\n", (const char *) l->data);

  g_strstrip (text->str);
  chars = g_utf8_strlen (text->str, -1);
  if (chars <= ERROR_MAX_CHARS)
    return g_strdup (text->str);

  /* The end of a traceback says what went wrong; keep the end, from a
   * line start if one is near. */
  start = g_utf8_offset_to_pointer (text->str, chars - ERROR_MAX_CHARS);
  newline = strchr (start, '\n');
  if (newline != NULL && newline - start < 500)
    start = newline + 1;
  return g_strdup (start);
}

/* Reading */

/* A hint's line, short and clean, for the stage it starts. */
static char *
substatus_of (const char *data,
              gsize       len)
{
  g_autofree char *valid = g_utf8_make_valid (data, len);
  g_autoptr(GString) clean = g_string_new (NULL);

  for (const char *p = valid; *p; p++)
    {
      if (*p == '\x1b' && p[1] == '[')
        {
          for (p += 2; *p && !g_ascii_isalpha (*p); p++)
            ;
          if (*p == '\0')
            break;
          continue;
        }
      if ((guchar) *p >= 0x20)
        g_string_append_c (clean, *p);
    }

  g_strstrip (clean->str);
  if (g_utf8_strlen (clean->str, -1) > SUBSTATUS_MAX_CHARS)
    {
      g_string_truncate (clean, g_utf8_offset_to_pointer (clean->str, SUBSTATUS_MAX_CHARS - 1) - clean->str);
      g_string_append (clean, "…");
    }

  return g_string_free (g_steal_pointer (&clean), FALSE);
}

static void
handle_line (const char *data,
             gsize       len,
             goffset     start,
             goffset     end,
             gpointer    user_data)
{
  LjdLogFollower *self = user_data;
  LpStageChange changes[LP_RUN_STAGES_MAX_CHANGES];
  g_autofree char *warning = NULL;
  LpLogRecord record;
  LpLogKind kind;
  gint64 now = g_get_monotonic_time ();
  guint n;

  /* Before the saved offset: reported before the restart, only context
   * now. A parser of its own tells the bars, leaving the real one as is. */
  if (start < self->prime_until)
    {
      g_autoptr(LpLogParser) scratch = lp_log_parser_new (0);

      lp_log_parser_feed (scratch, data, len, &record);
      tail_add (self, data, len, record.bar);
      return;
    }

  kind = lp_log_parser_feed (self->parser, data, len, &record);
  tail_add (self, data, len, record.bar);

  if ((warning = lp_log_parser_take_warning (self->parser)) != NULL)
    queue_event (self, "warning", offset_id (self, "warning", start), json_object_new (),
                 warning, 0, start);

  if (record.hint != LP_LOG_HINT_NONE &&
      (n = lp_run_stages_hint (self->stages, record.hint, g_get_real_time (), changes)) > 0)
    {
      g_autofree char *substatus = substatus_of (data, len);

      queue_stages (self, changes, n, substatus, start);
    }

  if (kind == LP_LOG_METRICS && record.bar && (record.present & LP_LOG_HAS_STEP) &&
      !(record.present & LP_LOG_HAS_EVAL_LOSS))
    {
      hold_bar_metrics (self, &record, start);
      /* The stages follow the steps even while the metrics wait. */
      n = lp_run_stages_step (self->stages, record.step, known_total (self, &record),
                              g_get_real_time (), changes);
      queue_stages (self, changes, n, NULL, start);
    }
  else if (kind == LP_LOG_METRICS)
    {
      /* A dict whose step nothing told: at the last step reported. */
      gint64 step = (record.present & LP_LOG_HAS_STEP) ? record.step : MAX (self->reported_step, 0);

      queue_metrics (self, offset_id (self, "", start), step, &record, start);
    }
  else if (kind == LP_LOG_PROGRESS && record.step > self->reported_step &&
           (self->reported_step < 0 || now - self->last_metrics_at >= PROGRESS_INTERVAL_US ||
            record.step >= known_total (self, &record)))
    {
      queue_metrics (self, offset_id (self, "", start), record.step, NULL, start);
    }
  else if (kind == LP_LOG_PROGRESS)
    {
      /* Between posted counters the stages still follow the steps. */
      n = lp_run_stages_step (self->stages, record.step, known_total (self, &record),
                              g_get_real_time (), changes);
      queue_stages (self, changes, n, NULL, start);
    }
}

/* A bar with a loss in its postfix is redrawn up to ten times a second,
 * twice a step in kohya-ss's (the new step with the old loss, then the new
 * loss): only the last drawing of a step counts, and at most one a
 * second becomes an event. */
static void
post_held (LjdLogFollower *self)
{
  if (!self->have_held)
    return;

  self->have_held = FALSE;
  self->last_bar_metrics_at = g_get_monotonic_time ();
  queue_metrics (self, offset_id (self, "", self->held_start), self->held.step, &self->held, self->held_start);
}

static void
hold_bar_metrics (LjdLogFollower    *self,
                  const LpLogRecord *record,
                  goffset            start)
{
  if (self->have_held && self->held.step != record->step &&
      (g_get_monotonic_time () - self->last_bar_metrics_at >= BAR_METRICS_INTERVAL_US ||
       self->reported_step < 0))
    post_held (self);

  self->held = *record;
  self->held_start = start;
  self->have_held = TRUE;
}

static char *
describe_exit (int code)
{
  if (code > 128 && code < 128 + 65)
    return g_strdup_printf (_("The training process was killed by signal %d (%s)"),
                            code - 128, g_strsignal (code - 128));

  return g_strdup_printf (_("The training process exited with status %d"), code);
}

/* The output is read to its end: queue how the run ended. */
static void
drain (LjdLogFollower *self)
{
  LpStageChange changes[LP_RUN_STAGES_MAX_CHANGES];
  goffset end;
  gint64 step;
  guint n;

  if (self->drained)
    return;

  self->drained = TRUE;
  lp_log_lines_flush (self->lines, handle_line, self);
  end = lp_log_lines_get_consumed (self->lines);

  post_held (self);

  /* The last counter, so that the job ends at the step the bar ended at. */
  step = lp_log_parser_get_step (self->parser);
  if (step > self->reported_step)
    queue_metrics (self, g_strdup_printf ("%sfinal-step", self->prefix), step, NULL, end);

  if (self->end == END_FAIL)
    {
      n = lp_run_stages_end (self->stages, FALSE, g_get_real_time (), changes);
      queue_stages (self, changes, n, NULL, end);
    }
  else
    {
      JsonObject *data = json_object_new ();
      gboolean ok = self->exit_status == 0;

      n = lp_run_stages_end (self->stages, ok, g_get_real_time (), changes);
      queue_stages (self, changes, n, NULL, end);

      if (self->exit_status >= 0)
        json_object_set_int_member (data, "exit_status", self->exit_status);

      if (ok)
        {
          json_object_set_string_member (data, "status", "completed");
          queue_event (self, "status", g_strdup_printf ("%sstatus-completed", self->prefix),
                       data, NULL, 0, end);
        }
      else
        {
          g_autofree char *what = self->end_message != NULL ? g_strdup (self->end_message)
                                                            : describe_exit (self->exit_status);
          g_autofree char *tail = ljd_log_follower_get_tail (self);
          int reached = lp_run_stages_get_reached (self->stages);

          /* The stage it died in says it in a line: the exception a crash
           * printed last, or how the process ended. */
          if (reached >= 0 && owns_stages (self))
            {
              const char *last = g_queue_peek_tail (self->tail);
              gboolean signalled = self->exit_status > 128 && self->exit_status < 128 + 65;
              JsonObject *stage = json_object_new ();
              const char *name = lp_stage_kind_to_string ((LpStageKind) reached);

              json_object_set_string_member (stage, "stage", name);
              json_object_set_string_member (stage, "status", "failed");
              json_object_set_string_member (stage, "error",
                                             last != NULL && !self->tail_progress && !signalled &&
                                             self->end_message == NULL ? last : what);
              queue_event (self, "stage", g_strdup_printf ("%sstage-%s-failed", self->prefix, name),
                           stage, NULL, 0, end);
            }

          /* The job's error is the end of the output (the traceback); the
           * event's message says how the process ended. */
          json_object_set_string_member (data, "status", "failed");
          json_object_set_string_member (data, "error", tail[0] ? tail : what);
          queue_event (self, "status", g_strdup_printf ("%sstatus-failed", self->prefix),
                       data, what, 0, end);
        }
    }

  flush (self);
  maybe_done (self);
}

/* Remembers the last bytes read, to tell later whether they are still
 * there. */
static void
keep_signature (LjdLogFollower *self,
                const guint8   *data,
                gsize           len)
{
  if (len >= SIGNATURE_BYTES)
    {
      memcpy (self->signature, data + len - SIGNATURE_BYTES, SIGNATURE_BYTES);
      self->signature_len = SIGNATURE_BYTES;
      return;
    }

  if (self->signature_len + len > SIGNATURE_BYTES)
    {
      gsize drop = self->signature_len + len - SIGNATURE_BYTES;

      memmove (self->signature, self->signature + drop, self->signature_len - drop);
      self->signature_len -= drop;
    }
  memcpy (self->signature + self->signature_len, data, len);
  self->signature_len += len;
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(LjdLogFollower) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  gboolean after_end = self->read_after_end;
  gsize len;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->stopped)
    return;

  self->reading = FALSE;
  if (G_INPUT_STREAM (object) != self->stream)
    return;   /* a stream given up meanwhile (the file shrank) */

  if (bytes == NULL)
    {
      g_debug ("Cannot read %s: %s", self->path, error->message);
      self->log_failed = TRUE;
      g_clear_object (&self->stream);
      if (self->ending)
        drain (self);
      return;
    }

  len = g_bytes_get_size (bytes);
  if (len > 0)
    {
      keep_signature (self, g_bytes_get_data (bytes, NULL), len);
      lp_log_lines_feed (self->lines, g_bytes_get_data (bytes, NULL), len, handle_line, self);
      flush (self);
      if (g_queue_get_length (self->pending) < MAX_PENDING)
        read_more (self);
      return;
    }

  /* The end of the file as it stands. It is the end of the output only if
   * this read began after the process was known to be gone: output
   * written just before the end may have come after an earlier read. */
  if (after_end && self->ending)
    drain (self);
}

static void
read_more (LjdLogFollower *self)
{
  if (self->reading || self->stream == NULL || self->drained || self->stopped)
    return;

  self->reading = TRUE;
  self->read_after_end = self->ending;
  g_input_stream_read_bytes_async (self->stream, READ_CHUNK, G_PRIORITY_DEFAULT, self->cancellable,
                                   read_cb, g_object_ref (self));
}

static void
open_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(LjdLogFollower) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileInputStream) stream = g_file_read_finish (G_FILE (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->stopped)
    return;

  self->opening = FALSE;

  /* Not there yet: a batch job that has not started writes it later. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) && !self->ending)
    return;

  /* Seeking a local file only moves an offset; it does not block. */
  if (stream == NULL ||
      !g_seekable_seek (G_SEEKABLE (stream), lp_log_lines_get_offset (self->lines), G_SEEK_SET, NULL, &error))
    {
      g_debug ("Cannot read %s: %s", self->path, error->message);
      self->log_failed = TRUE;
      if (self->ending)
        drain (self);
      return;
    }

  self->stream = G_INPUT_STREAM (g_steal_pointer (&stream));
  read_more (self);
}

static void
open_log (LjdLogFollower *self)
{
  g_autoptr(GFile) file = NULL;

  if (self->opening || self->stream != NULL || self->log_failed || self->stopped)
    return;

  file = g_file_new_for_path (self->path);
  self->opening = TRUE;
  g_file_read_async (file, G_PRIORITY_DEFAULT, self->cancellable, open_cb, g_object_ref (self));
}

/* Whether the file was started over (a requeued batch job, a truncating
 * redirect, a trainer that empties its log): shorter than what was read
 * of it, or no longer holding the last bytes read where they were, which
 * a file emptied and written again as long tells. Only while no read is
 * under way; the two small reads are a local file's, or a shared file
 * system's at worst. */
static gboolean
started_over (LjdLogFollower *self)
{
  g_autoptr(GFileInfo) info = NULL;
  goffset offset = lp_log_lines_get_offset (self->lines);
  guint8 now[SIGNATURE_BYTES];
  gsize got = 0;
  gboolean same;

  if (!(info = g_file_input_stream_query_info (G_FILE_INPUT_STREAM (self->stream),
                                               G_FILE_ATTRIBUTE_STANDARD_SIZE, NULL, NULL)))
    return FALSE;
  if (g_file_info_get_size (info) < offset)
    return TRUE;
  if (self->signature_len == 0 || offset < (goffset) self->signature_len)
    return FALSE;

  if (!g_seekable_seek (G_SEEKABLE (self->stream), offset - self->signature_len, G_SEEK_SET, NULL, NULL))
    return FALSE;
  same = g_input_stream_read_all (self->stream, now, self->signature_len, &got, NULL, NULL) &&
         got == self->signature_len && memcmp (now, self->signature, got) == 0;
  g_seekable_seek (G_SEEKABLE (self->stream), offset, G_SEEK_SET, NULL, NULL);
  return !same;
}

/* A file started over is read again from the top, with event ids of
 * its own. */
static void
check_truncated (LjdLogFollower *self)
{
  if (self->stream == NULL || self->reading || !started_over (self))
    return;

  g_debug ("%s was started over; reading it again from the top", self->path);
  g_clear_object (&self->stream);
  self->signature_len = 0;
  self->generation++;
  self->prime_until = 0;
  self->resumed_at = 0;
  lp_log_lines_reset (self->lines, 0, FALSE);
  /* The parser's counters go on: a run started over ends at its own end. */
  self->saved_offset = -1;
}

/* Everything before the first event still waiting has been reported. */
static goffset
reported_offset (LjdLogFollower *self)
{
  goffset offset = g_queue_is_empty (self->pending)
    ? lp_log_lines_get_consumed (self->lines)
    : ((Pending *) g_queue_peek_head (self->pending))->start;

  /* Nor is a bar's line whose metrics wait. */
  if (self->have_held)
    offset = MIN (offset, self->held_start);

  /* Lines read again after a restart, only for the tail, were reported. */
  return MAX (offset, self->resumed_at);
}

/* The heartbeat */

static gboolean
tick_cb (gpointer user_data)
{
  LjdLogFollower *self = user_data;
  gint64 now = g_get_monotonic_time ();
  goffset offset;

  if (self->stopped || self->finished)
    return G_SOURCE_CONTINUE;

  if (self->stream == NULL && !self->drained)
    {
      if (self->log_failed || (self->ending && !self->opening && !g_file_test (self->path, G_FILE_TEST_EXISTS)))
        {
          if (self->ending)
            drain (self);
        }
      else
        open_log (self);
    }
  else if (!self->drained)
    {
      check_truncated (self);
      if (self->stream == NULL)
        open_log (self);
      else if (g_queue_get_length (self->pending) < MAX_PENDING)
        read_more (self);
    }

  /* A bar that stopped moving still shows its last step. */
  if (self->have_held && !self->drained && now - self->last_bar_metrics_at >= BAR_METRICS_INTERVAL_US)
    post_held (self);

  flush (self);

  offset = reported_offset (self);
  if (!self->drained && offset != self->saved_offset && now - self->saved_at >= SAVE_INTERVAL_US)
    g_signal_emit (self, signals[STATE_CHANGED], 0);

  return G_SOURCE_CONTINUE;
}

static void
begin (LjdLogFollower *self,
       goffset         offset)
{
  goffset from = MAX (0, offset - TAIL_PRIME_BYTES);

  g_return_if_fail (!self->began);

  self->began = TRUE;
  self->prime_until = offset;
  self->resumed_at = offset;
  self->saved_offset = offset;
  lp_log_lines_reset (self->lines, from, from > 0);

  self->tick_source = ljd_timeout_attach (self->context, TAIL_INTERVAL_MS, tick_cb, self, NULL);
  open_log (self);
  g_signal_emit (self, signals[STATE_CHANGED], 0);
}

/* API */

/**
 * ljd_log_follower_new:
 * @service: the service the job belongs to
 * @session: (nullable): the session to post with; %NULL makes one
 * @job: the job; its config's "log_format" and "log_patterns" say how its
 *   output reads (checked with ljd_log_follower_check_config() when the
 *   job was made: a config that no longer reads is read as "auto"), its
 *   total_steps and epochs tell its training bar
 * @webhook_secret: the job's webhook secret
 * @path: the file the job's output goes to; it need not exist yet
 * @event_prefix: what the ids of its events start with ("local", "slurm")
 *
 * Makes a follower that does nothing until ljd_log_follower_start() or
 * ljd_log_follower_resume().
 */
LjdLogFollower *
ljd_log_follower_new (LjdService  *service,
                      SoupSession *session,
                      LpJob       *job,
                      const char  *webhook_secret,
                      const char  *path,
                      const char  *event_prefix)
{
  LjdLogFollower *self;
  g_auto(GStrv) patterns = NULL;
  g_autoptr(GError) error = NULL;
  LpLogFormat format = LP_LOG_FORMAT_AUTO;

  g_return_val_if_fail (LJD_IS_SERVICE (service), NULL);
  g_return_val_if_fail (session == NULL || SOUP_IS_SESSION (session), NULL);
  g_return_val_if_fail (LP_IS_JOB (job), NULL);
  g_return_val_if_fail (webhook_secret != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (event_prefix != NULL && *event_prefix != '\0', NULL);

  self = g_object_new (LJD_TYPE_LOG_FOLLOWER, NULL);
  self->service = service;
  self->session = session != NULL
    ? g_object_ref (session)
    /* Only ever talks to its own service, on loopback: no proxy. */
    : soup_session_new_with_options ("proxy-resolver", NULL,
                                     "timeout", 30,
                                     "user-agent", "lora-jobd-follower/" PACKAGE_VERSION,
                                     NULL);
  self->job_id = lp_job_get_id (job);
  self->secret = g_strdup (webhook_secret);
  self->path = g_strdup (path);
  self->prefix = g_strdup_printf ("%s-", event_prefix);
  self->job_total_steps = lp_job_get_total_steps (job);

  if (!lp_log_config_read (lp_job_get_config (job), &format, &patterns, &error) ||
      !(self->parser = lp_log_parser_new_full (format, (const char * const *) patterns,
                                               lp_job_get_total_steps (job),
                                               lp_job_get_total_epochs (job), &error)))
    {
      g_warning ("Job %" G_GINT64_FORMAT "’s output is read as “auto”: %s", self->job_id, error->message);
      self->parser = lp_log_parser_new_full (LP_LOG_FORMAT_AUTO, NULL, lp_job_get_total_steps (job),
                                             lp_job_get_total_epochs (job), NULL);
    }

  return self;
}

/**
 * ljd_log_follower_start:
 * @started_at: when the process started, in µs since the epoch
 *
 * Starts following a run from the start of its output: the job is
 * training, in its preprocessing stage since @started_at.
 */
void
ljd_log_follower_start (LjdLogFollower *self,
                        gint64          started_at)
{
  LpStageChange changes[LP_RUN_STAGES_MAX_CHANGES];
  guint n;

  g_return_if_fail (LJD_IS_LOG_FOLLOWER (self));
  g_return_if_fail (!self->began);

  /* The first stage takes the job out of provisioning. */
  n = lp_run_stages_start (self->stages, started_at > 0 ? started_at : g_get_real_time (), changes);
  queue_stages (self, changes, n, NULL, 0);

  begin (self, 0);
  flush (self);
}

/**
 * ljd_log_follower_resume:
 * @state: what ljd_log_follower_save_state() wrote before the restart
 *
 * Goes on following a run that a service before this one followed, from
 * where that one had reported up to.
 */
void
ljd_log_follower_resume (LjdLogFollower *self,
                         JsonObject     *state)
{
  g_autoptr(LpJob) job = NULL;
  LpStageStatus statuses[LP_N_STAGES] = { 0 };
  gint64 offset = 0, step = -1, total = -1, started = 0, generation = 0;
  const char *stages = NULL;

  g_return_if_fail (LJD_IS_LOG_FOLLOWER (self));
  g_return_if_fail (!self->began);

  if (state != NULL &&
      (!lp_json_get_int (state, "offset", FALSE, &offset, NULL) || offset < 0))
    offset = 0;
  if (state != NULL)
    {
      if (!lp_json_get_int (state, "step", FALSE, &step, NULL))
        step = -1;
      if (!lp_json_get_int (state, "total_steps", FALSE, &total, NULL))
        total = -1;
      if (!lp_json_get_string (state, "stages", FALSE, &stages, NULL))
        stages = NULL;
      if (lp_json_get_int (state, "generation", FALSE, &generation, NULL) &&
          generation > 0 && generation < G_MAXUINT)
        self->generation = (guint) generation;
    }

  lp_log_parser_restore (self->parser, step, total);
  self->reported_step = step;
  self->stages_owned = g_strcmp0 (stages, "trainer") != 0;

  /* The stages go on from where the job has them. */
  job = ljd_store_get_job (ljd_service_get_store (self->service), self->job_id, NULL);
  if (job != NULL && lp_job_get_stages (job) != NULL)
    {
      GPtrArray *array = lp_job_get_stages (job);

      for (guint i = 0; i < MIN (array->len, LP_N_STAGES); i++)
        statuses[i] = ((const LpStage *) g_ptr_array_index (array, i))->status;
      if (array->len > 0)
        started = ((const LpStage *) g_ptr_array_index (array, 0))->started_at;
    }
  lp_run_stages_restore (self->stages, statuses, started);
  self->furthest_stage = lp_run_stages_get_reached (self->stages);

  begin (self, offset);
}

/**
 * ljd_log_follower_save_state:
 * @builder: a builder inside an object
 *
 * Adds the members the follower needs back after a restart ("offset",
 * "step", "total_steps", and "generation" and "stages" when they are not
 * the default) to the object @builder is
 * building, and counts them as saved.
 */
void
ljd_log_follower_save_state (LjdLogFollower *self,
                             JsonBuilder    *builder)
{
  goffset offset;

  g_return_if_fail (LJD_IS_LOG_FOLLOWER (self));
  g_return_if_fail (JSON_IS_BUILDER (builder));

  /* The parser's counter may be a little ahead of the offset, which only
   * moves a re-read dict to a later step. */
  offset = reported_offset (self);

  json_builder_set_member_name (builder, "offset");
  json_builder_add_int_value (builder, offset);
  if (self->generation > 0)
    {
      json_builder_set_member_name (builder, "generation");
      json_builder_add_int_value (builder, self->generation);
    }
  json_builder_set_member_name (builder, "step");
  json_builder_add_int_value (builder, lp_log_parser_get_step (self->parser));
  json_builder_set_member_name (builder, "total_steps");
  json_builder_add_int_value (builder, lp_log_parser_get_total_steps (self->parser));
  if (!self->stages_owned)
    {
      json_builder_set_member_name (builder, "stages");
      json_builder_add_string_value (builder, "trainer");
    }

  self->saved_offset = offset;
  self->saved_at = g_get_monotonic_time ();
}

/**
 * ljd_log_follower_set_gpu_util:
 * @percent: the run's GPU utilisation now, 0 to 100
 *
 * Attaches the reading to the metrics that follow; a run that prints
 * nothing for a while still shows it, at the step it reached.
 */
void
ljd_log_follower_set_gpu_util (LjdLogFollower *self,
                               double          percent)
{
  gint64 step;

  g_return_if_fail (LJD_IS_LOG_FOLLOWER (self));

  if (!isfinite (percent) || percent < 0 || percent > 100)
    return;

  self->gpu_util = percent;
  self->gpu_at = g_get_monotonic_time ();

  step = MAX (self->reported_step, lp_log_parser_get_step (self->parser));
  if (step >= 0 && !self->ending && !self->stopped &&
      g_get_monotonic_time () - self->last_metrics_at >= PROGRESS_INTERVAL_US)
    {
      queue_metrics (self, g_strdup_printf ("%sgpu-%" G_GINT64_FORMAT, self->prefix, g_get_real_time ()),
                     step, NULL, lp_log_lines_get_consumed (self->lines));
      flush (self);
    }
}

static void
set_end (LjdLogFollower *self,
         EndKind         end,
         int             exit_status,
         const char     *message)
{
  if (self->ending || self->stopped)
    return;

  self->ending = TRUE;
  self->end = end;
  self->exit_status = exit_status;
  self->end_message = g_strdup (message);

  /* Nothing began: there is nothing to read. */
  if (!self->began)
    {
      self->began = TRUE;
      self->log_failed = TRUE;
      self->tick_source = ljd_timeout_attach (self->context, TAIL_INTERVAL_MS, tick_cb, self, NULL);
      drain (self);
      return;
    }

  tick_cb (self);
}

/**
 * ljd_log_follower_finish:
 * @exit_status: how the process ended: 0 for success, 128 + N for signal
 *   N, any other for a failure; %LJD_LOG_FOLLOWER_EXIT_UNKNOWN when only
 *   @message can tell
 * @message: (nullable): how it ended, in words, for a failure; by default
 *   “The training process exited with status 3”
 *
 * The process is gone: read the rest of its output, then post the last
 * step, the end of the stages and the job's end: completed for status 0,
 * else failed, with the end of the output (or @message, when there was no
 * output) as its error. Emits "finished" when that has been taken.
 */
void
ljd_log_follower_finish (LjdLogFollower *self,
                         int             exit_status,
                         const char     *message)
{
  g_return_if_fail (LJD_IS_LOG_FOLLOWER (self));
  g_return_if_fail (exit_status >= 0 || message != NULL);

  set_end (self, END_EXIT, exit_status, message);
}

/**
 * ljd_log_follower_fail:
 * @message: the job's error
 *
 * The process is gone and nothing says how it ended: read the rest of its
 * output, post it, then fail the job with @message through the service
 * (ljd_service_provider_failed()). Emits "finished" after that.
 */
void
ljd_log_follower_fail (LjdLogFollower *self,
                       const char     *message)
{
  g_return_if_fail (LJD_IS_LOG_FOLLOWER (self));
  g_return_if_fail (message != NULL);

  set_end (self, END_FAIL, LJD_LOG_FOLLOWER_EXIT_UNKNOWN, message);
}

/**
 * ljd_log_follower_stop:
 *
 * Stops for good, at once: what is read or waiting is dropped (a cancel
 * reports none of what the process prints while it stops), and no signal
 * is emitted any more.
 */
void
ljd_log_follower_stop (LjdLogFollower *self)
{
  g_return_if_fail (LJD_IS_LOG_FOLLOWER (self));

  self->stopped = TRUE;
  g_cancellable_cancel (self->cancellable);
  ljd_source_clear (&self->tick_source);
  g_clear_object (&self->stream);
  g_queue_clear_full (self->pending, (GDestroyNotify) pending_free);
}

gint64
ljd_log_follower_get_job_id (LjdLogFollower *self)
{
  g_return_val_if_fail (LJD_IS_LOG_FOLLOWER (self), 0);
  return self->job_id;
}

const char *
ljd_log_follower_get_path (LjdLogFollower *self)
{
  g_return_val_if_fail (LJD_IS_LOG_FOLLOWER (self), NULL);
  return self->path;
}

/* The latest training step the output showed, or -1. */
gint64
ljd_log_follower_get_step (LjdLogFollower *self)
{
  g_return_val_if_fail (LJD_IS_LOG_FOLLOWER (self), -1);
  return MAX (self->reported_step, lp_log_parser_get_step (self->parser));
}

gboolean
ljd_log_follower_is_finished (LjdLogFollower *self)
{
  g_return_val_if_fail (LJD_IS_LOG_FOLLOWER (self), FALSE);
  return self->finished;
}

/* GObject */

static void
ljd_log_follower_dispose (GObject *object)
{
  LjdLogFollower *self = (LjdLogFollower *) object;

  if (!self->stopped)
    ljd_log_follower_stop (self);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (ljd_log_follower_parent_class)->dispose (object);
}

static void
ljd_log_follower_finalize (GObject *object)
{
  LjdLogFollower *self = (LjdLogFollower *) object;

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->parser, lp_log_parser_free);
  g_clear_pointer (&self->stages, lp_run_stages_free);
  g_clear_pointer (&self->lines, lp_log_lines_free);
  g_queue_free_full (self->tail, g_free);
  g_queue_free_full (self->pending, (GDestroyNotify) pending_free);
  g_free (self->secret);
  g_free (self->path);
  g_free (self->prefix);
  g_free (self->end_message);

  G_OBJECT_CLASS (ljd_log_follower_parent_class)->finalize (object);
}

static void
ljd_log_follower_class_init (LjdLogFollowerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ljd_log_follower_dispose;
  object_class->finalize = ljd_log_follower_finalize;

  signals[STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ljd_log_follower_init (LjdLogFollower *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->cancellable = g_cancellable_new ();
  self->stages = lp_run_stages_new ();
  self->lines = lp_log_lines_new (MAX_LINE);
  self->tail = g_queue_new ();
  self->pending = g_queue_new ();
  self->reported_step = -1;
  self->saved_offset = -1;
  self->furthest_stage = -1;
  self->stages_owned = TRUE;
  self->gpu_util = NAN;
}
