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

/* Deeper documents are refused before parsing; no API object nests more
 * than a handful of levels. */
#define LP_JSON_MAX_DEPTH 64

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
gboolean    lp_json_get_double       (JsonObject   *object,
                                      const char   *member,
                                      gboolean      required,
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
