/* test-json.c: the strict JSON reader and the typed member readers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every body the service and the app accept goes through lp-json.c, so
 * each rule of RFC 8259 it enforces has a refused example here, and each
 * thing it must keep accepting has an accepted one.
 */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#include "lp-json.h"
#include "lp-metrics.h"
#include "lp-page.h"
#include "lp-trainer-event.h"

typedef struct
{
  const char *what;
  const char *body;
  gsize       length;     /* 0: strlen (body) */
  const char *message;    /* a part of the error message */
} Refusal;

static const Refusal refusals[] = {
  { "empty", "", 0, "is empty" },
  { "only white space", " \n\t ", 0, "is empty" },
  { "not an object", "[1, 2]", 0, "must be a JSON object" },
  { "a string", "\"text\"", 0, "must be a JSON object" },
  { "hexadecimal", "{\"a\": 0x10}", 0, "hexadecimal" },
  { "octal", "{\"a\": 0100}", 0, "leading zeros" },
  { "leading zero", "{\"a\": -007}", 0, "leading zeros" },
  { "two objects", "{\"a\": 1}{\"b\": 2}", 0, "where the end of the body was expected" },
  { "trailing text", "{\"a\": 1} trailing", 0, "where the end of the body was expected" },
  { "single-quoted string", "{\"a\": 'x'}", 0, "single quotes" },
  { "single-quoted name", "{'a': 1}", 0, "single quotes" },
  { "byte order mark", "\xef\xbb\xbf{}", 0, "byte order mark" },
  { "bad escape", "{\"a\": \"\\q\"}", 0, "“\\q” is not an escape" },
  { "escaped apostrophe", "{\"a\": \"\\'\"}", 0, "is not an escape" },
  { "short \\u", "{\"a\": \"\\u12\"}", 0, "four hexadecimal digits" },
  { "raw tab", "{\"a\": \"x\ty\"}", 0, "U+0009" },
  { "raw newline", "{\"a\": \"x\ny\"}", 0, "must be escaped" },
  { "raw NUL", "{\"a\": \"x\0y\"}", 11, "U+0000" },
  { "block comment", "/* c */ {}", 0, "comments are not allowed" },
  { "line comment", "{} // c", 0, "comments are not allowed" },
  { "comment inside", "{\"a\": 1 /* c */}", 0, "comments are not allowed" },
  { "lone high surrogate", "{\"a\": \"\\ud800\"}", 0, "lone surrogate" },
  { "high surrogate, then a letter", "{\"a\": \"\\ud800\\u0041\"}", 0, "lone surrogate" },
  { "two high surrogates", "{\"a\": \"\\ud800\\ud800\"}", 0, "lone surrogate" },
  { "lone low surrogate", "{\"a\": \"\\udc00\"}", 0, "second half" },
  { "escaped NUL", "{\"a\": \"\\u0000\"}", 0, "NUL" },
  { "exponent overflow", "{\"a\": 1e400}", 0, "too large" },
  { "negative overflow", "{\"a\": -1.5E+309}", 0, "too large" },
  { "duplicate names", "{\"a\": 1, \"b\": 2, \"a\": 3}", 0, "“a” appears twice" },
  { "nested duplicate", "{\"a\": {\"x\": 1, \"x\": 1}}", 0, "appears twice" },
  { "NaN", "{\"a\": NaN}", 0, "NaN and Infinity" },
  { "Infinity", "{\"a\": Infinity}", 0, "NaN and Infinity" },
  { "minus Infinity", "{\"a\": -Infinity}", 0, "minus sign" },
  { "plus sign", "{\"a\": +1}", 0, "plus sign" },
  { "bare fraction", "{\"a\": .5}", 0, "start with a digit" },
  { "no digit after the point", "{\"a\": 1.}", 0, "decimal point" },
  { "empty exponent", "{\"a\": 1e}", 0, "exponent" },
  { "exponent sign only", "{\"a\": 1e+}", 0, "exponent" },
  { "lone minus", "{\"a\": -}", 0, "minus sign" },
  { "trailing comma in an array", "{\"a\": [1,]}", 0, "where a value was expected" },
  { "trailing comma in an object", "{\"a\": 1,}", 0, "another member" },
  { "misspelt literal", "{\"a\": tru}", 0, "where a value was expected" },
  { "capital literal", "{\"a\": True}", 0, "where a value was expected" },
  { "literal run on", "{\"a\": truex}", 0, "“,” or “}”" },
  { "missing colon", "{\"a\" 1}", 0, "“:”" },
  { "unquoted name", "{a: 1}", 0, "member name in double quotes" },
  { "unclosed string", "{\"a\": \"abc", 0, "not closed" },
  { "unclosed object", "{\"a\": 1", 0, "the body ends" },
  { "unclosed array", "{\"a\": [1, 2", 0, "the body ends" },
  { "missing value", "{\"a\":", 0, "the body ends where a value" },
  { "mismatched brackets", "{\"a\": [1}", 0, "“,” or “]”" },
  { "form feed is no white space", "{\"a\": 1}\f", 0, "U+000C" },
  { "vertical tab is no white space", "\v{}", 0, "U+000B" },
  { "no-break space is no white space", "\xc2\xa0{}", 0, "U+00A0" },
  { "Latin-1", "{\"name\": \"Caf\xe9\"}", 0, "not valid UTF-8" },
  { "overlong slash", "{\"a\": \"\xc0\xaf\"}", 0, "not valid UTF-8" },
  { "UTF-8 surrogate", "{\"a\": \"\xed\xa0\x80\"}", 0, "not valid UTF-8" },
  { "past U+10FFFF", "{\"a\": \"\xf4\x90\x80\x80\"}", 0, "not valid UTF-8" },
  { "cut sequence", "{\"a\": \"\xe2\x82\"}", 0, "not valid UTF-8" },
  { "stray continuation byte", "{\"a\": \"\x80\"}", 0, "not valid UTF-8" },
  { "invalid byte outside strings", "\xff\xfe{}", 0, "not valid UTF-8" },
  { "a number cut by the length", "{\"a\": 12}", 8, "the body ends" },
};

