/* hostile-service.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A SoupServer on loopback in a thread of its own (the app's requests are
 * asynchronous on the test's main loop, so the server must not share it),
 * answering the routes the app uses with documents shaped like
 * lora-jobd's and then spoiled as the current case says. The huge cases
 * stream their body chunk by chunk as the client takes it, so they cost
 * the service nothing and show how much the client read before it hung up.
 */
#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "hostile-service.h"

#define STREAM_CHUNK      (256 * 1024)
#define HUGE_BODY         ((guint64) 100 * 1024 * 1024)
#define HUGE_EXPORT_BODY  ((guint64) 300 * 1024 * 1024)
#define BIG_VALID_PADDING (10 * 1000 * 1000)
#define INT_PLACEHOLDER    "@int@"
#define DOUBLE_PLACEHOLDER "@double@"

struct _HostileService
{
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  SoupServer   *server;
  char         *url;

  GMutex        lock;
  GCond         ready;
  HostileCase   which;
  HostileRoute  routes;
  guint64       max_streamed;
  guint         n_streams_done;
};

static const char * const case_names[HOSTILE_N_CASES] = {
  [HOSTILE_NORMAL] = "normal",
  [HOSTILE_GARBAGE] = "garbage",
  [HOSTILE_TRUNCATED] = "truncated",
  [HOSTILE_EMPTY] = "empty-200",
  [HOSTILE_BIG_VALID] = "big-valid",
  [HOSTILE_HUGE_DECLARED] = "huge-declared",
  [HOSTILE_HUGE_CHUNKED] = "huge-chunked",
  [HOSTILE_STRINGS_FOR_NUMBERS] = "strings-for-numbers",
  [HOSTILE_ARRAYS_FOR_OBJECTS] = "arrays-for-objects",
  [HOSTILE_OBJECTS_FOR_ARRAYS] = "objects-for-arrays",
  [HOSTILE_NULLS] = "nulls",
  [HOSTILE_NUMBERS_FOR_STRINGS] = "numbers-for-strings",
  [HOSTILE_HUGE_NUMBERS] = "huge-numbers",
  [HOSTILE_NEGATIVE_NUMBERS] = "negative-numbers",
  [HOSTILE_RAW_NUMBERS] = "raw-numbers",
  [HOSTILE_DEEP] = "deep",
  [HOSTILE_DEEP_OK] = "deep-ok",
  [HOSTILE_MARKUP] = "markup",
  [HOSTILE_INVALID_UTF8] = "invalid-utf8",
  [HOSTILE_LONE_SURROGATE] = "lone-surrogate",
  [HOSTILE_HTML_500] = "html-500",
  [HOSTILE_MARKUP_500] = "markup-500",
  [HOSTILE_HTML_502] = "html-502",
  [HOSTILE_HUGE_ERROR] = "huge-error",
};

const char *
hostile_case_name (HostileCase which)
{
  g_return_val_if_fail (which < HOSTILE_N_CASES, NULL);
  return case_names[which];
}

/* Documents */

static const char stages_json[] =
  "[{\"name\":\"preprocessing\",\"status\":\"completed\",\"started_at\":\"2026-01-01T00:01:00Z\","
  "\"finished_at\":\"2026-01-01T00:02:00Z\",\"duration_s\":60,\"substatus\":\"Tokenizing 242 conversations...\",\"error\":null},"
  "{\"name\":\"model_loading\",\"status\":\"completed\",\"started_at\":\"2026-01-01T00:02:00Z\","
  "\"finished_at\":\"2026-01-01T00:03:00Z\",\"duration_s\":60,\"substatus\":\"Loading Llama 3 70B model...\",\"error\":null},"
  "{\"name\":\"training\",\"status\":\"failed\",\"started_at\":\"2026-01-01T00:03:00Z\","
  "\"finished_at\":\"2026-01-01T01:00:00Z\",\"duration_s\":3420,\"substatus\":\"Epoch 2/3 - Step 850 of 2,000\",\"error\":\"CUDA out of memory\"},"
  "{\"name\":\"finalization\",\"status\":\"pending\",\"started_at\":null,"
  "\"finished_at\":null,\"duration_s\":null,\"substatus\":null,\"error\":null}]";

