/* lm-loss-plot.h: the plotting area of the loss curve
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * LmLossChart puts the title, legend and zoom buttons around this widget;
 * the plot owns the data, the visible range and the cursor point, and is
 * the one focus stop the keyboard moves the cursor in.
 */
#pragma once

#include <gtk/gtk.h>

#include "lp-types.h"

G_BEGIN_DECLS

#define LM_TYPE_LOSS_PLOT (lm_loss_plot_get_type ())

G_DECLARE_FINAL_TYPE (LmLossPlot, lm_loss_plot, LM, LOSS_PLOT, GtkWidget)

GtkWidget  *lm_loss_plot_new               (void);
void        lm_loss_plot_clear             (LmLossPlot   *self);
guint       lm_loss_plot_append            (LmLossPlot   *self,
                                            LpSeries      series,
                                            const gint64 *steps,
                                            const double *values,
                                            guint         n_points);
guint       lm_loss_plot_get_n_points      (LmLossPlot   *self,
                                            LpSeries      series);
gint64      lm_loss_plot_get_last_step     (LmLossPlot   *self);
gint64      lm_loss_plot_get_series_last_step (LmLossPlot *self,
                                            LpSeries    series);
gint64      lm_loss_plot_get_span          (LmLossPlot   *self);
void        lm_loss_plot_set_span          (LmLossPlot   *self,
                                            gint64        span);
void        lm_loss_plot_get_visible_range (LmLossPlot   *self,
                                            double       *step_min,
                                            double       *step_max);
gboolean    lm_loss_plot_get_log_scale     (LmLossPlot   *self);
void        lm_loss_plot_set_log_scale     (LmLossPlot   *self,
                                            gboolean      log_scale);
double      lm_loss_plot_get_smoothing     (LmLossPlot   *self);
void        lm_loss_plot_set_smoothing     (LmLossPlot   *self,
                                            double        weight);
gboolean    lm_loss_plot_get_value_range   (LmLossPlot   *self,
                                            double       *value_min,
                                            double       *value_max);
gint64      lm_loss_plot_get_cursor_step   (LmLossPlot   *self);
void        lm_loss_plot_set_cursor_step   (LmLossPlot   *self,
                                            gint64        step);
char       *lm_loss_plot_get_point_text    (LmLossPlot   *self);
char       *lm_loss_plot_describe          (LmLossPlot   *self);
void        lm_loss_plot_get_series_color  (GtkWidget    *widget,
                                            LpSeries      series,
                                            GdkRGBA      *color);

G_END_DECLS
