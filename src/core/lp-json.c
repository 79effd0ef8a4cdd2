/* lp-json.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include <glib/gi18n-lib.h>

#include "lp-json.h"
#include "lp-types.h"

G_DEFINE_QUARK (lp-json-error-quark, lp_json_error)

JsonObject *
lp_json_parse_object (const char  *data,
                      gsize        length,
                      GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  if (data == NULL || length == 0)
    {
      g_set_error_literal (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID,
                           _("The body is empty; a JSON object was expected"));
      return NULL;
    }

  if (!g_utf8_validate (data, length, NULL))
    {
      g_set_error_literal (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID,
                           _("The body is not valid UTF-8"));
      return NULL;
    }

  if (!json_parser_load_from_data (parser, data, length, &local_error))
    {
      g_set_error (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID,
                   _("The body is not valid JSON: %s"), local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID,
                           _("The body must be a JSON object"));
      return NULL;
    }

  return json_object_ref (json_node_get_object (root));
}

/* Returns the member's node, NULL when absent or null. */
static JsonNode *
get_member (JsonObject  *object,
            const char  *member,
            gboolean     required,
            gboolean    *ok,
            GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  *ok = TRUE;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (required)
        {
          g_set_error (error, LP_JSON_ERROR, LP_JSON_ERROR_MISSING,
                       _("“%s” is required"), member);
          *ok = FALSE;
        }
      return NULL;
    }

  return node;
}

static gboolean
type_error (GError     **error,
            const char  *member,
            const char  *expected)
{
  g_set_error (error, LP_JSON_ERROR, LP_JSON_ERROR_TYPE,
               /* Translators: the second %s is a JSON type such as “a string” */
               _("“%s” must be %s"), member, expected);
  return FALSE;
}

gboolean
lp_json_get_string (JsonObject   *object,
                    const char   *member,
                    gboolean      required,
                    const char  **value,
                    GError      **error)
{
  gboolean ok;
  JsonNode *node = get_member (object, member, required, &ok, error);

  if (node == NULL)
    return ok;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return type_error (error, member, _("a string"));

  *value = json_node_get_string (node);
  return TRUE;
}

gboolean
lp_json_get_int (JsonObject  *object,
                 const char  *member,
                 gboolean     required,
                 gint64      *value,
                 GError     **error)
{
  gboolean ok;
  JsonNode *node = get_member (object, member, required, &ok, error);
  GType type;

  if (node == NULL)
    return ok;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return type_error (error, member, _("an integer"));

  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    {
      *value = json_node_get_int (node);
      return TRUE;
    }

  /* 2000.0 is an integer to a Python or JavaScript client; 2000.5 is not. */
  if (type == G_TYPE_DOUBLE)
    {
      double d = json_node_get_double (node);

      if (isfinite (d) && d == floor (d) && fabs (d) < 9.0e15)
        {
          *value = (gint64) d;
          return TRUE;
        }
    }

  return type_error (error, member, _("an integer"));
}

gboolean
lp_json_get_double (JsonObject  *object,
                    const char  *member,
                    gboolean     required,
                    double      *value,
                    GError     **error)
{
  gboolean ok;
  JsonNode *node = get_member (object, member, required, &ok, error);
  GType type;

  if (node == NULL)
    return ok;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return type_error (error, member, _("a number"));

  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    *value = (double) json_node_get_int (node);
  else if (type == G_TYPE_DOUBLE)
    *value = json_node_get_double (node);
  else
    return type_error (error, member, _("a number"));

  if (!isfinite (*value))
    return type_error (error, member, _("a finite number"));

  return TRUE;
}

gboolean
lp_json_get_bool (JsonObject  *object,
                  const char  *member,
                  gboolean     required,
                  gboolean    *value,
                  GError     **error)
{
  gboolean ok;
  JsonNode *node = get_member (object, member, required, &ok, error);

  if (node == NULL)
    return ok;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return type_error (error, member, _("true or false"));

  *value = json_node_get_boolean (node);
  return TRUE;
}

gboolean
lp_json_get_time (JsonObject  *object,
                  const char  *member,
                  gboolean     required,
                  gint64      *usec,
                  GError     **error)
{
  const char *str = NULL;

  if (!lp_json_get_string (object, member, required, &str, error))
    return FALSE;

  if (str == NULL)
    return TRUE;

  if (!lp_usec_from_iso8601 (str, usec))
    return type_error (error, member, _("an ISO 8601 date and time"));

  return TRUE;
}

gboolean
lp_json_get_object (JsonObject  *object,
                    const char  *member,
                    gboolean     required,
                    JsonObject **value,
                    GError     **error)
{
  gboolean ok;
  JsonNode *node = get_member (object, member, required, &ok, error);

  if (node == NULL)
    return ok;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return type_error (error, member, _("an object"));

  *value = json_node_get_object (node);
  return TRUE;
}

gboolean
lp_json_get_array (JsonObject  *object,
                   const char  *member,
                   gboolean     required,
                   JsonArray  **value,
                   GError     **error)
{
  gboolean ok;
  JsonNode *node = get_member (object, member, required, &ok, error);

  if (node == NULL)
    return ok;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return type_error (error, member, _("an array"));

  *value = json_node_get_array (node);
  return TRUE;
}

void
lp_json_add_time (JsonBuilder *builder,
                  const char  *member,
                  gint64       usec)
{
  g_autofree char *str = NULL;

  json_builder_set_member_name (builder, member);

  if (usec == 0 || !(str = lp_iso8601_from_usec (usec)))
    json_builder_add_null_value (builder);
  else
    json_builder_add_string_value (builder, str);
}

void
lp_json_add_string_or_null (JsonBuilder *builder,
                            const char  *member,
                            const char  *value)
{
  json_builder_set_member_name (builder, member);

  if (value == NULL)
    json_builder_add_null_value (builder);
  else
    json_builder_add_string_value (builder, value);
}

char *
lp_json_to_string (JsonNode *node,
                   gboolean  pretty)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_pretty (generator, pretty);
  json_generator_set_root (generator, node);

  return json_generator_to_data (generator, NULL);
}

char *
lp_json_builder_to_string (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);

  return lp_json_to_string (root, FALSE);
}

/* Reads the service's {"error": {"code", "message"}} body; FALSE when the
 * body is something else (a proxy's HTML page, say). */
gboolean
lp_json_parse_api_error (const char  *data,
                         gsize        length,
                         char       **code,
                         char       **message)
{
  g_autoptr(JsonObject) root = lp_json_parse_object (data, length, NULL);
  JsonObject *error = NULL;
  const char *c = NULL, *m = NULL;

  if (root == NULL ||
      !lp_json_get_object (root, "error", TRUE, &error, NULL) ||
      !lp_json_get_string (error, "code", TRUE, &c, NULL) ||
      !lp_json_get_string (error, "message", TRUE, &m, NULL))
    return FALSE;

  if (code != NULL)
    *code = g_strdup (c);
  if (message != NULL)
    *message = g_strdup (m);

  return TRUE;
}