static void
test_refusals (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (refusals); i++)
    {
      const Refusal *r = &refusals[i];
      gsize length = r->length ? r->length : strlen (r->body);
      g_autoptr(GError) error = NULL;
      g_autoptr(GError) check_error = NULL;
      g_autoptr(JsonObject) object = NULL;

      g_test_message ("%s", r->what);
      object = lp_json_parse_object (r->body, length, &error);
      g_assert_null (object);
      g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID);
      if (strstr (error->message, r->message) == NULL)
        g_error ("%s: “%s” does not say “%s”", r->what, error->message, r->message);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));

      /* The syntax check agrees, but for what only a tree can tell. */
      if (strstr (r->message, "twice") == NULL && strstr (r->message, "object") == NULL)
        {
          g_assert_false (lp_json_check (r->body, length, LP_JSON_MAX_DEPTH_ANSWER, &check_error));
          g_assert_cmpstr (check_error->message, ==, error->message);
        }
    }

  /* No body at all, as an answer without one gives the app: refused
   * without arithmetic on the NULL pointer (UBSan watches). */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *code = NULL;
    g_autofree char *message = NULL;

    g_assert_null (lp_json_parse_object (NULL, 0, &error));
    g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID);
    g_clear_error (&error);
    g_assert_false (lp_json_check (NULL, 0, LP_JSON_MAX_DEPTH_ANSWER, &error));
    g_assert_false (lp_json_parse_api_error (NULL, 0, &code, &message));
  }
}

