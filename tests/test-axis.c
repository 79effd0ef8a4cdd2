/* test-axis.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib.h>
#include <float.h>
#include <math.h>

#include "lp-axis.h"

static void
assert_ticks (double        min,
              double        max,
              guint         max_ticks,
              double        expected_step,
              const double *expected,
              guint         n_expected)
{
  double out[64];
  double step = 0;
  guint n = 0;

  g_assert_cmpuint (max_ticks + 1, <=, G_N_ELEMENTS (out));
  g_assert_true (lp_axis_ticks (min, max, max_ticks, out, &n, &step));
  g_assert_cmpfloat_with_epsilon (step, expected_step, 1e-12);
  g_assert_cmpuint (n, ==, n_expected);
  for (guint i = 0; i < n; i++)
    g_assert_cmpfloat_with_epsilon (out[i], expected[i], 1e-9);
}

static void
test_nice_step (void)
{
  g_assert_cmpfloat (lp_axis_nice_step (10, 10), ==, 1);
  g_assert_cmpfloat (lp_axis_nice_step (11, 10), ==, 2);
  g_assert_cmpfloat (lp_axis_nice_step (2, 10), ==, 0.2);
  /* 0.2 is not exact in binary; it must not be pushed up to 0.5. */
  g_assert_cmpfloat_with_epsilon (lp_axis_nice_step (2, 10), 0.2, 1e-15);
  g_assert_cmpfloat_with_epsilon (lp_axis_nice_step (0.3, 1), 0.5, 1e-15);
  g_assert_cmpfloat (lp_axis_nice_step (2000, 8), ==, 500);
  g_assert_cmpfloat (lp_axis_nice_step (1000000, 10), ==, 100000);
  g_assert_cmpfloat (lp_axis_nice_step (7, 1), ==, 10);
  g_assert_cmpfloat_with_epsilon (lp_axis_nice_step (0.007, 7), 0.001, 1e-15);

  /* Nonsense spans still give a usable step. */
  g_assert_cmpfloat (lp_axis_nice_step (0, 10), ==, 1);
  g_assert_cmpfloat (lp_axis_nice_step (-5, 10), ==, 1);
  g_assert_cmpfloat (lp_axis_nice_step (NAN, 10), ==, 1);
  g_assert_cmpfloat (lp_axis_nice_step (INFINITY, 10), ==, 1);
  g_assert_cmpfloat (lp_axis_nice_step (10, 0), ==, 10);
}

static void
test_ticks (void)
{
  const double loss[] = { 0, 0.5, 1, 1.5, 2 };
  const double tenths[] = { 0, 0.2, 0.4, 0.6, 0.8, 1, 1.2, 1.4, 1.6, 1.8, 2 };
  const double steps[] = { 0, 500, 1000, 1500, 2000 };
  const double inner[] = { 500, 1000 };
  const double negative[] = { -1, -0.5, 0, 0.5, 1 };
  const double million[] = { 0, 200000, 400000, 600000, 800000, 1000000 };

  assert_ticks (0, 2, 5, 0.5, loss, G_N_ELEMENTS (loss));
  assert_ticks (0, 2, 10, 0.2, tenths, G_N_ELEMENTS (tenths));
  assert_ticks (0, 2000, 8, 500, steps, G_N_ELEMENTS (steps));
  /* Ends between ticks get none of their own. */
  assert_ticks (350, 1100, 4, 200, (const double[]) { 400, 600, 800, 1000 }, 4);
  assert_ticks (120, 1100, 2, 500, inner, G_N_ELEMENTS (inner));
  assert_ticks (-1, 1, 4, 0.5, negative, G_N_ELEMENTS (negative));
  assert_ticks (0, 1000000, 5, 200000, million, G_N_ELEMENTS (million));
}

