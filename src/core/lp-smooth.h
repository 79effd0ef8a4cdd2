/* lp-smooth.h: smoothing a loss curve the way TensorBoard does
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The weights a user may pick: 0 leaves the curve as it is, and at 1 it
 * would never move from its first point. */
#define LP_SMOOTH_WEIGHT_MAX 0.99

/* An exponential moving average, debiased: its start is not dragged
 * towards zero. Fed in step order; a running chart pushes new points on. */
typedef struct
{
  double  weight;
  double  last;
  guint64 count;
} LpEma;

void    lp_ema_init   (LpEma        *ema,
                       double        weight);
double  lp_ema_push   (LpEma        *ema,
                       double        value);
void    lp_smooth_ema (const double *values,
                       gsize         n_values,
                       double        weight,
                       double       *smoothed);

G_END_DECLS