static void
test_error_position (void)
{
  const char body[] = "{\n  \"name\": \"Zoë\", \"n\": 0x1\n}";
  g_autoptr(GError) error = NULL;

  g_assert_null (lp_json_parse_object (body, strlen (body), &error));
  /* Columns count characters, not bytes: “ë” is one. */
  g_assert_nonnull (strstr (error->message, "(line 2, column 23, byte offset 25)"));
}

static JsonObject *
parse_ok (const char *body)
{
  g_autoptr(GError) error = NULL;
  JsonObject *object = lp_json_parse_object (body, strlen (body), &error);

  g_assert_no_error (error);
  g_assert_nonnull (object);
  g_assert_true (lp_json_check (body, strlen (body), LP_JSON_MAX_DEPTH_ANSWER, NULL));
  return object;
}

static void
test_strings (void)
{
  g_autoptr(JsonObject) object = parse_ok (
    "{\"pair\": \"\\ud83d\\ude00\", \"upper\": \"\\uD83D\\uDE00\", \"raw\": \"\xf0\x9f\x98\x80\","
    " \"escapes\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20AC\", \"utf8\": \"caf\xc3\xa9 \xe2\x82\xac \xef\xbf\xbf\","
    " \"\": \"an empty name\", \"del\": \"\x7f\"}");

  g_assert_cmpstr (json_object_get_string_member (object, "pair"), ==, "\xf0\x9f\x98\x80");
  g_assert_cmpstr (json_object_get_string_member (object, "upper"), ==, "\xf0\x9f\x98\x80");
  g_assert_cmpstr (json_object_get_string_member (object, "raw"), ==, "\xf0\x9f\x98\x80");
  g_assert_cmpstr (json_object_get_string_member (object, "escapes"), ==,
                   "\"\\/\b\f\n\r\t\xc3\xa9\xe2\x82\xac");
  g_assert_cmpstr (json_object_get_string_member (object, "utf8"), ==,
                   "caf\xc3\xa9 \xe2\x82\xac \xef\xbf\xbf");
  g_assert_cmpstr (json_object_get_string_member (object, ""), ==, "an empty name");
  g_assert_cmpstr (json_object_get_string_member (object, "del"), ==, "\x7f");
}

static void
test_white_space_and_literals (void)
{
  g_autoptr(JsonObject) object = parse_ok (" \t\r\n{ \"a\" : [ 1 , true , false , null ] ,\n\"b\":{}}\r\n ");
  JsonArray *array = json_object_get_array_member (object, "a");

  g_assert_cmpuint (json_array_get_length (array), ==, 4);
  g_assert_true (json_array_get_boolean_element (array, 1));
  g_assert_false (json_array_get_boolean_element (array, 2));
  g_assert_true (json_array_get_null_element (array, 3));
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (object, "b")), ==, 0);

  /* The reader goes by the length, not by a terminating NUL. */
  {
    const char body[] = "{\"a\": 12}GARBAGE";
    g_autoptr(JsonObject) cut = lp_json_parse_object (body, 9, NULL);

    g_assert_nonnull (cut);
    g_assert_cmpint (json_object_get_int_member (cut, "a"), ==, 12);
  }
}

static GType
value_type (JsonObject *object,
            const char *member)
{
  return json_node_get_value_type (json_object_get_member (object, member));
}

