/* lm-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "lp-json.h"
#include "lm-client.h"

/* Backoff of the health check while the service is unreachable. */
static const guint retry_delays_s[] = { 5, 10, 20, 40, 60 };

/* ::reconnected refreshes every view: at most this often (µs). */
#define RECONNECTED_MIN_INTERVAL (5 * G_USEC_PER_SEC)

struct _LmClient
{
  GObject      parent_instance;

  SoupSession *session;
  char        *base_url;
  char        *token;
  char        *user;
  char        *last_error;

  gint64       retry_at;       /* monotonic µs of the next health check */
  gint64       reconnected_at; /* monotonic µs of the last ::reconnected */
  guint        retry_id;
  guint        retry_index;
  guint        reachable : 1;
  guint        checking : 1;
};

G_DEFINE_FINAL_TYPE (LmClient, lm_client, G_TYPE_OBJECT)
G_DEFINE_QUARK (lm-client-error-quark, lm_client_error)

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_TOKEN,
  PROP_USER,
  PROP_REACHABLE,
  PROP_RETRY_AT,
  PROP_LAST_ERROR,
  N_PROPS
};

enum {
  RECONNECTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef gpointer (*ParseFunc) (JsonObject  *object,
                               GError     **error);

static void
lm_client_dispose (GObject *object)
{
  LmClient *self = (LmClient *) object;

  g_clear_handle_id (&self->retry_id, g_source_remove);
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (lm_client_parent_class)->dispose (object);
}

static void
lm_client_finalize (GObject *object)
{
  LmClient *self = (LmClient *) object;

  g_clear_pointer (&self->base_url, g_free);
  g_clear_pointer (&self->token, g_free);
  g_clear_pointer (&self->user, g_free);
  g_clear_pointer (&self->last_error, g_free);

  G_OBJECT_CLASS (lm_client_parent_class)->finalize (object);
}

static void
lm_client_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  LmClient *self = LM_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL: g_value_set_string (value, self->base_url); break;
    case PROP_TOKEN: g_value_set_string (value, self->token); break;
    case PROP_USER: g_value_set_string (value, self->user); break;
    case PROP_REACHABLE: g_value_set_boolean (value, self->reachable); break;
    case PROP_RETRY_AT: g_value_set_int64 (value, self->retry_at); break;
    case PROP_LAST_ERROR: g_value_set_string (value, self->last_error); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_client_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  LmClient *self = LM_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      {
        g_autofree char *url = g_value_dup_string (value);

        /* Paths are appended to the base, so it never ends in a slash. */
        while (url != NULL && g_str_has_suffix (url, "/"))
          url[strlen (url) - 1] = '\0';
        g_free (self->base_url);
        self->base_url = g_steal_pointer (&url);
      }
      break;
    case PROP_TOKEN:
      g_free (self->token);
      self->token = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_client_class_init (LmClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = lm_client_dispose;
  object_class->finalize = lm_client_finalize;
  object_class->get_property = lm_client_get_property;
  object_class->set_property = lm_client_set_property;

  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOKEN] =
    g_param_spec_string ("token", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_USER] =
    g_param_spec_string ("user", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REACHABLE] =
    g_param_spec_boolean ("reachable", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RETRY_AT] =
    g_param_spec_int64 ("retry-at", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_ERROR] =
    g_param_spec_string ("last-error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * LmClient::reconnected:
   *
   * The service answers again after being unreachable; views refresh.
   */
  signals[RECONNECTED] =
    g_signal_new ("reconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
lm_client_init (LmClient *self)
{
  self->reachable = TRUE;
  self->session = soup_session_new_with_options ("timeout", 20,
                                                 "idle-timeout", 60,
                                                 "user-agent", "lora-monitor/" PACKAGE_VERSION,
                                                 NULL);
}

LmClient *
lm_client_new (const char *base_url,
               const char *token)
{
  return g_object_new (LM_TYPE_CLIENT, "base-url", base_url, "token", token, NULL);
}

const char *
lm_client_get_base_url (LmClient *self)
{
  g_return_val_if_fail (LM_IS_CLIENT (self), NULL);
  return self->base_url;
}

const char *
lm_client_get_token (LmClient *self)
{
  g_return_val_if_fail (LM_IS_CLIENT (self), NULL);
  return self->token;
}

const char *
lm_client_get_user (LmClient *self)
{
  g_return_val_if_fail (LM_IS_CLIENT (self), NULL);
  return self->user;
}

gboolean
lm_client_get_reachable (LmClient *self)
{
  g_return_val_if_fail (LM_IS_CLIENT (self), FALSE);
  return self->reachable;
}

gint64
lm_client_get_retry_at (LmClient *self)
{
  g_return_val_if_fail (LM_IS_CLIENT (self), 0);
  return self->retry_at;
}

const char *
lm_client_get_last_error (LmClient *self)
{
  g_return_val_if_fail (LM_IS_CLIENT (self), NULL);
  return self->last_error;
}

/* Reachability */

static void schedule_health_check (LmClient *self);

static void
set_reachable (LmClient   *self,
               gboolean    reachable,
               const char *error_message)
{
  if (g_strcmp0 (self->last_error, error_message) != 0)
    {
      g_free (self->last_error);
      self->last_error = error_message != NULL ? g_utf8_make_valid (error_message, -1) : NULL;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
    }

  if (self->reachable == !!reachable)
    return;

  self->reachable = !!reachable;

  /* The retry time is set before anyone hears of the change, so a banner
   * can say at once when the next attempt comes. */
  if (reachable)
    {
      gint64 now = g_get_monotonic_time ();

      g_clear_handle_id (&self->retry_id, g_source_remove);
      self->retry_index = 0;
      self->retry_at = 0;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRY_AT]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REACHABLE]);

      /* A gateway that fails some routes and not others flips this on
       * every answer; refreshing every view on each flip would be a storm
       * of requests, each refresh cancelling the last. */
      if (self->reconnected_at == 0 || now - self->reconnected_at >= RECONNECTED_MIN_INTERVAL)
        {
          self->reconnected_at = now;
          g_signal_emit (self, signals[RECONNECTED], 0);
        }
    }
  else
    {
      schedule_health_check (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REACHABLE]);
    }
}