static const char pending_stages_json[] =
  "[{\"name\":\"preprocessing\",\"status\":\"pending\",\"started_at\":null,\"finished_at\":null,\"duration_s\":null,\"substatus\":null,\"error\":null},"
  "{\"name\":\"model_loading\",\"status\":\"pending\",\"started_at\":null,\"finished_at\":null,\"duration_s\":null,\"substatus\":null,\"error\":null},"
  "{\"name\":\"training\",\"status\":\"pending\",\"started_at\":null,\"finished_at\":null,\"duration_s\":null,\"substatus\":null,\"error\":null},"
  "{\"name\":\"finalization\",\"status\":\"pending\",\"started_at\":null,\"finished_at\":null,\"duration_s\":null,\"substatus\":null,\"error\":null}]";

/* A failed job (its error and its stages' texts show on its page), a
 * training one and a queued one, as lora-jobd writes them. */
static char *
job_json (gint64      id,
          const char *status)
{
  gboolean failed = g_str_equal (status, "failed");
  gboolean queued = g_str_equal (status, "queued");

  return g_strdup_printf ("{\"id\":%" G_GINT64_FORMAT ",\"name\":\"Support Bot %" G_GINT64_FORMAT "\","
                          "\"status\":\"%s\",\"created_by\":\"mallory\",\"cancelled_by\":null,"
                          "\"created_at\":\"2026-01-01T00:00:00Z\",\"started_at\":%s,\"finished_at\":%s,"
                          "\"progress\":42.5,\"current_step\":850,\"total_steps\":2000,\"epoch\":2,\"total_epochs\":3,"
                          "\"stage\":%s,\"stages\":%s,"
                          "\"elapsed_s\":3600,\"remaining_s\":%s,\"gpu_type\":\"H100 SXM 80GB\",\"pricing\":\"spot\","
                          "\"hourly_rate\":2.49,\"cost\":2.49,\"projected_cost\":5.99,\"estimate_min\":45.0,\"estimate_max\":55.0,"
                          "\"error\":%s,\"cancel_reason\":null,\"queue_position\":%s,"
                          "\"provider\":\"external\",\"preset\":\"balanced\",\"config\":{\"seed\":7,\"note\":\"lr 2e-4\"}}",
                          id, id, status,
                          queued ? "null" : "\"2026-01-01T00:01:00Z\"",
                          failed ? "\"2026-01-01T01:00:00Z\"" : "null",
                          failed || queued ? "null" : "\"training\"",
                          queued ? pending_stages_json : stages_json,
                          failed ? "0" : "4000",
                          failed ? "\"CUDA out of memory at step 850\"" : "null",
                          queued ? "1" : "null");
}

static const char metrics_json[] =
  "{\"job_id\":1,\"series\":{"
  "\"train_loss\":{\"step\":[10,20,30,40,850],\"value\":[1.75,1.5,null,1.2,0.342]},"
  "\"val_loss\":{\"step\":[20,800],\"value\":[1.6,0.358]},"
  "\"learning_rate\":{\"step\":[10,850],\"value\":[0.0002,0.00015]},"
  "\"gpu_util\":{\"step\":[10,850],\"value\":[91,95.5]}},"
  "\"latest\":{\"step\":850,\"epoch\":1.245,\"ts\":\"2026-01-01T01:00:00Z\",\"train_loss\":0.342,"
  "\"prev_train_loss\":1.2,\"val_loss\":0.358,\"prev_val_loss\":1.6,\"learning_rate\":0.00015,\"gpu_util\":95.5}}";

static const char events_json[] =
  "[{\"id\":4,\"ts\":\"2026-01-01T01:00:00Z\",\"type\":\"error\",\"message\":\"Job failed at step 850. Final cost: $2.49\","
  "\"payload\":{\"status\":\"failed\",\"source\":\"service\",\"final_cost\":2.49,\"error\":\"CUDA out of memory\"}},"
  "{\"id\":3,\"ts\":\"2026-01-01T00:59:00Z\",\"type\":\"warning\",\"message\":\"GPU memory at 98%\","
  "\"payload\":{\"event_id\":\"w1\",\"type\":\"warning\",\"message\":\"GPU memory at 98%\",\"data\":{}}},"
  "{\"id\":2,\"ts\":\"2026-01-01T00:30:00Z\",\"type\":\"metrics\",\"message\":\"Step 850: loss 0.342\","
  "\"payload\":{\"event_id\":\"m850\",\"type\":\"metrics\",\"data\":{\"step\":850,\"epoch\":1.245,\"train_loss\":0.342}}},"
  "{\"id\":1,\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"status\",\"message\":\"Job queued at position 1\","
  "\"payload\":{\"status\":\"queued\",\"source\":\"service\",\"created_by\":\"mallory\",\"position\":1}}]";

