/* lp-smooth.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TensorBoard's scalar smoothing (resmoothDataset() in
 * tensorboard/components/vz_line_chart2/line-chart.ts), which W&B copies
 * too: users compare our curves with theirs, so the numbers must agree.
 */
#include "config.h"

#include <math.h>

#include "lp-smooth.h"

void
lp_ema_init (LpEma  *ema,
             double  weight)
{
  g_return_if_fail (ema != NULL);

  ema->weight = isfinite (weight) ? CLAMP (weight, 0.0, LP_SMOOTH_WEIGHT_MAX) : 0.0;
  ema->last = 0;
  ema->count = 0;
}

/* The smoothed value at @value. A NaN or infinite loss is shown as it is
 * and leaves the average alone, as in TensorBoard: a diverged step must
 * stay visible, and must not poison every later point. */
double
lp_ema_push (LpEma  *ema,
             double  value)
{
  double debias;

  g_return_val_if_fail (ema != NULL, value);

  if (!isfinite (value))
    return value;

  ema->last = ema->last * ema->weight + (1 - ema->weight) * value;
  ema->count++;
  debias = 1 - pow (ema->weight, (double) ema->count);

  return debias > 0 ? ema->last / debias : value;
}

void
lp_smooth_ema (const double *values,
               gsize         n_values,
               double        weight,
               double       *smoothed)
{
  LpEma ema;

  g_return_if_fail (n_values == 0 || (values != NULL && smoothed != NULL));

  lp_ema_init (&ema, weight);
  for (gsize i = 0; i < n_values; i++)
    smoothed[i] = lp_ema_push (&ema, values[i]);
}

/**
 * lp_ema_curve_init:
 * @curve: a curve to set up
 * @weight: its smoothing, 0 to %LP_SMOOTH_WEIGHT_MAX
 */
void
lp_ema_curve_init (LpEmaCurve *curve,
                   double      weight)
{
  g_return_if_fail (curve != NULL);

  lp_ema_init (&curve->ema, weight);
  curve->values = g_array_new (FALSE, FALSE, sizeof (double));
}

void
lp_ema_curve_clear (LpEmaCurve *curve)
{
  g_return_if_fail (curve != NULL);

  g_clear_pointer (&curve->values, g_array_unref);
}

double
lp_ema_curve_get_weight (const LpEmaCurve *curve)
{
  g_return_val_if_fail (curve != NULL, 0);

  return curve->ema.weight;
}

/* A new weight smooths the whole series again, at the next update. */
void
lp_ema_curve_set_weight (LpEmaCurve *curve,
                         double      weight)
{
  g_return_if_fail (curve != NULL && curve->values != NULL);

  lp_ema_init (&curve->ema, weight);
  g_array_set_size (curve->values, 0);
}

/**
 * lp_ema_curve_update:
 * @curve: a curve
 * @raw: the series, its points in step order
 * @n_raw: how many
 *
 * Smooths the points of @raw not seen yet. A series that got shorter (a
 * new job in the same chart) is smoothed again from its start.
 *
 * Returns: (transfer none): @n_raw smoothed values, valid until the next
 *   call
 */
const double *
lp_ema_curve_update (LpEmaCurve   *curve,
                     const double *raw,
                     gsize         n_raw)
{
  gsize done;

  g_return_val_if_fail (curve != NULL && curve->values != NULL, NULL);
  g_return_val_if_fail (n_raw == 0 || raw != NULL, NULL);

  if (n_raw < curve->values->len)
    lp_ema_curve_set_weight (curve, curve->ema.weight);

  done = curve->values->len;
  g_array_set_size (curve->values, (guint) n_raw);
  for (gsize i = done; i < n_raw; i++)
    g_array_index (curve->values, double, i) = lp_ema_push (&curve->ema, raw[i]);

  return (const double *) (gpointer) curve->values->data;
}