static void
close_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  /* Closing an answer that was not read to its end drops the connection;
   * nothing is left to report. */
  g_input_stream_close_finish (G_INPUT_STREAM (object), result, NULL);
}

/* Never reads the body: a health check needs only the status, and an
 * answer at the configured address can be of any size. */
static void
close_unread (GInputStream *stream)
{
  g_input_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, close_cb, NULL);
}

static void
health_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(LmClient) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (object), result);

  if (stream != NULL)
    close_unread (stream);
  self->checking = FALSE;

  if (error == NULL && msg != NULL && soup_message_get_status (msg) == SOUP_STATUS_OK)
    {
      set_reachable (self, TRUE, NULL);
      return;
    }

  if (self->retry_index + 1 < G_N_ELEMENTS (retry_delays_s))
    self->retry_index++;
  schedule_health_check (self);
}

static gboolean
health_check_cb (gpointer user_data)
{
  LmClient *self = user_data;
  g_autofree char *url = g_strconcat (self->base_url, "/api/health", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);

  self->retry_id = 0;

  if (msg == NULL || self->checking)
    return G_SOURCE_REMOVE;

  self->checking = TRUE;
  soup_session_send_async (self->session, msg, G_PRIORITY_DEFAULT, NULL,
                           health_cb, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

static void
schedule_health_check (LmClient *self)
{
  guint delay = retry_delays_s[self->retry_index];

  g_clear_handle_id (&self->retry_id, g_source_remove);
  self->retry_at = g_get_monotonic_time () + (gint64) delay * G_USEC_PER_SEC;
  self->retry_id = g_timeout_add_seconds (delay, health_check_cb, self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRY_AT]);
}

void
lm_client_retry_now (LmClient *self)
{
  g_return_if_fail (LM_IS_CLIENT (self));

  if (self->reachable)
    return;

  g_clear_handle_id (&self->retry_id, g_source_remove);
  health_check_cb (self);
}

/* Requests */

/* Answers are read in chunks and counted, so no answer at the configured
 * address can make the app hold more than its route's limit; a
 * Content-Length over it is refused before anything of the body is read.
 *
 * ANSWER_LIMIT covers every JSON route: a page of jobs is at most 100 jobs
 * of at most ~70 KiB each (a config is at most 64 KiB), a page of events
 * at most 200 events, a job page's first metrics answer is thinned to
 * LM_JOB_PAGE_MAX_HISTORY_POINTS points per series (about 2 MB) and later
 * ones only bring the steps since the last poll; the queue lists every
 * queued job, ~3 KiB each without a config. 32 MiB is several times what a
 * busy team service sends, and parsing it still takes well under a second.
 *
 * EXPORT_LIMIT is for the events export, which is every event of a job in
 * one document: a run reporting every step for 100 000 steps is about
 * 30 MB. The export is parsed once to check it before it is written.
 *
 * SMALL_LIMIT is for what is only ever a line: /api/me and the JSON error
 * body of a 4xx or 5xx. A larger error body is not read; the status line
 * then says what went wrong. */
#define SMALL_LIMIT  (64 * 1024)
#define ANSWER_LIMIT (32 * 1024 * 1024)
#define EXPORT_LIMIT (256 * 1024 * 1024)
#define READ_CHUNK   (64 * 1024)

typedef struct
{
  ParseFunc       parse;
  GDestroyNotify  free_result;
  SoupMessage    *msg;
  GInputStream   *stream;
  GByteArray     *body;
  gsize           limit;            /* for a 2xx answer */
  gsize           read_limit;       /* for this answer, by its status */
  guint           expect_empty : 1;
  guint           keep_body : 1;    /* answer with the body itself */
  guint           too_large : 1;
} RequestData;

static void
request_data_free (RequestData *data)
{
  g_clear_object (&data->msg);
  g_clear_object (&data->stream);
  g_clear_pointer (&data->body, g_byte_array_unref);
  g_free (data);
}

typedef struct
{
  GBytes *body;
  char   *filename;
} Export;

static void
export_free (Export *export)
{
  g_clear_pointer (&export->body, g_bytes_unref);
  g_free (export->filename);
  g_free (export);
}

/* The file name the service suggests in Content-Disposition. */
static char *
attachment_name (SoupMessage *msg)
{
  g_autoptr(GHashTable) params = NULL;
  const char *name;

  if (!soup_message_headers_get_content_disposition (soup_message_get_response_headers (msg), NULL, &params))
    return NULL;

  name = g_hash_table_lookup (params, "filename");
  /* Only a plain name: never a path the service could steer us into. */
  if (name == NULL || strchr (name, '/') != NULL || name[0] == '.' || name[0] == '\0')
    return NULL;

  return g_strdup (name);
}

/* Messages are shown in labels, which take only UTF-8: a JSON string with
 * a lone surrogate escape, a reason phrase or json-glib's own error (which
 * quotes the bytes it choked on) may be anything. */
static GError *
error_new_valid (LmClientError  code,
                 const char    *message)
{
  g_autofree char *valid = g_utf8_make_valid (message, -1);

  return g_error_new_literal (LM_CLIENT_ERROR, code, valid);
}

static GError *
error_for_status (LmClient    *self,
                  SoupMessage *msg,
                  GBytes      *body)
{
  guint status = soup_message_get_status (msg);
  g_autofree char *message = NULL;
  gsize len = 0;
  const char *data = body ? g_bytes_get_data (body, &len) : NULL;
  LmClientError code;

  if (!lp_json_parse_api_error (data, len, NULL, &message))
    message = g_strdup_printf (_("The service answered %u %s"), status,
                               soup_message_get_reason_phrase (msg) ? soup_message_get_reason_phrase (msg) : "");

  switch (status)
    {
    case SOUP_STATUS_UNAUTHORIZED: code = LM_CLIENT_ERROR_UNAUTHORIZED; break;
    case SOUP_STATUS_NOT_FOUND: code = LM_CLIENT_ERROR_NOT_FOUND; break;
    case SOUP_STATUS_CONFLICT: code = LM_CLIENT_ERROR_CONFLICT; break;
    case SOUP_STATUS_BAD_REQUEST:
    case SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE:
      code = LM_CLIENT_ERROR_INVALID;
      break;
    default:
      code = LM_CLIENT_ERROR_SERVER;
      break;
    }

  return error_new_valid (code, message);
}

static void
return_unreachable (GTask        *task,
                    const GError *error)
{
  LmClient *self = g_task_get_source_object (task);
  g_autofree char *text = g_strdup_printf (_("Can't reach the job service at %s: %s"),
                                           self->base_url, error->message);

  set_reachable (self, FALSE, error->message);
  g_task_return_error (task, error_new_valid (LM_CLIENT_ERROR_UNREACHABLE, text));
}

/* An answer of the service itself, good or bad. */
static void
return_answer (GTask  *task,
               GBytes *body)
{
  LmClient *self = g_task_get_source_object (task);
  RequestData *data = g_task_get_task_data (task);
  SoupMessage *msg = data->msg;
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(GError) error = NULL;
  guint status = soup_message_get_status (msg);
  gpointer parsed;
  gsize len;
  const char *bytes;

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_task_return_error (task, error_for_status (self, msg, data->too_large ? NULL : body));
      return;
    }

  if (data->expect_empty)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (data->too_large)
    {
      /* Translators: the argument is a whole number of MiB, e.g. 32 */
      g_task_return_new_error (task, LM_CLIENT_ERROR, LM_CLIENT_ERROR_TOO_LARGE,
                               _("The job service's answer is larger than %u MiB"),
                               (guint) (data->limit / (1024 * 1024)));
      return;
    }

  bytes = g_bytes_get_data (body, &len);
  if (!(root = lp_json_parse_object (bytes, len, &error)) ||
      !(parsed = data->parse (root, &error)))
    {
      g_autofree char *text = g_strdup_printf (_("The job service sent something unexpected: %s"),
                                               error->message);

      g_task_return_error (task, error_new_valid (LM_CLIENT_ERROR_PROTOCOL, text));
      return;
    }

  if (data->keep_body)
    {
      Export *export = g_new0 (Export, 1);

      data->free_result (parsed);
      export->body = g_bytes_ref (body);
      export->filename = attachment_name (msg);
      g_task_return_pointer (task, export, (GDestroyNotify) export_free);
      return;
    }

  g_task_return_pointer (task, parsed, data->free_result);
}