char *
hostile_document (HostileRoute route)
{
  g_autofree char *failed = job_json (1, "failed");
  g_autofree char *training = job_json (2, "training");
  g_autofree char *queued = job_json (3, "queued");

  switch (route)
    {
    case HOSTILE_ROUTE_ME:
      return g_strdup ("{\"user\":\"tester\"}");
    case HOSTILE_ROUTE_LIST:
      return g_strdup_printf ("{\"jobs\":[%s,%s,%s],\"total\":3,\"page\":1,\"per_page\":25,"
                              "\"counts\":{\"queued\":1,\"provisioning\":0,\"training\":1,\"cancelling\":0,"
                              "\"completed\":0,\"failed\":1,\"cancelled\":0,\"active\":1,\"all\":3}}",
                              failed, training, queued);
    case HOSTILE_ROUTE_JOB:
      return g_steal_pointer (&failed);
    case HOSTILE_ROUTE_METRICS:
      return g_strdup (metrics_json);
    case HOSTILE_ROUTE_EVENTS:
      return g_strdup_printf ("{\"events\":%s,\"total\":4,\"page\":1,\"per_page\":50}", events_json);
    case HOSTILE_ROUTE_EXPORT:
      return g_strdup_printf ("{\"job\":%s,\"events\":%s}", failed, events_json);
    case HOSTILE_ROUTE_QUEUE:
      return g_strdup_printf ("{\"slots\":{\"max\":2,\"used\":1,\"running\":"
                              "[{\"id\":2,\"name\":\"Support Bot 2\",\"status\":\"training\",\"progress\":42.5}]},"
                              "\"queued\":[{\"position\":1,\"job\":%s,\"estimated_start\":\"2026-01-01T02:00:00Z\","
                              "\"starts_in_s\":600}]}",
                              queued);
    case HOSTILE_ROUTE_ALL:
    default:
      g_return_val_if_reached (NULL);
    }
}

/* Members whose strings are free text rather than one of a set of words. */
static gboolean
is_text_member (const char *member)
{
  static const char * const text[] = {
    "name", "created_by", "cancelled_by", "error", "cancel_reason", "substatus",
    "message", "gpu_type", "provider", "user", "note", "reason",
  };

  if (member == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (text); i++)
    if (g_str_equal (member, text[i]))
      return TRUE;
  return FALSE;
}

/* A stage's name is a word of a set, although its member is "name". */
static gboolean
is_stage_name (JsonNode *node)
{
  static const char * const names[] = { "preprocessing", "model_loading", "training", "finalization" };
  const char *text = json_node_get_string (node);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (text, names[i]) == 0)
      return TRUE;
  return FALSE;
}

static JsonNode *spoil_node (JsonNode    *node,
                             const char  *member,
                             HostileCase  which,
                             guint        depth);

static void
spoil_object (JsonObject  *object,
              HostileCase  which,
              guint        depth)
{
  g_autoptr(GList) members = json_object_get_members (object);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  /* Setting a member may free its key: the names are copied first. */
  for (GList *l = members; l != NULL; l = l->next)
    g_ptr_array_add (names, g_strdup (l->data));

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      JsonNode *child = json_object_get_member (object, name);
      JsonNode *spoiled = spoil_node (child, name, which, depth + 1);

      if (spoiled != child)
        json_object_set_member (object, name, spoiled);
    }
}