static void
test_ticks_stay_within_capacity (void)
{
  double out[11];
  double step;
  guint n;

  /* Every span that is a whole number of nice steps gives max_ticks + 1
   * ticks at most, never more; rounding noise must not add one.
   */
  for (guint i = 1; i <= 1000; i++)
    {
      double max = i * 0.1;

      g_assert_true (lp_axis_ticks (0, max, 10, out, &n, &step));
      g_assert_cmpuint (n, >=, 2);
      g_assert_cmpuint (n, <=, 11);
      g_assert_cmpfloat (out[0], >=, 0);
      g_assert_cmpfloat (out[n - 1], <=, max + 1e-9);
      for (guint k = 1; k < n; k++)
        g_assert_cmpfloat_with_epsilon (out[k] - out[k - 1], step, step * 1e-9);
    }
}

static void
test_ticks_degenerate (void)
{
  double out[11];
  double step = 0;
  guint n = 99;

  g_assert_true (lp_axis_ticks (3, 3, 10, out, &n, &step));
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpfloat (out[0], ==, 3);

  g_assert_false (lp_axis_ticks (2, 1, 10, out, &n, &step));
  g_assert_cmpuint (n, ==, 0);
  g_assert_false (lp_axis_ticks (NAN, 1, 10, out, &n, NULL));
  g_assert_cmpuint (n, ==, 0);
  g_assert_false (lp_axis_ticks (0, INFINITY, 10, out, &n, NULL));

  /* No -0 at the origin. */
  g_assert_true (lp_axis_ticks (-1, 1, 2, out, &n, NULL));
  g_assert_cmpuint (n, ==, 3);
  g_assert_false (signbit (out[1]));
}

static void
test_nice_range (void)
{
  double lo, hi;

  lp_axis_nice_range (0, 2, 5, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 0);
  g_assert_cmpfloat (hi, ==, 2);

  lp_axis_nice_range (0, 3.4, 5, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 0);
  g_assert_cmpfloat (hi, ==, 4);

  lp_axis_nice_range (0, 2.13, 6, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 0);
  g_assert_cmpfloat_with_epsilon (hi, 2.5, 1e-12);

  lp_axis_nice_range (0.31, 0.87, 5, &lo, &hi);
  g_assert_cmpfloat_with_epsilon (lo, 0.2, 1e-12);
  g_assert_cmpfloat_with_epsilon (hi, 1.0, 1e-12);

  /* Reversed and empty ranges still come out as a range. */
  lp_axis_nice_range (2, 0, 5, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 0);
  g_assert_cmpfloat (hi, ==, 2);
  lp_axis_nice_range (0, 0, 5, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 0);
  g_assert_cmpfloat (hi, >, 0);
  lp_axis_nice_range (NAN, 1, 5, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 0);
  g_assert_cmpfloat (hi, ==, 1);
}

static void
test_decimals (void)
{
  g_assert_cmpuint (lp_axis_decimals (1), ==, 0);
  g_assert_cmpuint (lp_axis_decimals (5), ==, 0);
  g_assert_cmpuint (lp_axis_decimals (500), ==, 0);
  g_assert_cmpuint (lp_axis_decimals (0.5), ==, 1);
  g_assert_cmpuint (lp_axis_decimals (0.2), ==, 1);
  g_assert_cmpuint (lp_axis_decimals (0.1), ==, 1);
  g_assert_cmpuint (lp_axis_decimals (0.05), ==, 2);
  g_assert_cmpuint (lp_axis_decimals (0.001), ==, 3);
  g_assert_cmpuint (lp_axis_decimals (0), ==, 0);
  g_assert_cmpuint (lp_axis_decimals (NAN), ==, 0);
}

#define assert_text(expr, expected) \
  G_STMT_START { \
    g_autofree char *_text = (expr); \
    g_assert_cmpstr (_text, ==, expected); \
  } G_STMT_END

