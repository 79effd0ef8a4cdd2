/* lp-decimate.h: thinning a series without losing its spikes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

guint lp_decimate_minmax   (const double *y,
                            guint         n,
                            guint         max_points,
                            guint        *out_indices);
guint lp_decimate_columns  (const double *x,
                            const double *y,
                            guint         n,
                            double        x_min,
                            double        x_max,
                            guint         columns,
                            guint        *out_indices);

G_END_DECLS