static void
test_numbers (void)
{
  g_autoptr(JsonObject) object = parse_ok (
    "{\"max\": 9223372036854775807, \"min\": -9223372036854775808,"
    " \"past_max\": 9223372036854775808, \"past_min\": -9223372036854775809,"
    " \"huge\": -99999999999999999999, \"zero\": -0, \"negative_zero\": -0.0,"
    " \"underflow\": 1e-400, \"exp\": 1E5, \"exp2\": 1.5e+3, \"small\": 2e-05,"
    " \"whole\": 2000.0, \"half\": 2000.5, \"big_whole\": 1e300, \"zero_int\": 0,"
    " \"long\": 123456789012345678901234567890.5}");
  g_autoptr(GError) error = NULL;
  gint64 i = 0;
  double d = 0;

  g_assert_cmpuint (value_type (object, "max"), ==, G_TYPE_INT64);
  g_assert_cmpint (json_object_get_int_member (object, "max"), ==, G_MAXINT64);
  g_assert_cmpuint (value_type (object, "min"), ==, G_TYPE_INT64);
  g_assert_cmpint (json_object_get_int_member (object, "min"), ==, G_MININT64);
  g_assert_cmpuint (value_type (object, "past_max"), ==, G_TYPE_DOUBLE);
  g_assert_cmpuint (value_type (object, "past_min"), ==, G_TYPE_DOUBLE);
  g_assert_cmpuint (value_type (object, "huge"), ==, G_TYPE_DOUBLE);
  g_assert_cmpfloat (json_object_get_double_member (object, "huge"), ==, -1e20);
  g_assert_cmpuint (value_type (object, "zero"), ==, G_TYPE_INT64);
  g_assert_cmpint (json_object_get_int_member (object, "zero"), ==, 0);
  g_assert_cmpuint (value_type (object, "negative_zero"), ==, G_TYPE_DOUBLE);
  g_assert_true (signbit (json_object_get_double_member (object, "negative_zero")));
  g_assert_cmpfloat (json_object_get_double_member (object, "underflow"), ==, 0.0);
  g_assert_cmpfloat (json_object_get_double_member (object, "exp"), ==, 100000.0);
  g_assert_cmpfloat (json_object_get_double_member (object, "exp2"), ==, 1500.0);
  g_assert_cmpfloat (json_object_get_double_member (object, "small"), ==, 2e-05);

  /* Typed readers: full int64 range, nothing outside it. */
  g_assert_true (lp_json_get_int (object, "max", TRUE, &i, &error));
  g_assert_cmpint (i, ==, G_MAXINT64);
  g_assert_true (lp_json_get_int (object, "min", TRUE, &i, &error));
  g_assert_cmpint (i, ==, G_MININT64);
  g_assert_true (lp_json_get_int (object, "whole", TRUE, &i, &error));
  g_assert_cmpint (i, ==, 2000);
  g_assert_true (lp_json_get_int (object, "negative_zero", TRUE, &i, &error));
  g_assert_cmpint (i, ==, 0);

  i = 7;
  g_assert_false (lp_json_get_int (object, "past_max", TRUE, &i, &error));
  g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_RANGE);
  g_clear_error (&error);
  g_assert_false (lp_json_get_int (object, "huge", TRUE, &i, &error));
  g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_RANGE);
  g_clear_error (&error);
  g_assert_false (lp_json_get_int (object, "big_whole", TRUE, &i, &error));
  g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_RANGE);
  g_clear_error (&error);
  g_assert_false (lp_json_get_int (object, "half", TRUE, &i, &error));
  g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_TYPE);
  g_clear_error (&error);
  g_assert_cmpint (i, ==, 7);

  /* A field's own range. */
  g_assert_false (lp_json_get_int_range (object, "huge", TRUE, 1, 100000000, &i, &error));
  g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_RANGE);
  g_assert_cmpstr (error->message, ==, "“huge” must be from 1 to 100000000");
  g_clear_error (&error);
  g_assert_false (lp_json_get_int_range (object, "zero_int", TRUE, 1, 10, &i, &error));
  g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_RANGE);
  g_clear_error (&error);
  g_assert_true (lp_json_get_int_range (object, "absent", FALSE, 1, 10, &i, &error));
  g_assert_cmpint (i, ==, 7);
  g_assert_true (lp_json_get_int_range (object, "whole", TRUE, 2000, 2000, &i, &error));

  g_assert_true (lp_json_get_double (object, "past_max", TRUE, &d, &error));
  g_assert_cmpfloat (d, ==, 9223372036854775808.0);
  g_assert_true (lp_json_get_double (object, "long", TRUE, &d, &error));
  g_assert_cmpfloat (d, ==, 123456789012345678901234567890.5);
  g_assert_false (lp_json_get_double_range (object, "exp", TRUE, 0, 100, &d, &error));
  g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_RANGE);
  g_clear_error (&error);
  g_assert_true (lp_json_get_double_range (object, "exp2", TRUE, 0, 1500, &d, &error));
  g_assert_cmpfloat (d, ==, 1500.0);

  /* Not numbers at all. */
  {
    g_autoptr(JsonObject) other = parse_ok ("{\"s\": \"12\", \"b\": true, \"o\": {}, \"n\": null}");

    g_assert_false (lp_json_get_int (other, "s", TRUE, &i, &error));
    g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_TYPE);
    g_clear_error (&error);
    g_assert_false (lp_json_get_int (other, "b", TRUE, &i, &error));
    g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_TYPE);
    g_clear_error (&error);
    g_assert_false (lp_json_get_double (other, "o", TRUE, &d, &error));
    g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_TYPE);
    g_clear_error (&error);
    g_assert_false (lp_json_get_int (other, "n", TRUE, &i, &error));
    g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_MISSING);
    g_clear_error (&error);
  }

  /* A number literal longer than any number. */
  {
    g_autoptr(GString) body = g_string_new ("{\"a\": 1");
    g_autoptr(GError) long_error = NULL;

    for (guint n = 0; n < 1000; n++)
      g_string_append_c (body, '0');
    g_string_append_c (body, '}');
    g_assert_null (lp_json_parse_object (body->str, body->len, &long_error));
    g_assert_error (long_error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID);
  }
}