/* The whole answer is in (or, past its limit, as much as was kept). */
static void
answer_read (GTask  *task,
             GBytes *body)
{
  g_autoptr(LmClient) self = g_object_ref (g_task_get_source_object (task));
  RequestData *data = g_task_get_task_data (task);
  guint status = soup_message_get_status (data->msg);

  /* A gateway in front of the service that cannot reach it counts as the
   * service being away, not as the service failing. */
  if (status == SOUP_STATUS_BAD_GATEWAY || status == SOUP_STATUS_SERVICE_UNAVAILABLE ||
      status == SOUP_STATUS_GATEWAY_TIMEOUT)
    {
      g_autoptr(GError) gateway = error_for_status (self, data->msg, data->too_large ? NULL : body);

      set_reachable (self, FALSE, gateway->message);
      g_task_return_new_error (task, LM_CLIENT_ERROR, LM_CLIENT_ERROR_UNREACHABLE,
                               "%s", gateway->message);
      return;
    }

  /* The answer first: views refresh when the service is back, which
   * cancels what they are waiting for, and this answer must not be it. */
  return_answer (task, body);
  set_reachable (self, TRUE, NULL);
}

static void
finish_reading (GTask *task)
{
  RequestData *data = g_task_get_task_data (task);
  g_autoptr(GBytes) body = g_byte_array_free_to_bytes (g_steal_pointer (&data->body));

  /* Past the limit the rest is never read: closing drops the connection. */
  close_unread (data->stream);
  g_clear_object (&data->stream);

  answer_read (task, body);
}

