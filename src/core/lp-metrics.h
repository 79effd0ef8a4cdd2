/* lp-metrics.h: a job's metric series and latest values
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "lp-types.h"

G_BEGIN_DECLS

typedef struct
{
  GArray *steps;   /* gint64 */
  GArray *values;  /* double */
} LpSeriesData;

/* Absent values are NAN (and step -1), so "no validation loss yet" is
 * distinguishable from a loss of 0. */
typedef struct
{
  gint64 step;
  double epoch;
  gint64 ts;
  double train_loss;
  double prev_train_loss;
  double val_loss;
  double prev_val_loss;
  double learning_rate;
  double gpu_util;
} LpMetricsLatest;

typedef struct
{
  gint64          job_id;
  gboolean        has_series;
  LpSeriesData    series[LP_N_SERIES];
  LpMetricsLatest latest;
} LpMetrics;

LpMetrics *lp_metrics_new            (gint64       job_id);
void       lp_metrics_free           (LpMetrics   *metrics);
void       lp_metrics_latest_clear   (LpMetricsLatest *latest);
void       lp_metrics_to_json        (LpMetrics   *metrics,
                                      JsonBuilder *builder);
LpMetrics *lp_metrics_new_from_json  (JsonObject  *object,
                                      GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpMetrics, lp_metrics_free)

G_END_DECLS