/* {"a":{"a":[[0]]}}: `levels` containers, the root included, the outer
 * half objects and the inner half arrays. */
static GString *
deep_body (guint levels)
{
  GString *body = g_string_new (NULL);
  guint n_objects = MAX (1, levels / 2), n_arrays = levels - n_objects;

  for (guint i = 0; i < n_objects; i++)
    g_string_append (body, "{\"a\":");
  for (guint i = 0; i < n_arrays; i++)
    g_string_append_c (body, '[');
  g_string_append_c (body, '0');
  for (guint i = 0; i < n_arrays; i++)
    g_string_append_c (body, ']');
  for (guint i = 0; i < n_objects; i++)
    g_string_append_c (body, '}');
  return body;
}

static void
test_depth (void)
{
  struct { guint limit; guint levels; gboolean ok; } cases[] = {
    { LP_JSON_MAX_DEPTH_REQUEST, LP_JSON_MAX_DEPTH_REQUEST, TRUE },
    { LP_JSON_MAX_DEPTH_REQUEST, LP_JSON_MAX_DEPTH_REQUEST + 1, FALSE },
    { LP_JSON_MAX_DEPTH_ANSWER, LP_JSON_MAX_DEPTH_ANSWER, TRUE },
    { LP_JSON_MAX_DEPTH_ANSWER, LP_JSON_MAX_DEPTH_ANSWER + 1, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) body = deep_body (cases[i].levels);
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) object = lp_json_parse_object_full (body->str, body->len,
                                                                cases[i].limit, &error);

      g_test_message ("%u levels, limit %u: %s", cases[i].levels, cases[i].limit, body->str);
      if (cases[i].ok)
        {
          g_autofree char *text = NULL;
          g_autoptr(JsonObject) again = NULL;

          g_assert_no_error (error);
          g_assert_nonnull (object);
          /* What was read at the limit is written and read back the same. */
          {
            g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);
            text = lp_json_to_string (node, FALSE);
          }
          g_assert_cmpstr (text, ==, body->str);
          again = lp_json_parse_object_full (text, strlen (text), cases[i].limit, NULL);
          g_assert_nonnull (again);
          g_assert_true (json_object_equal (object, again));
        }
      else
        {
          g_assert_null (object);
          g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID);
          g_assert_nonnull (strstr (error->message, "nest more than"));
        }
    }

  /* The default is the answer limit. */
  {
    g_autoptr(GString) body = deep_body (LP_JSON_MAX_DEPTH_ANSWER);
    g_autoptr(JsonObject) object = lp_json_parse_object (body->str, body->len, NULL);

    g_assert_nonnull (object);
  }
}