static void read_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data);

static void
read_next (GTask *task)
{
  RequestData *data = g_task_get_task_data (task);

  /* One byte more than the limit allowed tells "exactly at" from "over". */
  g_input_stream_read_bytes_async (data->stream,
                                   MIN (READ_CHUNK, data->read_limit + 1 - data->body->len),
                                   G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                   read_cb, task);
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RequestData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  gsize size;

  if (chunk == NULL)
    {
      /* Closed here rather than when the task goes, which would close it
       * synchronously. */
      close_unread (data->stream);
      g_clear_object (&data->stream);

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        return_unreachable (task, error);
      return;
    }

  size = g_bytes_get_size (chunk);
  if (size == 0)
    {
      finish_reading (g_steal_pointer (&task));
      return;
    }

  g_byte_array_append (data->body, g_bytes_get_data (chunk, NULL), size);
  if (data->body->len > data->read_limit)
    {
      data->too_large = TRUE;
      g_byte_array_set_size (data->body, 0);
      finish_reading (g_steal_pointer (&task));
      return;
    }

  read_next (g_steal_pointer (&task));
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RequestData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;
  goffset declared = -1;

  data->stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (data->stream == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        return_unreachable (task, error);
      return;
    }

  data->read_limit = SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (data->msg))
    ? data->limit : SMALL_LIMIT;

  /* A declared length counts the bytes as sent; decoded (gzip) they are
   * more, so only an unencoded one says in advance what reading would. */
  headers = soup_message_get_response_headers (data->msg);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_one (headers, "Content-Encoding") == NULL)
    declared = soup_message_headers_get_content_length (headers);

  if (declared > (goffset) data->read_limit)
    {
      data->too_large = TRUE;
      data->body = g_byte_array_new ();
      finish_reading (g_steal_pointer (&task));
      return;
    }

  data->body = g_byte_array_sized_new (declared > 0 ? (guint) declared : READ_CHUNK);
  read_next (g_steal_pointer (&task));
}