static JsonNode *
spoil_node (JsonNode    *node,
            const char  *member,
            HostileCase  which,
            guint        depth)
{
  GType type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
  JsonNode *out;

  switch (which)
    {
    case HOSTILE_STRINGS_FOR_NUMBERS:
      if (type == G_TYPE_INT64 || type == G_TYPE_DOUBLE)
        {
          out = json_node_new (JSON_NODE_VALUE);
          json_node_set_string (out, type == G_TYPE_DOUBLE ? "NaN" : "12");
          return out;
        }
      break;

    case HOSTILE_NUMBERS_FOR_STRINGS:
      if (type == G_TYPE_STRING)
        {
          out = json_node_new (JSON_NODE_VALUE);
          json_node_set_int (out, 12345);
          return out;
        }
      break;

    case HOSTILE_ARRAYS_FOR_OBJECTS:
      if (depth > 0 && JSON_NODE_HOLDS_OBJECT (node))
        return json_node_init_array (json_node_alloc (), json_array_new ());
      break;

    case HOSTILE_OBJECTS_FOR_ARRAYS:
      if (JSON_NODE_HOLDS_ARRAY (node))
        return json_node_init_object (json_node_alloc (), json_object_new ());
      break;

    case HOSTILE_NULLS:
      if (depth > 0)
        return json_node_init_null (json_node_alloc ());
      break;

    case HOSTILE_HUGE_NUMBERS:
    case HOSTILE_NEGATIVE_NUMBERS:
      /* Placeholders, written out as numbers afterwards: json-glib writes
       * 1e308 as 1e+308, which its own reader refuses. */
      if (type == G_TYPE_INT64 || type == G_TYPE_DOUBLE)
        {
          out = json_node_new (JSON_NODE_VALUE);
          json_node_set_string (out, type == G_TYPE_INT64 ? INT_PLACEHOLDER : DOUBLE_PLACEHOLDER);
          return out;
        }
      break;

    case HOSTILE_MARKUP:
      if ((type == G_TYPE_STRING || JSON_NODE_HOLDS_NULL (node)) && is_text_member (member) &&
          !(type == G_TYPE_STRING && is_stage_name (node)))
        {
          out = json_node_new (JSON_NODE_VALUE);
          json_node_set_string (out, HOSTILE_MARKUP_TEXT);
          return out;
        }
      break;

    default:
      break;
    }

  if (JSON_NODE_HOLDS_OBJECT (node))
    spoil_object (json_node_get_object (node), which, depth);
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      JsonArray *rebuilt = json_array_sized_new (json_array_get_length (array));

      /* json-glib cannot replace an element in place: the array is rebuilt. */
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *child = json_array_get_element (array, i);
          JsonNode *spoiled = spoil_node (child, member, which, depth + 1);

          json_array_add_element (rebuilt, spoiled == child ? json_node_ref (child) : spoiled);
        }
      json_node_take_array (node, rebuilt);
    }

  return node;
}

static char *
insert_after_brace (const char *document,
                    const char *member)
{
  g_assert (document[0] == '{');
  return g_strconcat ("{", member, ",", document + 1, NULL);
}

/* Replaces the first occurrence of @from with @to. */
static char *
replace_first (const char *text,
               const char *from,
               const char *to)
{
  const char *at = strstr (text, from);

  if (at == NULL)
    return g_strdup (text);

  return g_strdup_printf ("%.*s%s%s", (int) (at - text), text, to, at + strlen (from));
}

/**
 * hostile_spoil:
 * @document: a valid answer
 * @which: how to spoil it
 * @length: (out): the length of the answer, which may hold NUL bytes
 *
 * Returns: the answer's body; %NULL for the streamed and error cases
 */
