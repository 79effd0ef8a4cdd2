/* lm-loss-chart.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The frame around LmLossPlot: title, legend, zoom buttons and the cursor's
 * point text as a label, so the values under the cursor are readable
 * without a pointer and without a screen reader.
 *
 * Zoom keeps to the brief's three buttons: Zoom In shows the most recent
 * LM_LOSS_CHART_ZOOM_STEPS steps, Zoom Out doubles the steps shown until
 * they cover the whole history, Reset shows it all at once. A zoomed view
 * stays on the newest steps as points arrive.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "lp-format.h"
#include "lm-loss-chart.h"
#include "lm-loss-plot.h"

struct _LmLossChart
{
  GtkWidget       parent_instance;

  /* template widgets */
  LmLossPlot     *plot;
  GtkLabel       *point_label;
  GtkLabel       *error_label;
  GtkButton      *zoom_in_button;
  GtkDrawingArea *train_swatch;
  GtkDrawingArea *val_swatch;
  GtkAdjustment  *smoothing_adjustment;
  GtkToggleButton *log_scale_button;

  GSettings      *settings;
};

G_DEFINE_FINAL_TYPE (LmLossChart, lm_loss_chart, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CURSOR_STEP,
  PROP_LAST_STEP,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The steps the view covers, whole history or zoomed. */
static gint64
shown_steps (LmLossChart *self)
{
  gint64 all = MAX (lm_loss_plot_get_last_step (self->plot), 0);
  gint64 span = lm_loss_plot_get_span (self->plot);

  return span > 0 ? MIN (span, all) : all;
}

static void
update_actions (LmLossChart *self)
{
  gboolean zoomed = lm_loss_plot_get_span (self->plot) > 0;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chart.zoom-in",
                                 shown_steps (self) > LM_LOSS_CHART_ZOOM_STEPS);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chart.zoom-out", zoomed);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chart.zoom-reset", zoomed);
}

static void
update_point_label (LmLossChart *self)
{
  g_autofree char *text = lm_loss_plot_get_point_text (self->plot);

  gtk_label_set_label (self->point_label, text != NULL ? text : "");
}

static void
cursor_step_changed_cb (LmLossChart *self)
{
  update_point_label (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURSOR_STEP]);
}

static void
span_changed_cb (LmLossChart *self)
{
  update_actions (self);
}

static void
draw_swatch (GtkDrawingArea *area,
             cairo_t        *cr,
             int             width,
             int             height,
             gpointer        user_data)
{
  static const double dashes[] = { 4.0, 3.0 };
  LpSeries series = GPOINTER_TO_UINT (user_data);
  GdkRGBA color;

  /* The same colour and dash as the plot, so the legend is a sample. */
  lm_loss_plot_get_series_color (GTK_WIDGET (area), series, &color);
  gdk_cairo_set_source_rgba (cr, &color);
  cairo_set_line_width (cr, 2);
  if (series == LP_SERIES_VAL_LOSS)
    cairo_set_dash (cr, dashes, G_N_ELEMENTS (dashes), 0);
  cairo_move_to (cr, 0, height / 2.0);
  cairo_line_to (cr, width, height / 2.0);
  cairo_stroke (cr);

  cairo_arc (cr, width / 2.0, height / 2.0, 2.5, 0, 2 * G_PI);
  cairo_fill (cr);
}

static void
zoom_in_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  LmLossChart *self = LM_LOSS_CHART (widget);

  lm_loss_plot_set_span (self->plot, LM_LOSS_CHART_ZOOM_STEPS);
}

static void
zoom_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  LmLossChart *self = LM_LOSS_CHART (widget);
  gint64 span = lm_loss_plot_get_span (self->plot);
  gint64 all = MAX (lm_loss_plot_get_last_step (self->plot), 0);

  if (span == 0)
    return;

  /* Once doubling reaches the whole history, the view is simply "all",
   * which then also takes in steps before the zoomed window's start.
   */
  span = span > G_MAXINT64 / 2 ? G_MAXINT64 : span * 2;
  lm_loss_plot_set_span (self->plot, span >= all ? 0 : span);
}

