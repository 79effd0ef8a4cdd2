/* lp-json.h: strict readers for JSON members
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Both sides read untrusted JSON (the service reads requests and webhook
 * events, the app reads whatever answers at the configured URL), so every
 * member is read through these helpers, which say precisely what is wrong.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define LP_JSON_ERROR (lp_json_error_quark ())

/* How deep arrays and objects may nest. The service serves what it stored
 * wrapped in more levels than it was sent in (a job's config is served in
 * the job, in a queue entry, in the queue's list, in the queue: 4 more
 * levels than the create body's), so it accepts requests of at most
 * LP_JSON_MAX_DEPTH_REQUEST levels and every reader of its answers accepts
 * LP_JSON_MAX_DEPTH_ANSWER: whatever the service stores, the app can read. */
#define LP_JSON_MAX_DEPTH_REQUEST 32
#define LP_JSON_MAX_DEPTH_ANSWER  64
#define LP_JSON_MAX_DEPTH         LP_JSON_MAX_DEPTH_ANSWER

/* The most levels an answer wraps around what a request stored: a create
 * body's config is one level below its root and served four below the
 * queue's; a webhook event is stored as sent and served three below an
 * events page's root. */
#define LP_JSON_SERVED_EXTRA_DEPTH 3

G_STATIC_ASSERT (LP_JSON_MAX_DEPTH_REQUEST + LP_JSON_SERVED_EXTRA_DEPTH <= LP_JSON_MAX_DEPTH_ANSWER);

typedef enum {
  LP_JSON_ERROR_INVALID,  /* the document is not JSON or not the expected shape */
  LP_JSON_ERROR_MISSING,  /* a required member is absent */
  LP_JSON_ERROR_TYPE,     /* a member has the wrong type */
  LP_JSON_ERROR_RANGE,    /* a member is out of its allowed range */
} LpJsonError;

GQuark      lp_json_error_quark      (void);

JsonObject *lp_json_parse_object     (const char   *data,
                                      gsize         length,
                                      GError      **error);
JsonObject *lp_json_parse_object_full (const char  *data,
                                      gsize         length,
                                      guint         max_depth,
                                      GError      **error);
JsonNode   *lp_json_parse            (const char   *data,
                                      gsize         length,
                                      guint         max_depth,
                                      GError      **error);
/* Checks the syntax only, building nothing: for measurements and fuzzing.
 * Unlike lp_json_parse(), it does not notice a member name given twice. */
gboolean    lp_json_check            (const char   *data,
                                      gsize         length,
                                      guint         max_depth,
                                      GError      **error);

gboolean    lp_json_get_string       (JsonObject   *object,
                                      const char   *member,
                                      gboolean      required,
                                      const char  **value,
                                      GError      **error);
gboolean    lp_json_get_int          (JsonObject   *object,
                                      const char   *member,
                                      gboolean      required,
                                      gint64       *value,
                                      GError      **error);
gboolean    lp_json_get_int_range    (JsonObject   *object,
                                      const char   *member,
                                      gboolean      required,
                                      gint64        min,
                                      gint64        max,
                                      gint64       *value,
                                      GError      **error);
gboolean    lp_json_get_double       (JsonObject   *object,
                                      const char   *member,
                                      gboolean      required,
                                      double       *value,
                                      GError      **error);
gboolean    lp_json_get_double_range (JsonObject   *object,
                                      const char   *member,
                                      gboolean      required,
                                      double        min,
                                      double        max,
                                      double       *value,
                                      GError      **error);
gboolean    lp_json_get_bool         (JsonObject   *object,
                                      const char   *member,
                                      gboolean      required,
                                      gboolean     *value,
                                      GError      **error);
gboolean    lp_json_get_time         (JsonObject   *object,
                                      const char   *member,
                                      gboolean      required,
                                      gint64       *usec,
                                      GError      **error);
gboolean    lp_json_get_object       (JsonObject   *object,
                                      const char   *member,
                                      gboolean      required,
                                      JsonObject  **value,
                                      GError      **error);
gboolean    lp_json_get_array        (JsonObject   *object,
                                      const char   *member,
                                      gboolean      required,
                                      JsonArray   **value,
                                      GError      **error);

void        lp_json_add_time         (JsonBuilder  *builder,
                                      const char   *member,
                                      gint64        usec);
void        lp_json_add_string_or_null (JsonBuilder *builder,
                                      const char   *member,
                                      const char   *value);
char       *lp_json_to_string        (JsonNode     *node,
                                      gboolean      pretty);
char       *lp_json_builder_to_string (JsonBuilder *builder);
gboolean    lp_json_parse_api_error  (const char   *data,
                                      gsize         length,
                                      char        **code,
                                      char        **message);

G_END_DECLS