static gpointer
parse_deep_on_small_stack (gpointer data)
{
  g_autoptr(GString) body = g_string_new ("/*\"*/{\"name\":\"x\",\"config\":");
  g_autoptr(GString) plain = g_string_new ("{\"config\":");
  g_autoptr(GString) at_limit = deep_body (LP_JSON_MAX_DEPTH_ANSWER);
  g_autoptr(JsonObject) ok = NULL;

  for (guint n = 0; n < 200000; n++)
    {
      g_string_append_c (body, '[');
      g_string_append_c (plain, '[');
    }

  if (lp_json_parse_object (body->str, body->len, NULL) != NULL ||
      lp_json_parse_object (plain->str, plain->len, NULL) != NULL ||
      lp_json_check (plain->str, plain->len, G_MAXUINT, NULL) ||
      !(ok = lp_json_parse_object (at_limit->str, at_limit->len, NULL)))
    return NULL;

  return GINT_TO_POINTER (1);
}

/* The crash inputs of issue 10: nesting hidden from a pre-scan by a quote
 * inside a comment or a single-quoted string, and plain deep nesting. None
 * may use the stack: each is refused at once, without recursion. */
static void
test_hidden_deep_nesting (void)
{
  const char *prefixes[] = {
    "/*\"*/{\"name\":\"x\",\"config\":",
    "{'\"':1,\"name\":\"x\",\"config\":",
    "{\"name\":\"x\",\"config\":",
    "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    {
      g_autoptr(GString) body = g_string_new (prefixes[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(GError) check_error = NULL;
      gint64 start;

      for (guint n = 0; n < 200000; n++)
        g_string_append_c (body, '[');
      start = g_get_monotonic_time ();
      g_assert_null (lp_json_parse_object_full (body->str, body->len, LP_JSON_MAX_DEPTH_REQUEST, &error));
      g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID);
      g_assert_false (lp_json_check (body->str, body->len, 1000000, &check_error));
      g_assert_error (check_error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID);
      g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
      g_test_message ("%s", error->message);
    }

  /* The reader does not recurse: the same bodies are refused on a
   * thread with a stack of 256 KiB, a 30th of the default. */
  {
    pthread_t thread;
    pthread_attr_t attr;
    gpointer result = NULL;

    pthread_attr_init (&attr);
    pthread_attr_setstacksize (&attr, 256 * 1024);
    g_assert_cmpint (pthread_create (&thread, &attr, parse_deep_on_small_stack, NULL), ==, 0);
    g_assert_cmpint (pthread_join (thread, &result), ==, 0);
    pthread_attr_destroy (&attr);
    g_assert_true (result == GINT_TO_POINTER (1));
  }

  /* Brackets inside strings are text, not nesting. */
  {
    g_autoptr(GString) text = g_string_new ("{\"a\": \"");
    g_autoptr(JsonObject) object = NULL;

    for (guint i = 0; i < 500; i++)
      g_string_append (text, "[{");
    g_string_append (text, "\\\"\"}");
    object = lp_json_parse_object_full (text->str, text->len, 1, NULL);
    g_assert_nonnull (object);
  }
}

static void
test_writer_round_trip (void)
{
  const char *bodies[] = {
    "{\"name\":\"caf\\u00e9 \\ud83d\\ude00\",\"n\":[1,-2,0.07,2e-05,1e+300,-0.0,9223372036854775807],"
    "\"t\":true,\"f\":false,\"z\":null,\"o\":{\"\":{\"a\":[[],{}]}},\"ctl\":\"\\u0001\\u001f\\n\\\"\\\\/\"}",
    "{\"events\":[{\"event_id\":\"run-1\",\"type\":\"metrics\",\"data\":{\"step\":10,\"train_loss\":2.31}}]}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(JsonObject) object = parse_ok (bodies[i]);
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

      for (guint pretty = 0; pretty < 2; pretty++)
        {
          g_autofree char *text = lp_json_to_string (node, pretty);
          g_autoptr(JsonObject) again = parse_ok (text);

          g_assert_true (g_utf8_validate (text, -1, NULL));
          g_assert_true (json_object_equal (object, again));
        }
    }
}

/* Strings from elsewhere than the reader (a child process's output, say)
 * are written as valid UTF-8 whatever they hold. */
static void
test_writer_repairs_utf8 (void)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonObject) object = json_object_new ();
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) again = NULL;

  json_object_set_string_member (object, "bad", "a\xff" "b\xed\xa0\x80" "c\xc3");
  json_object_set_string_member (object, "ok\xe9", "caf\xc3\xa9");
  json_node_set_object (node, object);
  text = lp_json_to_string (node, FALSE);

  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_cmpstr (text, ==,
                   "{\"bad\":\"a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "c\xef\xbf\xbd\","
                   "\"ok\xef\xbf\xbd\":\"caf\xc3\xa9\"}");
  again = parse_ok (text);
  g_assert_cmpstr (json_object_get_string_member (again, "ok\xef\xbf\xbd"), ==, "caf\xc3\xa9");
}