static gpointer parse_me (JsonObject  *object,
                          GError     **error);

static void
send_request (LmClient            *self,
              const char          *method,
              const char          *path,
              JsonObject          *body,
              ParseFunc            parse,
              GDestroyNotify       free_result,
              gpointer             source_tag,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *url = g_strconcat (self->base_url ? self->base_url : "", path, NULL);
  RequestData *data = g_new0 (RequestData, 1);

  data->parse = parse;
  data->free_result = free_result;
  data->expect_empty = parse == NULL;
  data->keep_body = source_tag == lm_client_export_events_async;
  data->limit = source_tag == lm_client_export_events_async ? EXPORT_LIMIT
              : source_tag == parse_me ? SMALL_LIMIT
              : ANSWER_LIMIT;
  g_task_set_task_data (task, data, (GDestroyNotify) request_data_free);
  g_task_set_source_tag (task, source_tag);

  if (!(data->msg = soup_message_new (method, url)))
    {
      g_task_return_new_error (task, LM_CLIENT_ERROR, LM_CLIENT_ERROR_INVALID,
                               _("“%s” is not a valid service address"),
                               self->base_url ? self->base_url : "");
      return;
    }

  if (self->token != NULL && self->token[0] != '\0')
    {
      g_autofree char *auth = g_strconcat ("Bearer ", self->token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (data->msg), "Authorization", auth);
    }

  if (body != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), body);
      g_autofree char *text = lp_json_to_string (node, FALSE);
      g_autoptr(GBytes) bytes = NULL;
      gsize len = strlen (text);

      bytes = g_bytes_new_take (g_steal_pointer (&text), len);
      soup_message_set_request_body_from_bytes (data->msg, "application/json", bytes);
    }

  soup_session_send_async (self->session, data->msg, G_PRIORITY_DEFAULT, cancellable,
                           sent_cb, g_steal_pointer (&task));
}

static gpointer
propagate (LmClient      *self,
           GAsyncResult  *result,
           gpointer       source_tag,
           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gpointer
parse_me (JsonObject  *object,
          GError     **error)
{
  const char *user = NULL;

  if (!lp_json_get_string (object, "user", TRUE, &user, error))
    return NULL;

  return g_strdup (user);
}

static void
me_cb (GObject      *object,
       GAsyncResult *result,
       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LmClient *self = LM_CLIENT (object);
  g_autoptr(GError) error = NULL;
  g_autofree char *user = g_task_propagate_pointer (G_TASK (result), &error);

  if (user == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (g_strcmp0 (user, self->user) != 0)
    {
      g_free (self->user);
      self->user = g_strdup (user);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER]);
    }

  g_task_return_pointer (task, g_steal_pointer (&user), g_free);
}

void
lm_client_get_me_async (LmClient            *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (LM_IS_CLIENT (self));

  /* The answer also fills LmClient:user, which the views use for "You". */
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lm_client_get_me_async);
  send_request (self, "GET", "/api/me", NULL, parse_me, g_free, parse_me,
                cancellable, me_cb, task);
}

char *
lm_client_get_me_finish (LmClient      *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  return propagate (self, result, lm_client_get_me_async, error);
}

