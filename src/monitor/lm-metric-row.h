/* lm-metric-row.h: one line of the Current Metrics panel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum {
  LM_METRIC_LOSS,        /* value with a trend: lower is better */
  LM_METRIC_PLAIN,       /* value only */
  LM_METRIC_PERCENT,     /* a percentage with a level bar */
} LmMetricKind;

#define LM_TYPE_METRIC_ROW (lm_metric_row_get_type ())

G_DECLARE_FINAL_TYPE (LmMetricRow, lm_metric_row, LM, METRIC_ROW, GtkWidget)

GtkWidget  *lm_metric_row_new          (const char   *title,
                                        LmMetricKind  kind);
void        lm_metric_row_set_values   (LmMetricRow  *self,
                                        double        current,
                                        double        previous);
const char *lm_metric_row_get_value_text (LmMetricRow *self);
const char *lm_metric_row_get_trend_text (LmMetricRow *self);
const char *lm_metric_row_get_trend_class (LmMetricRow *self);

G_END_DECLS