static void
zoom_reset_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  LmLossChart *self = LM_LOSS_CHART (widget);

  lm_loss_plot_set_span (self->plot, 0);
}

static void
lm_loss_chart_dispose (GObject *object)
{
  GtkWidget *child;

  g_clear_object (&LM_LOSS_CHART (object)->settings);
  gtk_widget_dispose_template (GTK_WIDGET (object), LM_TYPE_LOSS_CHART);

  /* Only bound children are cleared by the template; the root goes here. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (lm_loss_chart_parent_class)->dispose (object);
}

static void
lm_loss_chart_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  LmLossChart *self = LM_LOSS_CHART (object);

  switch (prop_id)
    {
    case PROP_CURSOR_STEP: g_value_set_int64 (value, lm_loss_chart_get_cursor_step (self)); break;
    case PROP_LAST_STEP: g_value_set_int64 (value, lm_loss_chart_get_last_step (self)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_loss_chart_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  LmLossChart *self = LM_LOSS_CHART (object);

  switch (prop_id)
    {
    case PROP_CURSOR_STEP: lm_loss_chart_set_cursor_step (self, g_value_get_int64 (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_loss_chart_class_init (LmLossChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lm_loss_chart_dispose;
  object_class->get_property = lm_loss_chart_get_property;
  object_class->set_property = lm_loss_chart_set_property;

  /**
   * LmLossChart:cursor-step:
   *
   * The step of the point under the cursor, or -1 for none; see
   * lm_loss_chart_set_cursor_step().
   */
  properties[PROP_CURSOR_STEP] =
    g_param_spec_int64 ("cursor-step", NULL, NULL, -1, G_MAXINT64, -1,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * LmLossChart:last-step:
   *
   * The highest step of either series, or -1 without points: what to ask
   * the next `since_step` poll for.
   */
  properties[PROP_LAST_STEP] =
    g_param_spec_int64 ("last-step", NULL, NULL, -1, G_MAXINT64, -1,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (LM_TYPE_LOSS_PLOT);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lorapipeline/Monitor/ui/lm-loss-chart.ui");
  gtk_widget_class_bind_template_child (widget_class, LmLossChart, plot);
  gtk_widget_class_bind_template_child (widget_class, LmLossChart, point_label);
  gtk_widget_class_bind_template_child (widget_class, LmLossChart, error_label);
  gtk_widget_class_bind_template_child (widget_class, LmLossChart, zoom_in_button);
  gtk_widget_class_bind_template_child (widget_class, LmLossChart, train_swatch);
  gtk_widget_class_bind_template_child (widget_class, LmLossChart, val_swatch);
  gtk_widget_class_bind_template_child (widget_class, LmLossChart, smoothing_adjustment);
  gtk_widget_class_bind_template_child (widget_class, LmLossChart, log_scale_button);
  gtk_widget_class_bind_template_callback (widget_class, cursor_step_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, span_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, update_point_label);

  gtk_widget_class_install_action (widget_class, "chart.zoom-in", NULL, zoom_in_action);
  gtk_widget_class_install_action (widget_class, "chart.zoom-out", NULL, zoom_out_action);
  gtk_widget_class_install_action (widget_class, "chart.zoom-reset", NULL, zoom_reset_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "losschart");
}

static void
lm_loss_chart_init (LmLossChart *self)
{
  g_autofree char *steps = lp_format_count (LM_LOSS_CHART_ZOOM_STEPS);
  g_autofree char *tooltip = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Translators: %s is a number of training steps, e.g. "500". */
  tooltip = g_strdup_printf (_("Zoom In: show the most recent %s steps"), steps);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->zoom_in_button), tooltip);

  gtk_drawing_area_set_draw_func (self->train_swatch, draw_swatch,
                                  GUINT_TO_POINTER (LP_SERIES_TRAIN_LOSS), NULL);
  gtk_drawing_area_set_draw_func (self->val_swatch, draw_swatch,
                                  GUINT_TO_POINTER (LP_SERIES_VAL_LOSS), NULL);

  /* One smoothing for every job, remembered, as TensorBoard's slider. */
  self->settings = g_settings_new (APP_ID);
  g_object_bind_property (self->smoothing_adjustment, "value", self->plot, "smoothing",
                          G_BINDING_SYNC_CREATE);
  g_settings_bind (self->settings, "chart-smoothing", self->smoothing_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_object_bind_property (self->log_scale_button, "active", self->plot, "log-scale",
                          G_BINDING_SYNC_CREATE);
  g_settings_bind (self->settings, "chart-log-scale", self->log_scale_button, "active",
                   G_SETTINGS_BIND_DEFAULT);

  update_actions (self);
  update_point_label (self);
}

GtkWidget *
lm_loss_chart_new (void)
{
  return g_object_new (LM_TYPE_LOSS_CHART, NULL);
}

/**
 * lm_loss_chart_clear:
 * @self: a #LmLossChart
 *
 * Forgets every point, the zoom and the cursor, for another job.
 */
void
lm_loss_chart_clear (LmLossChart *self)
{
  gint64 old_last;

  g_return_if_fail (LM_IS_LOSS_CHART (self));

  old_last = lm_loss_plot_get_last_step (self->plot);
  lm_loss_plot_clear (self->plot);
  lm_loss_chart_set_error (self, NULL);
  update_actions (self);
  update_point_label (self);

  if (old_last != -1)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_STEP]);
}