char *
hostile_spoil (const char  *document,
               HostileCase  which,
               gsize       *length)
{
  char *out = NULL;

  switch (which)
    {
    case HOSTILE_NORMAL:
      out = g_strdup (document);
      break;

    case HOSTILE_GARBAGE:
      out = g_strdup ("this is not JSON <b>at all</b> & {\"but\": [almost");
      break;

    case HOSTILE_TRUNCATED:
      out = g_strndup (document, strlen (document) / 2);
      break;

    case HOSTILE_EMPTY:
      out = g_strdup ("");
      break;

    case HOSTILE_BIG_VALID:
      {
        g_autofree char *padding = g_malloc (BIG_VALID_PADDING + 1);
        g_autofree char *member = NULL;

        memset (padding, 'x', BIG_VALID_PADDING);
        padding[BIG_VALID_PADDING] = '\0';
        member = g_strdup_printf ("\"padding\":\"%s\"", padding);
        out = insert_after_brace (document, member);
      }
      break;

    case HOSTILE_STRINGS_FOR_NUMBERS:
    case HOSTILE_ARRAYS_FOR_OBJECTS:
    case HOSTILE_OBJECTS_FOR_ARRAYS:
    case HOSTILE_NULLS:
    case HOSTILE_NUMBERS_FOR_STRINGS:
    case HOSTILE_HUGE_NUMBERS:
    case HOSTILE_NEGATIVE_NUMBERS:
    case HOSTILE_MARKUP:
      {
        g_autoptr(JsonParser) parser = json_parser_new ();
        g_autoptr(JsonGenerator) generator = json_generator_new ();
        JsonNode *root;

        g_autofree char *text = NULL;
        g_auto(GStrv) ints = NULL;
        g_autofree char *joined = NULL;
        g_auto(GStrv) doubles = NULL;
        gboolean huge = which == HOSTILE_HUGE_NUMBERS;

        g_assert_true (json_parser_load_from_data (parser, document, -1, NULL));
        root = spoil_node (json_parser_get_root (parser), NULL, which, 0);
        json_generator_set_root (generator, root);
        text = json_generator_to_data (generator, NULL);

        ints = g_strsplit (text, "\"" INT_PLACEHOLDER "\"", -1);
        joined = g_strjoinv (huge ? "9223372036854775807" : "-1", ints);
        doubles = g_strsplit (joined, "\"" DOUBLE_PLACEHOLDER "\"", -1);
        out = g_strjoinv (huge ? "1e308" : "-1e308", doubles);
      }
      break;

    case HOSTILE_RAW_NUMBERS:
      {
        g_autofree char *a = replace_first (document, "\"total_steps\":2000", "\"total_steps\":99999999999999999999");
        g_autofree char *b = replace_first (a, "\"progress\":42.5", "\"progress\":1e999");
        g_autofree char *c = replace_first (b, "\"current_step\":850", "\"current_step\":-0");
        g_autofree char *d = replace_first (c, "\"hourly_rate\":2.49", "\"hourly_rate\":5e-324");
        g_autofree char *e = replace_first (d, "\"step\":[10,", "\"step\":[-99999999999999999999,");
        g_autofree char *f = replace_first (e, "\"total\":", "\"total\":1e400,\"x\":");

        out = g_steal_pointer (&f);
      }
      break;

    case HOSTILE_DEEP:
    case HOSTILE_DEEP_OK:
      {
        guint levels = which == HOSTILE_DEEP ? 100000 : 40;
        GString *member = g_string_new ("\"deep\":");

        for (guint i = 0; i < levels; i++)
          g_string_append_c (member, '[');
        for (guint i = 0; i < levels; i++)
          g_string_append_c (member, ']');
        out = insert_after_brace (document, member->str);
        g_string_free (member, TRUE);
      }
      break;

    case HOSTILE_INVALID_UTF8:
      out = replace_first (document, "\"name\":\"", "\"name\":\"\xff\xfe\xc0\xaf ");
      if (g_str_equal (out, document))
        {
          g_free (out);
          out = insert_after_brace (document, "\"bad\":\"\xff\xfe\"");
        }
      break;

    case HOSTILE_LONE_SURROGATE:
      /* json-glib refuses it with an error that quotes the bytes it made of
       * it, which are not UTF-8. (A lone high surrogate, "\ud800", it lets
       * through as invalid UTF-8: that is for a strict reader to refuse.) */
      out = insert_after_brace (document, "\"lone\":\"\\udc00\"");
      break;

    case HOSTILE_HTML_500:
    case HOSTILE_HTML_502:
      out = g_strdup ("<!DOCTYPE html><html><head><title>Error</title></head>"
                      "<body><h1>Internal Server Error</h1><p>nginx & <b>friends</b></p></body></html>");
      break;

    case HOSTILE_MARKUP_500:
      out = g_strdup ("{\"error\":{\"code\":\"internal\",\"message\":\"<b>bold</b> & <span foreground=\\\"red\\\">\"}}");
      break;

    case HOSTILE_HUGE_DECLARED:
    case HOSTILE_HUGE_CHUNKED:
    case HOSTILE_HUGE_ERROR:
    case HOSTILE_N_CASES:
    default:
      *length = 0;
      return NULL;
    }

  *length = strlen (out);
  return out;
}

