/* test-log-lines.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib.h>
#include <string.h>

#include "lp-log-lines.h"

typedef struct
{
  GPtrArray *lines;   /* "start-end:text" */
} Seen;

static void
collect (const char *line,
         gsize       len,
         goffset     start,
         goffset     end,
         gpointer    user_data)
{
  Seen *seen = user_data;

  g_ptr_array_add (seen->lines, g_strdup_printf ("%" G_GOFFSET_FORMAT "-%" G_GOFFSET_FORMAT ":%.*s",
                                                 start, end, (int) len, line));
}

static void
feed_str (LpLogLines *lines,
          const char *text,
          Seen       *seen)
{
  lp_log_lines_feed (lines, (const guint8 *) text, strlen (text), collect, seen);
}

static void
assert_lines (Seen        *seen,
              const char **expected)
{
  guint n = g_strv_length ((char **) expected);

  for (guint i = 0; i < MIN (n, seen->lines->len); i++)
    g_assert_cmpstr (g_ptr_array_index (seen->lines, i), ==, expected[i]);
  g_assert_cmpuint (seen->lines->len, ==, n);
}

/* tqdm redraws with \r and never ends a line; a print() ends with \n;
 * reads end anywhere, in the middle of a line or of a UTF-8 character. */
static void
test_redraws_and_pieces (void)
{
  g_autoptr(LpLogLines) lines = lp_log_lines_new (1000);
  g_autoptr(GPtrArray) array = g_ptr_array_new_with_free_func (g_free);
  Seen seen = { array };
  const char *bar0 = "steps:   0%|          | 0/3 [00:00<?, ?it/s]";
  g_autofree char *first = NULL;
  g_autofree char *prefix = NULL;
  goffset bar1_start = 6 + strlen (bar0) + 1;

  feed_str (lines, "hello\nsteps:   0%|          | 0/3 [00:00<?, ?it/s]\rsteps:  33%|\xe2\x96", &seen);
  g_assert_cmpuint (seen.lines->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (seen.lines, 0), ==, "0-6:hello");
  first = g_strdup_printf ("6-%" G_GOFFSET_FORMAT ":%s", bar1_start, bar0);
  g_assert_cmpstr (g_ptr_array_index (seen.lines, 1), ==, first);
  g_assert_cmpint (lp_log_lines_get_consumed (lines), ==, bar1_start);

  /* The rest of the redraw comes in two more reads. */
  feed_str (lines, "\x88\xe2\x96\x8e      | 1/3 [00:00<00:00,", &seen);
  g_assert_cmpuint (seen.lines->len, ==, 2);
  feed_str (lines, " 9.1it/s, avr_loss=2.54]\r\n", &seen);
  g_assert_cmpuint (seen.lines->len, ==, 3);
  g_assert_cmpstr (strchr (g_ptr_array_index (seen.lines, 2), ':') + 1, ==,
                   "steps:  33%|\xe2\x96\x88\xe2\x96\x8e      | 1/3 [00:00<00:00, 9.1it/s, avr_loss=2.54]");
  prefix = g_strdup_printf ("%" G_GOFFSET_FORMAT "-", bar1_start);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (seen.lines, 2), prefix));
}

static void
test_offsets_and_empty_lines (void)
{
  g_autoptr(LpLogLines) lines = lp_log_lines_new (1000);
  g_autoptr(GPtrArray) array = g_ptr_array_new_with_free_func (g_free);
  Seen seen = { array };
  const char *expected[] = { "0-2:a", "4-6:b", "6-8:c", "8-9:d", NULL };

  /* \r\n is two ends, and the empty line between them is not handed over. */
  feed_str (lines, "a\r\n\nb\rc\n", &seen);
  g_assert_cmpint (lp_log_lines_get_consumed (lines), ==, 8);
  feed_str (lines, "d", &seen);
  g_assert_cmpint (lp_log_lines_get_consumed (lines), ==, 8);
  /* The end of the output ends its last line. */
  lp_log_lines_flush (lines, collect, &seen);
  g_assert_cmpint (lp_log_lines_get_consumed (lines), ==, 9);
  assert_lines (&seen, expected);
}

static void
test_long_lines_are_cut (void)
{
  g_autoptr(LpLogLines) lines = lp_log_lines_new (4);
  g_autoptr(GPtrArray) array = g_ptr_array_new_with_free_func (g_free);
  Seen seen = { array };
  const char *expected[] = { "0-4:abcd", "4-8:efgh", "8-11:ij", NULL };

  feed_str (lines, "abcdefghij\n", &seen);
  assert_lines (&seen, expected);
}

/* After a restart the reader starts somewhere in the middle of a line. */
static void
test_reset_skips_the_rest_of_a_line (void)
{
  g_autoptr(LpLogLines) lines = lp_log_lines_new (1000);
  g_autoptr(GPtrArray) array = g_ptr_array_new_with_free_func (g_free);
  Seen seen = { array };
  const char *expected[] = { "105-110:next", NULL };

  lp_log_lines_reset (lines, 100, TRUE);
  feed_str (lines, "tail\nnext\n", &seen);
  assert_lines (&seen, expected);

  /* From the top nothing is skipped. */
  g_ptr_array_set_size (seen.lines, 0);
  lp_log_lines_reset (lines, 0, TRUE);
  feed_str (lines, "first\n", &seen);
  g_assert_cmpuint (seen.lines->len, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/log-lines/redraws-and-pieces", test_redraws_and_pieces);
  g_test_add_func ("/log-lines/offsets-and-empty-lines", test_offsets_and_empty_lines);
  g_test_add_func ("/log-lines/long-lines-are-cut", test_long_lines_are_cut);
  g_test_add_func ("/log-lines/reset-skips-the-rest-of-a-line", test_reset_skips_the_rest_of_a_line);

  return g_test_run ();
}
