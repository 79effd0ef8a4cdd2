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

/* A smoothed copy of a series that only grows: a chart's new points are
 * smoothed as they come, not the million before them again. */
typedef struct
{
  LpEma   ema;
  GArray *values;       /* double */
} LpEmaCurve;

void          lp_ema_curve_init   (LpEmaCurve   *curve,
                                   double        weight);
void          lp_ema_curve_clear  (LpEmaCurve   *curve);
double        lp_ema_curve_get_weight (const LpEmaCurve *curve);
void          lp_ema_curve_set_weight (LpEmaCurve *curve,
                                   double        weight);
const double *lp_ema_curve_update (LpEmaCurve   *curve,
                                   const double *raw,
                                   gsize         n_raw);

G_END_DECLS