static void
test_format_value (void)
{
  assert_text (lp_axis_format_value (0, 0.5), "0.0");
  assert_text (lp_axis_format_value (1.5, 0.5), "1.5");
  assert_text (lp_axis_format_value (2, 0.5), "2.0");
  assert_text (lp_axis_format_value (0.6000000000000001, 0.2), "0.6");
  assert_text (lp_axis_format_value (0.15, 0.05), "0.15");
  /* Huge values take an exponent rather than saturate. */
  assert_text (lp_axis_format_value (1e308, 2e307), "1e+308");
  assert_text (lp_axis_format_value (-2.5e20, 1e20), "-2.5e+20");
  assert_text (lp_axis_format_loss (9.99e14, 0), "999,000,000,000,000");
  assert_text (lp_axis_format_value (2, 1), "2");
  assert_text (lp_axis_format_value (1500, 500), "1,500");
  assert_text (lp_axis_format_value (-0.5, 0.5), "-0.5");
  /* Rounding noise below zero is not negative. */
  assert_text (lp_axis_format_value (-1e-17, 0.5), "0.0");
}

static void
test_format_step (void)
{
  assert_text (lp_axis_format_step (0, 500), "0");
  assert_text (lp_axis_format_step (850, 50), "850");
  assert_text (lp_axis_format_step (2000, 500), "2,000");
  assert_text (lp_axis_format_step (8000, 2000), "8,000");
  assert_text (lp_axis_format_step (20000, 10000), "20k");
  assert_text (lp_axis_format_step (100000, 20000), "100k");
  assert_text (lp_axis_format_step (200000, 100000), "0.2M");
  assert_text (lp_axis_format_step (1000000, 200000), "1.0M");
  assert_text (lp_axis_format_step (1500000, 500000), "1.5M");
  assert_text (lp_axis_format_step (5000000, 1000000), "5M");
  /* Fractional steps show up only on an axis under ten steps wide. */
  assert_text (lp_axis_format_step (2.5, 0.5), "2.5");
}

static void
test_format_loss (void)
{
  assert_text (lp_axis_format_loss (0.342, 3), "0.342");
  assert_text (lp_axis_format_loss (0.3425, 2), "0.34");
  assert_text (lp_axis_format_loss (1.74, 2), "1.74");
  assert_text (lp_axis_format_loss (1.9996, 3), "2.000");
  assert_text (lp_axis_format_loss (12345.5, 1), "12,345.5");
  assert_text (lp_axis_format_loss (0.05, 3), "0.050");
  assert_text (lp_axis_format_loss (NAN, 3), "NaN");
  assert_text (lp_axis_format_loss (INFINITY, 3), "∞");
  assert_text (lp_axis_format_loss (-INFINITY, 3), "-∞");
}

static void
test_value_range (void)
{
  double lo, hi;

  /* The full view: 0-2.0 while the data fits, higher when it does not. */
  lp_axis_value_range (0.4, 1.7, FALSE, 2.0, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 0.0);
  g_assert_cmpfloat (hi, ==, 2.0);
  lp_axis_value_range (0.4, 3.5, FALSE, 2.0, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 0.0);
  g_assert_cmpfloat (hi, ==, 3.5);
  lp_axis_value_range (-1.0, 1.0, FALSE, 2.0, &lo, &hi);
  g_assert_cmpfloat (lo, ==, -1.0);

  /* Zoomed in: the values in view, with a margin. */
  lp_axis_value_range (0.41, 0.43, TRUE, 2.0, &lo, &hi);
  g_assert_cmpfloat_with_epsilon (lo, 0.409, 1e-9);
  g_assert_cmpfloat_with_epsilon (hi, 0.431, 1e-9);

  /* Never below 0 for values that are not. */
  lp_axis_value_range (0.0, 1.0, TRUE, 2.0, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 0.0);
  g_assert_cmpfloat_with_epsilon (hi, 1.05, 1e-9);

  /* A flat line gets a scale around it. */
  lp_axis_value_range (0.5, 0.5, TRUE, 2.0, &lo, &hi);
  g_assert_cmpfloat (lo, <, 0.5);
  g_assert_cmpfloat (hi, >, 0.5);
  lp_axis_value_range (0.0, 0.0, TRUE, 2.0, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 0.0);
  g_assert_cmpfloat (hi, >, 0.0);

  /* Nothing in view: the full view's scale. */
  lp_axis_value_range (INFINITY, -INFINITY, TRUE, 2.0, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 0.0);
  g_assert_cmpfloat (hi, ==, 2.0);

  /* Huge values stay finite. */
  lp_axis_value_range (-DBL_MAX, DBL_MAX, TRUE, 2.0, &lo, &hi);
  g_assert_true (isfinite (lo) && isfinite (hi));
}