/**
 * lm_loss_chart_append:
 * @self: a #LmLossChart
 * @series: %LP_SERIES_TRAIN_LOSS or %LP_SERIES_VAL_LOSS
 * @steps: (array length=n_points): the points' steps, ascending
 * @values: (array length=n_points): the points' losses; NaN is drawn as a gap
 * @n_points: how many points
 *
 * Adds the points after the series' last step and ignores the others, so
 * a `since_step` poll that overlaps the points already drawn is harmless.
 */
void
lm_loss_chart_append (LmLossChart  *self,
                      LpSeries      series,
                      const gint64 *steps,
                      const double *values,
                      guint         n_points)
{
  gint64 old_last;

  g_return_if_fail (LM_IS_LOSS_CHART (self));

  old_last = lm_loss_plot_get_last_step (self->plot);
  if (lm_loss_plot_append (self->plot, series, steps, values, n_points) == 0)
    return;

  update_actions (self);
  update_point_label (self);

  if (lm_loss_plot_get_last_step (self->plot) != old_last)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_STEP]);
}

guint
lm_loss_chart_get_n_points (LmLossChart *self,
                            LpSeries     series)
{
  g_return_val_if_fail (LM_IS_LOSS_CHART (self), 0);

  return lm_loss_plot_get_n_points (self->plot, series);
}

/**
 * lm_loss_chart_get_last_step:
 * @self: a #LmLossChart
 *
 * Returns: the highest step of either series, or -1 without points
 */
gint64
lm_loss_chart_get_last_step (LmLossChart *self)
{
  g_return_val_if_fail (LM_IS_LOSS_CHART (self), -1);

  return lm_loss_plot_get_last_step (self->plot);
}

/**
 * lm_loss_chart_get_series_last_step:
 * @self: a #LmLossChart
 * @series: %LP_SERIES_TRAIN_LOSS or %LP_SERIES_VAL_LOSS
 *
 * Returns: the highest step of @series, or -1 without points: what to
 *   ask that series' next poll for
 */
gint64
lm_loss_chart_get_series_last_step (LmLossChart *self,
                                    LpSeries     series)
{
  g_return_val_if_fail (LM_IS_LOSS_CHART (self), -1);

  return lm_loss_plot_get_series_last_step (self->plot, series);
}