void
lm_client_list_jobs_async (LmClient            *self,
                           const char          *status,
                           const char          *range,
                           const char          *query,
                           guint                page,
                           guint                per_page,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autofree char *q = g_uri_escape_string (query ? query : "", NULL, FALSE);
  g_autofree char *path = NULL;

  g_return_if_fail (LM_IS_CLIENT (self));

  path = g_strdup_printf ("/api/training/jobs?status=%s&range=%s&q=%s&page=%u&per_page=%u",
                          status ? status : "all", range ? range : "all", q,
                          MAX (page, 1u), CLAMP (per_page, 1u, 100u));
  send_request (self, "GET", path, NULL,
                (ParseFunc) lp_job_page_new_from_json, (GDestroyNotify) lp_job_page_free,
                lm_client_list_jobs_async, cancellable, callback, user_data);
}

LpJobPage *
lm_client_list_jobs_finish (LmClient      *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return propagate (self, result, lm_client_list_jobs_async, error);
}

void
lm_client_get_job_async (LmClient            *self,
                         gint64               id,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autofree char *path = g_strdup_printf ("/api/training/jobs/%" G_GINT64_FORMAT, id);

  g_return_if_fail (LM_IS_CLIENT (self));

  send_request (self, "GET", path, NULL,
                (ParseFunc) lp_job_new_from_json, g_object_unref,
                lm_client_get_job_async, cancellable, callback, user_data);
}

LpJob *
lm_client_get_job_finish (LmClient      *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  return propagate (self, result, lm_client_get_job_async, error);
}

void
lm_client_get_queue_async (LmClient            *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (LM_IS_CLIENT (self));

  send_request (self, "GET", "/api/training/queue", NULL,
                (ParseFunc) lp_queue_new_from_json, (GDestroyNotify) lp_queue_free,
                lm_client_get_queue_async, cancellable, callback, user_data);
}

LpQueue *
lm_client_get_queue_finish (LmClient      *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return propagate (self, result, lm_client_get_queue_async, error);
}

/* {"providers": [{"name": "local", "enabled": true}, …]}: the names of
 * the enabled ones, in the service's order. */
static gpointer
parse_providers (JsonObject  *object,
                 GError     **error)
{
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  JsonArray *array = NULL;

  if (!lp_json_get_array (object, "providers", TRUE, &array, error))
    return NULL;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      const char *name = NULL;
      gboolean enabled = FALSE;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, LM_CLIENT_ERROR, LM_CLIENT_ERROR_PROTOCOL,
                       _("The service’s provider %u is not an object"), i);
          return NULL;
        }
      if (!lp_json_get_string (json_node_get_object (node), "name", TRUE, &name, error) ||
          !lp_json_get_bool (json_node_get_object (node), "enabled", TRUE, &enabled, error))
        return NULL;
      /* A name is the service's word for a job's "provider": short, plain. */
      if (name[0] == '\0' || strlen (name) > 50 || strspn (name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen (name))
        {
          g_set_error (error, LM_CLIENT_ERROR, LM_CLIENT_ERROR_PROTOCOL,
                       _("The service named a provider “%s”, which is not a provider name"), name);
          return NULL;
        }
      if (enabled)
        g_strv_builder_add (names, name);
    }

  return g_strv_builder_end (names);
}

/**
 * lm_client_list_providers_async:
 *
 * Asks the service which providers take jobs (GET /api/providers).
 */
void
lm_client_list_providers_async (LmClient            *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (LM_IS_CLIENT (self));

  send_request (self, "GET", "/api/providers", NULL, parse_providers, (GDestroyNotify) g_strfreev,
                lm_client_list_providers_async, cancellable, callback, user_data);
}

/* Returns: (transfer full): the names of the enabled providers */
GStrv
lm_client_list_providers_finish (LmClient      *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return propagate (self, result, lm_client_list_providers_async, error);
}

/* The create response alone carries the job's webhook secret. */
typedef struct
{
  LpJob *job;
  char  *webhook_secret;
} Created;

static void
created_free (Created *created)
{
  g_clear_object (&created->job);
  g_free (created->webhook_secret);
  g_free (created);
}

static gpointer
parse_created (JsonObject  *object,
               GError     **error)
{
  const char *secret = NULL;
  g_autoptr(LpJob) job = NULL;
  Created *created;

  if (!lp_json_get_string (object, "webhook_secret", FALSE, &secret, error) ||
      !(job = lp_job_new_from_json (object, error)))
    return NULL;

  created = g_new0 (Created, 1);
  created->job = g_steal_pointer (&job);
  created->webhook_secret = g_strdup (secret);
  return created;
}

