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