/* Streaming */

typedef struct
{
  HostileService *self;
  guint64         total;
  guint64         sent;
  GBytes         *chunk;
} Stream;

static void
stream_free (Stream *stream)
{
  g_bytes_unref (stream->chunk);
  g_free (stream);
}

static void
stream_next (SoupServerMessage *msg,
             Stream            *stream)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  guint64 n = MIN ((guint64) STREAM_CHUNK, stream->total - stream->sent);

  if (n == 0)
    {
      soup_message_body_complete (body);
      return;
    }

  if (n == STREAM_CHUNK)
    soup_message_body_append_bytes (body, stream->chunk);
  else
    {
      g_autoptr(GBytes) part = g_bytes_new_from_bytes (stream->chunk, 0, n);

      soup_message_body_append_bytes (body, part);
    }
  stream->sent += n;

  /* Counted as it goes: the client may be done long before the stream. */
  g_mutex_lock (&stream->self->lock);
  stream->self->max_streamed = MAX (stream->self->max_streamed, stream->sent);
  g_mutex_unlock (&stream->self->lock);
}

static void
stream_finished (SoupServerMessage *msg,
                 Stream            *stream)
{
  HostileService *self = stream->self;

  g_mutex_lock (&self->lock);
  self->max_streamed = MAX (self->max_streamed, stream->sent);
  self->n_streams_done++;
  g_mutex_unlock (&self->lock);
}

static void
start_stream (HostileService    *self,
              SoupServerMessage *msg,
              guint              status,
              guint64            total,
              gboolean           chunked)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  Stream *stream = g_new0 (Stream, 1);
  char *filler = g_malloc (STREAM_CHUNK);

  /* Valid JSON as far as it goes: an object whose one string never ends. */
  memset (filler, 'x', STREAM_CHUNK);
  memcpy (filler, "{\"jobs\":\"", 9);
  stream->self = self;
  stream->total = total;
  stream->chunk = g_bytes_new_take (filler, STREAM_CHUNK);

  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (headers, "Content-Type", "application/json");
  if (chunked)
    soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  else
    soup_message_headers_set_content_length (headers, (goffset) total);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);

  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (stream_next), stream);
  g_signal_connect_data (msg, "finished", G_CALLBACK (stream_finished), stream,
                         (GClosureNotify) (void (*) (void)) stream_free, 0);
  stream_next (msg, stream);
}

/* Serving */

static HostileRoute
route_of (const char *path)
{
  const char *rest;

  if (g_str_equal (path, "/api/me"))
    return HOSTILE_ROUTE_ME;
  if (g_str_equal (path, "/api/training/queue"))
    return HOSTILE_ROUTE_QUEUE;
  if (g_str_equal (path, "/api/training/jobs"))
    return HOSTILE_ROUTE_LIST;
  if (!g_str_has_prefix (path, "/api/training/jobs/"))
    return 0;

  rest = strchr (path + strlen ("/api/training/jobs/"), '/');
  if (rest == NULL)
    return HOSTILE_ROUTE_JOB;
  if (g_str_equal (rest, "/metrics"))
    return HOSTILE_ROUTE_METRICS;
  if (g_str_equal (rest, "/events"))
    return HOSTILE_ROUTE_EVENTS;
  if (g_str_equal (rest, "/events/export"))
    return HOSTILE_ROUTE_EXPORT;
  return 0;
}

