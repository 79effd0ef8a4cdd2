/* lp-axis.h: "nice" axis ticks and their labels
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Ticks fall on multiples of 1, 2 or 5 × 10^k, the steps a reader can add up
 * in their head. Labels along one axis share one format, chosen from the
 * tick step rather than from each value, so "0.5" never sits next to "1".
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

double    lp_axis_nice_step     (double   span,
                                 guint    max_ticks);
gboolean  lp_axis_ticks         (double   min,
                                 double   max,
                                 guint    max_ticks,
                                 double  *out,
                                 guint   *n_out,
                                 double  *step);
void      lp_axis_nice_range    (double   min,
                                 double   max,
                                 guint    max_ticks,
                                 double  *nice_min,
                                 double  *nice_max);
void      lp_axis_value_range   (double   data_min,
                                 double   data_max,
                                 gboolean fit,
                                 double   full_top,
                                 double  *min,
                                 double  *max);
void      lp_axis_log_range     (double   data_min,
                                 double   data_max,
                                 double  *min,
                                 double  *max);
guint     lp_axis_log_ticks     (double   min,
                                 double   max,
                                 guint    max_ticks,
                                 double  *out,
                                 guint    capacity);
guint     lp_axis_decimals      (double   step);
char     *lp_axis_format_value  (double   value,
                                 double   step);
char     *lp_axis_format_step   (double   value,
                                 double   step);
char     *lp_axis_format_loss   (double   value,
                                 guint    decimals);

G_END_DECLS
