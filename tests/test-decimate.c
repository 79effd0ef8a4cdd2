/* test-decimate.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib.h>
#include <math.h>

#include "lp-decimate.h"

#define BIG_N 1000000
#define SPIKE_INDEX 654321

/* Loss-like noise around 1.0, reproducible so failures are too. */
static double *
make_noisy_series (guint n)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  double *y = g_new (double, n);

  for (guint i = 0; i < n; i++)
    y[i] = 1.0 + g_rand_double_range (rand, -0.05, 0.05);

  return y;
}

static void
assert_strictly_increasing (const guint *indices,
                            guint        count,
                            guint        n)
{
  for (guint i = 0; i < count; i++)
    {
      g_assert_cmpuint (indices[i], <, n);
      if (i > 0)
        g_assert_cmpuint (indices[i - 1], <, indices[i]);
    }
}

static gboolean
contains (const guint *indices,
          guint        count,
          guint        wanted)
{
  for (guint i = 0; i < count; i++)
    if (indices[i] == wanted)
      return TRUE;

  return FALSE;
}

static void
test_minmax_passthrough (void)
{
  const double y[] = { 3.0, 1.0, 4.0, 1.0, 5.0 };
  guint out[10];
  guint count;

  count = lp_decimate_minmax (y, G_N_ELEMENTS (y), 10, out);
  g_assert_cmpuint (count, ==, 5);
  for (guint i = 0; i < count; i++)
    g_assert_cmpuint (out[i], ==, i);

  count = lp_decimate_minmax (y, G_N_ELEMENTS (y), 5, out);
  g_assert_cmpuint (count, ==, 5);

  /* Too small a budget for a min/max pair keeps what fits from the start. */
  count = lp_decimate_minmax (y, G_N_ELEMENTS (y), 1, out);
  g_assert_cmpuint (count, ==, 1);
  g_assert_cmpuint (out[0], ==, 0);

  count = lp_decimate_minmax (y, G_N_ELEMENTS (y), 0, NULL);
  g_assert_cmpuint (count, ==, 0);

  count = lp_decimate_minmax (NULL, 0, 10, out);
  g_assert_cmpuint (count, ==, 0);
}

static void
test_minmax_keeps_spike (void)
{
  g_autofree double *y = make_noisy_series (BIG_N);
  g_autofree guint *out = g_new (guint, 1000);
  guint count;

  y[SPIKE_INDEX] = 100.0;
  y[123456] = -50.0;

  count = lp_decimate_minmax (y, BIG_N, 1000, out);

  g_assert_cmpuint (count, <=, 1000);
  g_assert_cmpuint (count, >, 900);
  assert_strictly_increasing (out, count, BIG_N);
  g_assert_true (contains (out, count, SPIKE_INDEX));
  g_assert_true (contains (out, count, 123456));
}

static void
test_minmax_odd_budget (void)
{
  g_autofree double *y = make_noisy_series (1001);
  guint out[7];
  guint count;

  /* 7 points allow 3 buckets of a min and a max each. */
  count = lp_decimate_minmax (y, 1001, 7, out);
  g_assert_cmpuint (count, <=, 6);
  assert_strictly_increasing (out, count, 1001);
}

static void
test_minmax_nan (void)
{
  double y[100];
  guint out[10];
  guint count;

  for (guint i = 0; i < G_N_ELEMENTS (y); i++)
    y[i] = i < 20 ? NAN : (double) (i % 7);

  /* 5 buckets of 20: the first is all NaN and stays as a single point. */
  count = lp_decimate_minmax (y, G_N_ELEMENTS (y), 10, out);
  g_assert_cmpuint (count, ==, 9);
  g_assert_cmpuint (out[0], ==, 0);
  g_assert_true (isnan (y[out[0]]));
  for (guint i = 1; i < count; i++)
    g_assert_false (isnan (y[out[i]]));
  assert_strictly_increasing (out, count, G_N_ELEMENTS (y));

  /* A NaN next to real values is not mistaken for an extreme. */
  y[25] = NAN;
  count = lp_decimate_minmax (y, G_N_ELEMENTS (y), 10, out);
  g_assert_false (contains (out, count, 25));
}

static void
test_minmax_flat (void)
{
  double y[50];
  guint out[10];
  guint count;

  for (guint i = 0; i < G_N_ELEMENTS (y); i++)
    y[i] = 2.0;

  /* Where min and max coincide a bucket contributes a single point. */
  count = lp_decimate_minmax (y, G_N_ELEMENTS (y), 10, out);
  g_assert_cmpuint (count, ==, 5);
  assert_strictly_increasing (out, count, G_N_ELEMENTS (y));
}

static void
test_columns_big (void)
{
  g_autofree double *x = g_new (double, BIG_N);
  g_autofree double *y = make_noisy_series (BIG_N);
  g_autofree guint *out = g_new (guint, 4 * 800 + 2);
  guint count;

  for (guint i = 0; i < BIG_N; i++)
    x[i] = i;
  y[SPIKE_INDEX] = 100.0;

  count = lp_decimate_columns (x, y, BIG_N, 0, BIG_N - 1, 800, out);

  g_assert_cmpuint (count, <=, 3202);
  g_assert_cmpuint (count, >=, 800);
  assert_strictly_increasing (out, count, BIG_N);
  g_assert_true (contains (out, count, SPIKE_INDEX));
  g_assert_cmpuint (out[0], ==, 0);
  g_assert_cmpuint (out[count - 1], ==, BIG_N - 1);
}