static void
handle (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  HostileService *self = user_data;
  HostileRoute route = route_of (path);
  HostileCase which;
  g_autofree char *document = NULL;
  g_autofree char *body = NULL;
  const char *content_type = "application/json";
  guint status = SOUP_STATUS_OK;
  gsize length = 0;

  g_mutex_lock (&self->lock);
  which = (self->routes & route) != 0 ? self->which : HOSTILE_NORMAL;
  g_mutex_unlock (&self->lock);

  /* The window lists jobs for three tabs; only the first one shown, All,
   * is spoiled, which spares reading 32 MiB twice more. */
  if (route == HOSTILE_ROUTE_LIST && query != NULL &&
      g_strcmp0 (g_hash_table_lookup (query, "status"), "all") != 0)
    which = HOSTILE_NORMAL;

  if (g_str_equal (path, "/api/health"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                        "{\"status\":\"ok\"}", strlen ("{\"status\":\"ok\"}"));
      return;
    }

  if (route == 0)
    {
      const char *missing = "{\"error\":{\"code\":\"not_found\",\"message\":\"No such route\"}}";

      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, missing, strlen (missing));
      return;
    }

  switch (which)
    {
    case HOSTILE_HUGE_DECLARED:
    case HOSTILE_HUGE_CHUNKED:
      start_stream (self, msg, SOUP_STATUS_OK,
                    route == HOSTILE_ROUTE_EXPORT ? HUGE_EXPORT_BODY : HUGE_BODY,
                    which == HOSTILE_HUGE_CHUNKED);
      return;
    case HOSTILE_HUGE_ERROR:
      start_stream (self, msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, HUGE_BODY, TRUE);
      return;
    case HOSTILE_HTML_500:
      status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
      content_type = "text/html";
      break;
    case HOSTILE_HTML_502:
      status = SOUP_STATUS_BAD_GATEWAY;
      content_type = "text/html";
      break;
    case HOSTILE_MARKUP_500:
      status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
      break;
    default:
      break;
    }

  document = hostile_document (route);
  body = hostile_spoil (document, which, &length);
  soup_server_message_set_status (msg, status, NULL);
  if (route == HOSTILE_ROUTE_EXPORT && status == SOUP_STATUS_OK)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Content-Disposition", "attachment; filename=\"job-events.json\"");
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_TAKE, g_steal_pointer (&body), length);
}

static gboolean
quit_cb (gpointer data)
{
  HostileService *self = data;

  g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

static gpointer
server_thread (gpointer data)
{
  HostileService *self = data;
  g_autoptr(GError) error = NULL;
  GSList *uris;
  g_autofree char *url = NULL;

  g_main_context_push_thread_default (self->context);

  self->server = soup_server_new ("server-header", "hostile/1", NULL);
  soup_server_add_handler (self->server, NULL, handle, self, NULL);
  soup_server_listen_local (self->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (self->server);
  url = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_mutex_lock (&self->lock);
  /* No trailing slash: the client appends "/api/...". */
  if (g_str_has_suffix (url, "/"))
    url[strlen (url) - 1] = '\0';
  self->url = g_steal_pointer (&url);
  g_cond_signal (&self->ready);
  g_mutex_unlock (&self->lock);

  g_main_loop_run (self->loop);

  soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

HostileService *
hostile_service_new (void)
{
  HostileService *self = g_new0 (HostileService, 1);

  g_mutex_init (&self->lock);
  g_cond_init (&self->ready);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->routes = HOSTILE_ROUTE_ALL;

  self->thread = g_thread_new ("hostile-service", server_thread, self);

  g_mutex_lock (&self->lock);
  while (self->url == NULL)
    g_cond_wait (&self->ready, &self->lock);
  g_mutex_unlock (&self->lock);

  return self;
}

void
hostile_service_free (HostileService *self)
{
  GSource *source = g_idle_source_new ();

  g_source_set_callback (source, quit_cb, self, NULL);
  g_source_attach (source, self->context);
  g_source_unref (source);
  g_thread_join (self->thread);

  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->ready);
  g_free (self->url);
  g_free (self);
}

const char *
hostile_service_get_url (HostileService *self)
{
  return self->url;
}

void
hostile_service_set_case (HostileService *self,
                          HostileCase     which,
                          HostileRoute    routes)
{
  g_mutex_lock (&self->lock);
  self->which = which;
  self->routes = routes;
  g_mutex_unlock (&self->lock);
}

guint64
hostile_service_get_max_streamed (HostileService *self)
{
  guint64 max;

  g_mutex_lock (&self->lock);
  max = self->max_streamed;
  g_mutex_unlock (&self->lock);
  return max;
}

void
hostile_service_reset_max_streamed (HostileService *self)
{
  g_mutex_lock (&self->lock);
  self->max_streamed = 0;
  self->n_streams_done = 0;
  g_mutex_unlock (&self->lock);
}

guint
hostile_service_get_n_streams_done (HostileService *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->n_streams_done;
  g_mutex_unlock (&self->lock);
  return n;
}
