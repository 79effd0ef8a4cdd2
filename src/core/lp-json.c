/* lp-json.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "lp-json.h"
#include "lp-types.h"

G_DEFINE_QUARK (lp-json-error-quark, lp_json_error)

/* json-glib parses recursively with no limit, so a few hundred kilobytes
 * of brackets would exhaust the stack; the depth is checked first. */
static guint
nesting_depth (const char *data,
               gsize       length)
{
  guint depth = 0, deepest = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }

      switch (c)
        {
        case '"':
          in_string = TRUE;
          break;
        case '[':
        case '{':
          depth++;
          deepest = MAX (deepest, depth);
          if (deepest > LP_JSON_MAX_DEPTH)
            return deepest;
          break;
        case ']':
        case '}':
          if (depth > 0)
            depth--;
          break;
        default:
          break;
        }
    }

  return deepest;
}

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

  if (nesting_depth (data, length) > LP_JSON_MAX_DEPTH)
    {
      g_set_error (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID,
                   _("The body nests arrays and objects more than %d deep"), LP_JSON_MAX_DEPTH);
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

static void
write_string (GString    *out,
              const char *str)
{
  g_string_append_c (out, '"');

  for (const char *p = str; *p; p++)
    {
      guchar c = (guchar) *p;

      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        default:
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, (char) c);
        }
    }

  g_string_append_c (out, '"');
}

/* The shortest text that reads back as the same double: 0.07 stays
 * "0.07" instead of json-glib's "0.070000000000000007". */
static void
write_double (GString *out,
              double   value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    {
      g_string_append (out, "null");
      return;
    }

  for (int precision = 15; precision <= 17; precision++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", precision);
      g_ascii_formatd (buf, sizeof buf, format, value);
      if (g_ascii_strtod (buf, NULL) == value)
        break;
    }

  g_string_append (out, buf);

  /* Keep integral doubles recognisable as numbers with a fraction, as
   * json-glib does, so typed readers keep their type. */
  if (strpbrk (buf, ".eEn") == NULL)
    g_string_append (out, ".0");
}

static void
write_indent (GString *out,
              int      depth)
{
  g_string_append_c (out, '\n');
  for (int i = 0; i < depth; i++)
    g_string_append (out, "  ");
}

static void
write_node (GString  *out,
            JsonNode *node,
            gboolean  pretty,
            int       depth)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        g_autoptr(GList) members = json_object_get_members (object);
        gboolean first = TRUE;

        g_string_append_c (out, '{');
        for (const GList *l = members; l; l = l->next)
          {
            if (!first)
              g_string_append_c (out, ',');
            first = FALSE;
            if (pretty)
              write_indent (out, depth + 1);
            write_string (out, l->data);
            g_string_append (out, pretty ? " : " : ":");
            write_node (out, json_object_get_member (object, l->data), pretty, depth + 1);
          }
        if (pretty && members != NULL)
          write_indent (out, depth);
        g_string_append_c (out, '}');
      }
      break;

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            if (pretty)
              write_indent (out, depth + 1);
            write_node (out, json_array_get_element (array, i), pretty, depth + 1);
          }
        if (pretty && n > 0)
          write_indent (out, depth);
        g_string_append_c (out, ']');
      }
      break;

    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_INT64:
          g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
          break;
        case G_TYPE_DOUBLE:
          write_double (out, json_node_get_double (node));
          break;
        case G_TYPE_BOOLEAN:
          g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
          break;
        case G_TYPE_STRING:
          write_string (out, json_node_get_string (node));
          break;
        default:
          g_string_append (out, "null");
          break;
        }
      break;

    case JSON_NODE_NULL:
    default:
      g_string_append (out, "null");
      break;
    }
}

/* Every document the service sends, and every file the app writes, goes
 * through this writer rather than JsonGenerator, for the numbers' sake. */
char *
lp_json_to_string (JsonNode *node,
                   gboolean  pretty)
{
  GString *out = g_string_sized_new (256);

  write_node (out, node, pretty, 0);
  return g_string_free (out, FALSE);
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
