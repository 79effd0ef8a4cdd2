/* fuzz-json.c: the strict JSON reader and the writer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Whatever the reader accepts must be valid UTF-8, must be accepted by the
 * syntax-only check too, and must come back from lp_json_to_string() (both
 * layouts) as valid UTF-8 that reads back as an equal tree. Whatever it
 * refuses gets an LP_JSON_ERROR_INVALID with a readable message.
 */
#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "lp-json.h"

static void
check_round_trip (JsonNode *node)
{
  for (guint pretty = 0; pretty < 2; pretty++)
    {
      g_autofree char *text = lp_json_to_string (node, pretty);
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) again = NULL;

      fuzz_assert_text (text);
      again = lp_json_parse (text, strlen (text), LP_JSON_MAX_DEPTH_ANSWER, &error);
      if (again == NULL)
        g_error ("the writer's output does not read back: %s\n%s", error->message, text);
      if (!json_node_equal (node, again))
        g_error ("the writer's output reads back different: %s", text);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const char *text = (const char *) data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) check_error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonObject) object = NULL;
  gboolean checked;

  fuzz_setup ();

  node = lp_json_parse (text, size, LP_JSON_MAX_DEPTH_ANSWER, &error);
  checked = lp_json_check (text, size, LP_JSON_MAX_DEPTH_ANSWER, &check_error);

  if (node == NULL)
    {
      g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID);
      fuzz_assert_text (error->message);
      /* The check builds no tree, so it does not see a repeated name (and
       * may find another error further on); otherwise both agree. */
      if (strstr (error->message, "twice") == NULL)
        {
          g_assert_false (checked);
          g_assert_cmpstr (check_error->message, ==, error->message);
        }
      return 0;
    }

  g_assert_no_error (error);
  g_assert_true (checked);
  g_assert_true (g_utf8_validate (text, size, NULL));
  g_assert_null (memchr (text, '\0', size));
  check_round_trip (node);

  /* The request limit is stricter, never looser. */
  object = lp_json_parse_object_full (text, size, LP_JSON_MAX_DEPTH_REQUEST, NULL);
  if (object != NULL)
    g_assert_true (JSON_NODE_HOLDS_OBJECT (node));

  return 0;
}