static void
test_api_error (void)
{
  g_autofree char *code = NULL;
  g_autofree char *message = NULL;
  const char good[] = "{\"error\": {\"code\": \"bad_request\", \"message\": \"No\"}}";
  const char bad[] = "{\"error\": {\"code\": \"bad_request\", \"message\": \"No\"}} <html>";

  g_assert_true (lp_json_parse_api_error (good, strlen (good), &code, &message));
  g_assert_cmpstr (code, ==, "bad_request");
  g_assert_cmpstr (message, ==, "No");
  g_assert_false (lp_json_parse_api_error (bad, strlen (bad), NULL, NULL));
}

/* Every number the codecs read is held to its field's range, so nothing
 * computed from it (progress, pages, plots, costs) can overflow. */
static void
test_codec_ranges (void)
{
  const char *jobs[] = {
    "{\"id\": 1, \"name\": \"x\", \"status\": \"training\", \"current_step\": 9223372036854775807}",
    "{\"id\": 1, \"name\": \"x\", \"status\": \"training\", \"total_steps\": -99999999999999999999}",
    "{\"id\": 1, \"name\": \"x\", \"status\": \"training\", \"elapsed_s\": 1e300}",
    "{\"id\": 1, \"name\": \"x\", \"status\": \"training\", \"cost\": 1e300}",
    "{\"id\": -1, \"name\": \"x\", \"status\": \"training\"}",
    "{\"id\": 1, \"name\": \"x\", \"status\": \"queued\", \"queue_position\": 4294967296}",
  };
  const char *metrics[] = {
    "{\"job_id\": 1, \"series\": {\"train_loss\": {\"step\": [\"x\"], \"value\": [1]}}}",
    "{\"job_id\": 1, \"series\": {\"train_loss\": {\"step\": [9223372036854775807], \"value\": [1]}}}",
    "{\"job_id\": 1, \"series\": {\"train_loss\": {\"step\": [1.5], \"value\": [1]}}}",
    "{\"job_id\": 1, \"series\": {\"train_loss\": {\"step\": [1], \"value\": [\"NaN\"]}}}",
    "{\"job_id\": 1, \"latest\": {\"step\": 1000000000001}}",
  };
  const char *pages[] = {
    "{\"jobs\": [], \"total\": 9223372036854775807, \"page\": 1, \"per_page\": 2}",
    "{\"jobs\": [], \"total\": 1, \"page\": 0, \"per_page\": 2}",
    "{\"jobs\": [], \"total\": 1, \"page\": 1, \"per_page\": 1001}",
  };
  const char *events[] = {
    "{\"event_id\": \"e\", \"type\": \"metrics\", \"data\": {\"step\": 1000000000001}}",
    "{\"event_id\": \"e\", \"type\": \"metrics\", \"data\": {\"step\": 9223372036854775807}}",
    "{\"event_id\": \"e\", \"type\": \"metrics\", \"data\": {\"step\": -1}}",
    "{\"event_id\": \"e\", \"type\": \"metrics\", \"data\": {\"step\": 1, \"epoch\": 1000001}}",
    "{\"event_id\": \"e\", \"type\": \"checkpoint\", \"data\": {\"step\": 9223372036854775807}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      g_autoptr(JsonObject) object = parse_ok (jobs[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(LpJob) job = lp_job_new_from_json (object, &error);

      g_test_message ("%s: %s", jobs[i], error ? error->message : "accepted");
      g_assert_null (job);
      g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_RANGE);
    }

  for (guint i = 0; i < G_N_ELEMENTS (metrics); i++)
    {
      g_autoptr(JsonObject) object = parse_ok (metrics[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(LpMetrics) m = lp_metrics_new_from_json (object, &error);

      g_test_message ("%s: %s", metrics[i], error ? error->message : "accepted");
      g_assert_null (m);
      g_assert_true (error != NULL && error->domain == LP_JSON_ERROR);
    }

  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      g_autoptr(JsonObject) object = parse_ok (pages[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(LpJobPage) page = lp_job_page_new_from_json (object, &error);

      g_assert_null (page);
      g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_RANGE);
    }

  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) parsed = lp_trainer_events_parse (events[i], strlen (events[i]), &error);

      g_test_message ("%s: %s", events[i], error ? error->message : "accepted");
      g_assert_null (parsed);
      g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_RANGE);
    }

  /* The edges themselves are fine. */
  {
    const char edge[] = "{\"event_id\": \"e\", \"type\": \"metrics\", \"data\": {\"step\": 1000000000000, \"epoch\": 1000000}}";
    g_autoptr(GPtrArray) parsed = lp_trainer_events_parse (edge, strlen (edge), NULL);

    g_assert_nonnull (parsed);
    g_assert_cmpint (((LpTrainerEvent *) g_ptr_array_index (parsed, 0))->step, ==, LP_STEP_MAX);
  }

  /* Page arithmetic cannot overflow, whatever a page holds. */
  {
    g_autoptr(LpJobPage) page = lp_job_page_new ();

    page->total = G_MAXINT64;
    page->per_page = 2;
    g_assert_cmpint (lp_job_page_get_n_pages (page), ==, G_MAXINT64 / 2 + 1);
    page->per_page = 1;
    g_assert_cmpint (lp_job_page_get_n_pages (page), ==, G_MAXINT64);
    page->total = 50;
    page->per_page = 25;
    g_assert_cmpint (lp_job_page_get_n_pages (page), ==, 2);
    page->total = 51;
    g_assert_cmpint (lp_job_page_get_n_pages (page), ==, 3);
    page->total = 0;
    g_assert_cmpint (lp_job_page_get_n_pages (page), ==, 1);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json/refusals", test_refusals);
  g_test_add_func ("/json/error-position", test_error_position);
  g_test_add_func ("/json/strings", test_strings);
  g_test_add_func ("/json/white-space-and-literals", test_white_space_and_literals);
  g_test_add_func ("/json/numbers", test_numbers);
  g_test_add_func ("/json/depth", test_depth);
  g_test_add_func ("/json/hidden-deep-nesting", test_hidden_deep_nesting);
  g_test_add_func ("/json/writer-round-trip", test_writer_round_trip);
  g_test_add_func ("/json/writer-repairs-utf8", test_writer_repairs_utf8);
  g_test_add_func ("/json/api-error", test_api_error);
  g_test_add_func ("/json/codec-ranges", test_codec_ranges);

  return g_test_run ();
}