static void
test_columns_zoomed (void)
{
  g_autofree double *x = g_new (double, BIG_N);
  g_autofree double *y = make_noisy_series (BIG_N);
  g_autofree guint *out = g_new (guint, 4 * 800 + 2);
  guint count;

  /* Uneven spacing, as when logging frequency changes mid-run. */
  for (guint i = 0; i < BIG_N; i++)
    x[i] = i < BIG_N / 2 ? i * 2.0 : BIG_N + (i - BIG_N / 2) * 0.5;
  y[SPIKE_INDEX] = 100.0;

  {
    double lo = x[SPIKE_INDEX] - 1000.5;
    double hi = x[SPIKE_INDEX] + 1000.5;

    count = lp_decimate_columns (x, y, BIG_N, lo, hi, 800, out);
    g_assert_cmpuint (count, <=, 3202);
    assert_strictly_increasing (out, count, BIG_N);
    g_assert_true (contains (out, count, SPIKE_INDEX));

    /* One point either side of the view, then nothing further out. */
    g_assert_cmpfloat (x[out[0]], <, lo);
    g_assert_cmpfloat (x[out[1]], >=, lo);
    g_assert_cmpfloat (x[out[count - 1]], >, hi);
    g_assert_cmpfloat (x[out[count - 2]], <=, hi);
  }

  /* Zoomed in far enough that every point fits: all of them are kept. */
  count = lp_decimate_columns (x, y, BIG_N, 100.0, 120.0, 800, out);
  g_assert_cmpuint (count, ==, 11 + 2);
  for (guint i = 0; i < count; i++)
    g_assert_cmpuint (out[i], ==, 49 + i);

  /* A view between two samples keeps just the two neighbours. */
  count = lp_decimate_columns (x, y, BIG_N, 100.5, 101.5, 800, out);
  g_assert_cmpuint (count, ==, 2);
  g_assert_cmpuint (out[0], ==, 50);
  g_assert_cmpuint (out[1], ==, 51);

  /* A view entirely past the data keeps the last point only. */
  count = lp_decimate_columns (x, y, BIG_N, 1e9, 2e9, 800, out);
  g_assert_cmpuint (count, ==, 1);
  g_assert_cmpuint (out[0], ==, BIG_N - 1);

  /* A view entirely before the data keeps the first point only. */
  count = lp_decimate_columns (x, y, BIG_N, -20.0, -10.0, 800, out);
  g_assert_cmpuint (count, ==, 1);
  g_assert_cmpuint (out[0], ==, 0);
}

static void
test_columns_edges (void)
{
  const double x[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
  const double y[] = { 1, NAN, NAN, NAN, 2, 9, -9, 3 };
  guint out[4 * 2 + 2];
  guint count;

  count = lp_decimate_columns (x, y, 0, 0, 1, 10, out);
  g_assert_cmpuint (count, ==, 0);

  /* Columns [0,3.5) and [3.5,7]: the first keeps its NaN tail via "last". */
  count = lp_decimate_columns (x, y, G_N_ELEMENTS (x), 0, 7, 2, out);
  g_assert_cmpuint (count, ==, 6);
  g_assert_cmpuint (out[0], ==, 0);
  g_assert_cmpuint (out[1], ==, 3);
  g_assert_cmpuint (out[2], ==, 4);
  g_assert_cmpuint (out[3], ==, 5);
  g_assert_cmpuint (out[4], ==, 6);
  g_assert_cmpuint (out[5], ==, 7);

  /* An all-NaN column keeps its first and last points. */
  count = lp_decimate_columns (x, y, G_N_ELEMENTS (x), 1, 3, 1, out);
  g_assert_cmpuint (count, ==, 4);
  g_assert_cmpuint (out[0], ==, 0);
  g_assert_cmpuint (out[1], ==, 1);
  g_assert_cmpuint (out[2], ==, 3);
  g_assert_cmpuint (out[3], ==, 4);

  /* Zero-width view and zero columns do not divide by zero. */
  count = lp_decimate_columns (x, y, G_N_ELEMENTS (x), 4, 4, 0, out);
  g_assert_cmpuint (count, ==, 3);
  g_assert_cmpuint (out[0], ==, 3);
  g_assert_cmpuint (out[1], ==, 4);
  g_assert_cmpuint (out[2], ==, 5);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/decimate/minmax/passthrough", test_minmax_passthrough);
  g_test_add_func ("/decimate/minmax/keeps-spike", test_minmax_keeps_spike);
  g_test_add_func ("/decimate/minmax/odd-budget", test_minmax_odd_budget);
  g_test_add_func ("/decimate/minmax/nan", test_minmax_nan);
  g_test_add_func ("/decimate/minmax/flat", test_minmax_flat);
  g_test_add_func ("/decimate/columns/big", test_columns_big);
  g_test_add_func ("/decimate/columns/zoomed", test_columns_zoomed);
  g_test_add_func ("/decimate/columns/edges", test_columns_edges);

  return g_test_run ();
}