static void
test_log_scale (void)
{
  double lo, hi, ticks[64];
  guint n;

  lp_axis_log_range (0.042, 1.7, &lo, &hi);
  g_assert_cmpfloat_with_epsilon (lo, 0.01, 1e-12);
  g_assert_cmpfloat_with_epsilon (hi, 10.0, 1e-9);
  /* A power of ten is its own bound. */
  lp_axis_log_range (0.1, 1.0, &lo, &hi);
  g_assert_cmpfloat_with_epsilon (lo, 0.1, 1e-12);
  g_assert_cmpfloat_with_epsilon (hi, 1.0, 1e-12);
  /* One value: a decade around it. */
  lp_axis_log_range (0.5, 0.5, &lo, &hi);
  g_assert_cmpfloat_with_epsilon (lo, 0.1, 1e-12);
  g_assert_cmpfloat_with_epsilon (hi, 1.0, 1e-12);
  /* Nothing positive in view, and absurd values. */
  lp_axis_log_range (INFINITY, -INFINITY, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 0.01);
  g_assert_cmpfloat (hi, ==, 10.0);
  lp_axis_log_range (DBL_MIN, DBL_MAX, &lo, &hi);
  g_assert_cmpfloat_with_epsilon (lo, 1e-12, 1e-24);
  g_assert_cmpfloat_with_epsilon (hi, 1e12, 1);

  /* Room for 1, 2, 5 per decade. */
  n = lp_axis_log_ticks (0.01, 10, 12, ticks, G_N_ELEMENTS (ticks));
  g_assert_cmpuint (n, ==, 10);
  g_assert_cmpfloat_with_epsilon (ticks[0], 0.01, 1e-12);
  g_assert_cmpfloat_with_epsilon (ticks[1], 0.02, 1e-12);
  g_assert_cmpfloat_with_epsilon (ticks[2], 0.05, 1e-12);
  g_assert_cmpfloat_with_epsilon (ticks[9], 10, 1e-9);
  /* No room: the decades alone, then every other one. */
  n = lp_axis_log_ticks (0.01, 10, 5, ticks, G_N_ELEMENTS (ticks));
  g_assert_cmpuint (n, ==, 4);
  n = lp_axis_log_ticks (1e-12, 1e12, 8, ticks, G_N_ELEMENTS (ticks));
  g_assert_cmpuint (n, <=, 8);
  g_assert_cmpuint (n, >=, 2);
  /* Never past the capacity. */
  n = lp_axis_log_ticks (1e-12, 1e12, 100, ticks, 3);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpuint (lp_axis_log_ticks (0, 10, 5, ticks, 64), ==, 0);
  g_assert_cmpuint (lp_axis_log_ticks (1, 1, 5, ticks, 64), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/axis/nice-step", test_nice_step);
  g_test_add_func ("/axis/ticks", test_ticks);
  g_test_add_func ("/axis/ticks-capacity", test_ticks_stay_within_capacity);
  g_test_add_func ("/axis/ticks-degenerate", test_ticks_degenerate);
  g_test_add_func ("/axis/nice-range", test_nice_range);
  g_test_add_func ("/axis/value-range", test_value_range);
  g_test_add_func ("/axis/log-scale", test_log_scale);
  g_test_add_func ("/axis/decimals", test_decimals);
  g_test_add_func ("/axis/format-value", test_format_value);
  g_test_add_func ("/axis/format-step", test_format_step);
  g_test_add_func ("/axis/format-loss", test_format_loss);

  return g_test_run ();
}