/**
 * lm_loss_chart_get_visible_range:
 * @self: a #LmLossChart
 * @step_min: (out) (optional): the step at the left edge
 * @step_max: (out) (optional): the step at the right edge
 *
 * The whole history is step 0 to the last step; zoomed, the most recent
 * steps up to the last. The range is at least 10 steps wide.
 */
void
lm_loss_chart_get_visible_range (LmLossChart *self,
                                 double      *step_min,
                                 double      *step_max)
{
  g_return_if_fail (LM_IS_LOSS_CHART (self));

  lm_loss_plot_get_visible_range (self->plot, step_min, step_max);
}

/**
 * lm_loss_chart_get_value_range:
 * @self: a #LmLossChart
 * @value_min: (out) (optional): the loss at the bottom of the scale
 * @value_max: (out) (optional): the loss at the top of the scale
 *
 * Returns: %FALSE before the chart's first frame
 */
gboolean
lm_loss_chart_get_value_range (LmLossChart *self,
                               double      *value_min,
                               double      *value_max)
{
  g_return_val_if_fail (LM_IS_LOSS_CHART (self), FALSE);

  return lm_loss_plot_get_value_range (self->plot, value_min, value_max);
}

/**
 * lm_loss_chart_set_cursor_step:
 * @self: a #LmLossChart
 * @step: a step, or -1 to remove the cursor
 *
 * Puts the cursor on the training loss point nearest @step (on the
 * validation loss while there is no training loss).
 */
void
lm_loss_chart_set_cursor_step (LmLossChart *self,
                               gint64       step)
{
  g_return_if_fail (LM_IS_LOSS_CHART (self));

  lm_loss_plot_set_cursor_step (self->plot, step);
}

gint64
lm_loss_chart_get_cursor_step (LmLossChart *self)
{
  g_return_val_if_fail (LM_IS_LOSS_CHART (self), -1);

  return lm_loss_plot_get_cursor_step (self->plot);
}

/**
 * lm_loss_chart_get_point_text:
 * @self: a #LmLossChart
 *
 * The text of the cursor's point, or of the newest point without a
 * cursor: "Step 850: Training Loss 0.342, Validation Loss 0.358". Between
 * validation runs it gives the latest earlier one with its step,
 * "Validation Loss 0.358 (step 800)", and before the first one "no
 * validation loss yet"; the tooltip and the label under the chart show
 * the same text.
 *
 * Returns: (transfer full) (nullable): the text, or %NULL without points
 */
char *
lm_loss_chart_get_point_text (LmLossChart *self)
{
  g_return_val_if_fail (LM_IS_LOSS_CHART (self), NULL);

  return lm_loss_plot_get_point_text (self->plot);
}

/**
 * lm_loss_chart_describe:
 * @self: a #LmLossChart
 *
 * The chart in words, also the plot's accessible description, e.g.
 * "Training loss from 1.74 at step 10 to 0.34 at step 850, falling;
 * validation loss 0.36 at step 800. Showing steps 0 to 850.", followed by
 * "Selected: …" and the point text while there is a cursor.
 *
 * Returns: (transfer full): the description
 */
char *
lm_loss_chart_describe (LmLossChart *self)
{
  g_return_val_if_fail (LM_IS_LOSS_CHART (self), NULL);

  return lm_loss_plot_describe (self->plot);
}

/**
 * lm_loss_chart_set_error:
 * @self: a #LmLossChart
 * @message: (nullable): why the metrics could not be loaded, or %NULL
 *
 * Says under the title that the curve is not up to date, as plain text;
 * the points already drawn stay.
 */
void
lm_loss_chart_set_error (LmLossChart *self,
                         const char  *message)
{
  g_return_if_fail (LM_IS_LOSS_CHART (self));

  gtk_label_set_label (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL && *message != '\0');
}

/* Returns: (nullable): the message shown, or %NULL */
const char *
lm_loss_chart_get_error (LmLossChart *self)
{
  const char *text;

  g_return_val_if_fail (LM_IS_LOSS_CHART (self), NULL);

  text = gtk_label_get_label (self->error_label);
  return text != NULL && *text != '\0' ? text : NULL;
}