void
lm_client_create_job_async (LmClient            *self,
                            JsonObject          *request,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (LM_IS_CLIENT (self));

  send_request (self, "POST", "/api/training/jobs", request,
                parse_created, (GDestroyNotify) created_free,
                lm_client_create_job_async, cancellable, callback, user_data);
}

LpJob *
lm_client_create_job_finish (LmClient      *self,
                             GAsyncResult  *result,
                             char         **webhook_secret,
                             GError       **error)
{
  Created *created = propagate (self, result, lm_client_create_job_async, error);
  LpJob *job;

  if (created == NULL)
    return NULL;

  job = g_steal_pointer (&created->job);
  if (webhook_secret != NULL)
    *webhook_secret = g_steal_pointer (&created->webhook_secret);
  created_free (created);

  return job;
}

void
lm_client_cancel_job_async (LmClient            *self,
                            gint64               id,
                            const char          *reason,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autofree char *path = g_strdup_printf ("/api/training/jobs/%" G_GINT64_FORMAT "/cancel", id);
  g_autoptr(JsonObject) body = json_object_new ();

  g_return_if_fail (LM_IS_CLIENT (self));

  json_object_set_string_member (body, "reason", reason);
  send_request (self, "POST", path, body,
                (ParseFunc) lp_job_new_from_json, g_object_unref,
                lm_client_cancel_job_async, cancellable, callback, user_data);
}

LpJob *
lm_client_cancel_job_finish (LmClient      *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  return propagate (self, result, lm_client_cancel_job_async, error);
}

/* @rules: the guard's rules as lp_guard_new_from_request() reads them;
 * an empty object removes the guard. */
void
lm_client_set_guard_async (LmClient            *self,
                           gint64               id,
                           JsonObject          *rules,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autofree char *path = g_strdup_printf ("/api/training/jobs/%" G_GINT64_FORMAT "/guard", id);

  g_return_if_fail (LM_IS_CLIENT (self));
  g_return_if_fail (rules != NULL);

  send_request (self, "PUT", path, rules,
                (ParseFunc) lp_job_new_from_json, g_object_unref,
                lm_client_set_guard_async, cancellable, callback, user_data);
}

LpJob *
lm_client_set_guard_finish (LmClient      *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return propagate (self, result, lm_client_set_guard_async, error);
}

/* "Keep running": @rule of the job's guard no longer acts for it. */
void
lm_client_disarm_guard_async (LmClient            *self,
                              gint64               id,
                              LpGuardRule          rule,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autofree char *path = g_strdup_printf ("/api/training/jobs/%" G_GINT64_FORMAT "/guard/disarm", id);
  g_autoptr(JsonObject) body = json_object_new ();

  g_return_if_fail (LM_IS_CLIENT (self));

  json_object_set_string_member (body, "rule", lp_guard_rule_to_string (rule));
  send_request (self, "POST", path, body,
                (ParseFunc) lp_job_new_from_json, g_object_unref,
                lm_client_disarm_guard_async, cancellable, callback, user_data);
}

LpJob *
lm_client_disarm_guard_finish (LmClient      *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  return propagate (self, result, lm_client_disarm_guard_async, error);
}

/**
 * lm_client_get_metrics_async:
 * @since_steps: (array fixed-size=LP_N_SERIES) (nullable): per series, only
 *   the points after this step (-1 for all); %NULL for every point
 *
 * One cursor per series, since a validation point can arrive at a step
 * whose training point was already fetched.
 */
