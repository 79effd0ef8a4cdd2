/* lm-loss-chart.h: the loss curve, drawn by the app itself
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "lp-types.h"

G_BEGIN_DECLS

#define LM_TYPE_LOSS_CHART (lm_loss_chart_get_type ())

G_DECLARE_FINAL_TYPE (LmLossChart, lm_loss_chart, LM, LOSS_CHART, GtkWidget)

/* How many of the most recent steps "Zoom In" shows. */
#define LM_LOSS_CHART_ZOOM_STEPS 500

GtkWidget  *lm_loss_chart_new              (void);
void        lm_loss_chart_clear            (LmLossChart  *self);
void        lm_loss_chart_append           (LmLossChart  *self,
                                            LpSeries      series,
                                            const gint64 *steps,
                                            const double *values,
                                            guint         n_points);
guint       lm_loss_chart_get_n_points     (LmLossChart  *self,
                                            LpSeries      series);
gint64      lm_loss_chart_get_last_step    (LmLossChart  *self);
gint64      lm_loss_chart_get_series_last_step (LmLossChart *self,
                                            LpSeries     series);
void        lm_loss_chart_get_visible_range (LmLossChart *self,
                                            double       *step_min,
                                            double       *step_max);
gboolean    lm_loss_chart_get_value_range  (LmLossChart  *self,
                                            double       *value_min,
                                            double       *value_max);
void        lm_loss_chart_set_cursor_step  (LmLossChart  *self,
                                            gint64        step);
gint64      lm_loss_chart_get_cursor_step  (LmLossChart  *self);
char       *lm_loss_chart_get_point_text   (LmLossChart  *self);
char       *lm_loss_chart_describe         (LmLossChart  *self);
void        lm_loss_chart_set_error        (LmLossChart  *self,
                                            const char   *message);
const char *lm_loss_chart_get_error        (LmLossChart  *self);

G_END_DECLS
