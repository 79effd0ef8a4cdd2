/* test-smooth.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib.h>
#include <math.h>

#include "lp-smooth.h"

/* Values from TensorBoard's algorithm run by hand (Python):
 *   last = 0; n = 0
 *   for v in values: last = last * w + (1 - w) * v; n += 1; print(last / (1 - w ** n)) */
static void
test_matches_tensorboard (void)
{
  const double values[] = { 2.0, 1.0, 1.5, 0.5 };
  const double expected[] = { 2.0, 1.4736842105263157, 1.4833948339483396, 1.1974411166036638 };
  double smoothed[G_N_ELEMENTS (values)];

  lp_smooth_ema (values, G_N_ELEMENTS (values), 0.9, smoothed);
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    g_assert_cmpfloat_with_epsilon (smoothed[i], expected[i], 1e-12);
}

static void
test_debiased_start (void)
{
  double values[50], smoothed[50];

  /* A constant curve stays where it is: no drag towards zero at the start. */
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    values[i] = 1.8;
  lp_smooth_ema (values, G_N_ELEMENTS (values), LP_SMOOTH_WEIGHT_MAX, smoothed);
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    g_assert_cmpfloat_with_epsilon (smoothed[i], 1.8, 1e-9);
}

static void
test_weights (void)
{
  const double values[] = { 2.0, 1.0, 3.0 };
  double smoothed[3];
  LpEma ema;

  /* 0: the raw curve. */
  lp_smooth_ema (values, 3, 0, smoothed);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpfloat (smoothed[i], ==, values[i]);

  /* Out of range: held to what a user may pick. */
  lp_ema_init (&ema, 1.5);
  g_assert_cmpfloat (ema.weight, ==, LP_SMOOTH_WEIGHT_MAX);
  lp_ema_init (&ema, -1);
  g_assert_cmpfloat (ema.weight, ==, 0);
  lp_ema_init (&ema, NAN);
  g_assert_cmpfloat (ema.weight, ==, 0);
}

static void
test_non_finite (void)
{
  const double values[] = { 2.0, NAN, 1.0, INFINITY, 1.0 };
  const double clean[] = { 2.0, 1.0, 1.0 };
  double smoothed[5], expected[3];

  lp_smooth_ema (values, 5, 0.6, smoothed);
  lp_smooth_ema (clean, 3, 0.6, expected);

  /* Shown as they are, and skipped by the average. */
  g_assert_true (isnan (smoothed[1]));
  g_assert_true (isinf (smoothed[3]));
  g_assert_cmpfloat (smoothed[0], ==, expected[0]);
  g_assert_cmpfloat (smoothed[2], ==, expected[1]);
  g_assert_cmpfloat (smoothed[4], ==, expected[2]);
}

static void
test_incremental (void)
{
  double values[1000], smoothed[1000];
  LpEma ema;

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    values[i] = 2.0 * exp (-(double) i / 300) + 0.1 * sin (i);
  lp_smooth_ema (values, G_N_ELEMENTS (values), 0.95, smoothed);

  /* A running chart pushes new points on and gets the same curve. */
  lp_ema_init (&ema, 0.95);
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    g_assert_cmpfloat (lp_ema_push (&ema, values[i]), ==, smoothed[i]);
}

/* A curve that grows point by point gives what smoothing it whole gives;
 * a new weight or a shorter series starts it over. */
static void
test_curve (void)
{
  double raw[200], whole[200];
  LpEmaCurve curve;
  const double *values = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (raw); i++)
    raw[i] = 2.0 / (1.0 + i / 10.0) + (i % 7 == 0 ? 0.3 : 0.0);
  raw[50] = NAN;

  lp_ema_curve_init (&curve, 0.6);
  for (gsize n = 0; n <= G_N_ELEMENTS (raw); n += 13)
    values = lp_ema_curve_update (&curve, raw, n);
  values = lp_ema_curve_update (&curve, raw, G_N_ELEMENTS (raw));
  lp_smooth_ema (raw, G_N_ELEMENTS (raw), 0.6, whole);
  for (guint i = 0; i < G_N_ELEMENTS (raw); i++)
    if (isnan (whole[i]))
      g_assert_true (isnan (values[i]));
    else
      g_assert_cmpfloat (values[i], ==, whole[i]);

  lp_ema_curve_set_weight (&curve, 0.9);
  g_assert_cmpfloat (lp_ema_curve_get_weight (&curve), ==, 0.9);
  values = lp_ema_curve_update (&curve, raw, 100);
  lp_smooth_ema (raw, 100, 0.9, whole);
  g_assert_cmpfloat (values[99], ==, whole[99]);

  /* Another job's shorter series. */
  values = lp_ema_curve_update (&curve, raw + 100, 10);
  lp_smooth_ema (raw + 100, 10, 0.9, whole);
  g_assert_cmpfloat (values[9], ==, whole[9]);
  g_assert_cmpfloat (values[0], ==, raw[100]);

  lp_ema_curve_clear (&curve);
  lp_ema_curve_clear (&curve);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/smooth/matches-tensorboard", test_matches_tensorboard);
  g_test_add_func ("/smooth/debiased-start", test_debiased_start);
  g_test_add_func ("/smooth/weights", test_weights);
  g_test_add_func ("/smooth/non-finite", test_non_finite);
  g_test_add_func ("/smooth/incremental", test_incremental);
  g_test_add_func ("/smooth/curve", test_curve);

  return g_test_run ();
}