void
lm_client_get_metrics_async (LmClient            *self,
                             gint64               id,
                             const gint64        *since_steps,
                             guint                max_points,
                             gboolean             latest_only,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GString) path = g_string_new (NULL);
  gint64 since_min = G_MAXINT64;

  g_return_if_fail (LM_IS_CLIENT (self));

  for (guint i = 0; since_steps != NULL && i < LP_N_SERIES; i++)
    since_min = MIN (since_min, MAX (since_steps[i], -1));
  if (since_steps == NULL)
    since_min = -1;

  /* since_step is the lowest cursor, so a service without the per-series
   * parameters answers with a superset (appending ignores the overlap). */
  g_string_printf (path, "/api/training/jobs/%" G_GINT64_FORMAT "/metrics?since_step=%" G_GINT64_FORMAT,
                   id, since_min);
  for (guint i = 0; since_steps != NULL && i < LP_N_SERIES; i++)
    if (MAX (since_steps[i], -1) != since_min)
      g_string_append_printf (path, "&since_%s=%" G_GINT64_FORMAT,
                              lp_series_to_string ((LpSeries) i), since_steps[i]);
  if (max_points >= 2)
    g_string_append_printf (path, "&max_points=%u", max_points);
  if (latest_only)
    g_string_append (path, "&latest=true");

  send_request (self, "GET", path->str, NULL,
                (ParseFunc) lp_metrics_new_from_json, (GDestroyNotify) lp_metrics_free,
                lm_client_get_metrics_async, cancellable, callback, user_data);
}

LpMetrics *
lm_client_get_metrics_finish (LmClient      *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  return propagate (self, result, lm_client_get_metrics_async, error);
}

void
lm_client_list_events_async (LmClient            *self,
                             gint64               id,
                             const char          *type,
                             guint                page,
                             guint                per_page,
                             gint64               after_id,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (LM_IS_CLIENT (self));

  path = g_strdup_printf ("/api/training/jobs/%" G_GINT64_FORMAT "/events?type=%s&page=%u&per_page=%u&after_id=%" G_GINT64_FORMAT,
                          id, type ? type : "all", MAX (page, 1u), CLAMP (per_page, 1u, 200u), MAX (after_id, 0));
  send_request (self, "GET", path, NULL,
                (ParseFunc) lp_event_page_new_from_json, (GDestroyNotify) lp_event_page_free,
                lm_client_list_events_async, cancellable, callback, user_data);
}

LpEventPage *
lm_client_list_events_finish (LmClient      *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  return propagate (self, result, lm_client_list_events_async, error);
}

static gpointer
parse_export (JsonObject  *object,
              GError     **error)
{
  JsonArray *events = NULL;
  JsonObject *job = NULL;

  g_autoptr(LpJob) parsed = NULL;

  /* Checked as thoroughly as the views check a job and a page of events,
   * so a file saved as an export is one. */
  if (!lp_json_get_object (object, "job", TRUE, &job, error) ||
      !lp_json_get_array (object, "events", TRUE, &events, error))
    return NULL;

  if (!(parsed = lp_job_new_from_json (job, error)))
    {
      g_prefix_error (error, "job: ");
      return NULL;
    }

  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonNode *node = json_array_get_element (events, i);
      g_autoptr(LpEvent) event = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, LP_JSON_ERROR, LP_JSON_ERROR_TYPE,
                       _("events[%u] must be an object"), i);
          return NULL;
        }
      if (!(event = lp_event_new_from_json (json_node_get_object (node), error)))
        {
          g_prefix_error (error, "events[%u]: ", i);
          return NULL;
        }
    }

  return json_object_ref (object);
}

void
lm_client_export_events_async (LmClient            *self,
                               gint64               id,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autofree char *path = g_strdup_printf ("/api/training/jobs/%" G_GINT64_FORMAT "/events/export", id);

  g_return_if_fail (LM_IS_CLIENT (self));

  send_request (self, "GET", path, NULL,
                parse_export, (GDestroyNotify) json_object_unref,
                lm_client_export_events_async, cancellable, callback, user_data);
}

GBytes *
lm_client_export_events_finish (LmClient      *self,
                                GAsyncResult  *result,
                                char         **filename,
                                GError       **error)
{
  Export *export = propagate (self, result, lm_client_export_events_async, error);
  GBytes *body;

  if (export == NULL)
    return NULL;

  body = g_steal_pointer (&export->body);
  if (filename != NULL)
    *filename = g_steal_pointer (&export->filename);
  export_free (export);

  return body;
}

void
lm_client_delete_job_async (LmClient            *self,
                            gint64               id,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autofree char *path = g_strdup_printf ("/api/training/jobs/%" G_GINT64_FORMAT, id);

  g_return_if_fail (LM_IS_CLIENT (self));

  send_request (self, "DELETE", path, NULL, NULL, NULL,
                lm_client_delete_job_async, cancellable, callback, user_data);
}

gboolean
lm_client_delete_job_finish (LmClient      *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
