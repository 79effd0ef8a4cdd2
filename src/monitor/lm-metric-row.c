/* lm-metric-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A trend is an arrow, a signed percentage and a colour, and the accessible
 * label says it in words ("down 12.1% from previous"): never colour alone.
 */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "lp-calc.h"
#include "lp-format.h"
#include "lm-metric-row.h"

#define FLASH_MS 1000
/* GPU utilisation below this is worth a look (the brief's yellow). */
#define GPU_LOW_PERCENT 50.0

struct _LmMetricRow
{
  GtkWidget     parent_instance;

  LmMetricKind  kind;
  char         *title;
  GtkLabel     *title_label;
  GtkLabel     *value_label;
  GtkLabel     *trend_label;
  GtkLevelBar  *level;
  const char   *trend_class;
  guint         flash_id;
};

G_DEFINE_FINAL_TYPE (LmMetricRow, lm_metric_row, GTK_TYPE_WIDGET)

static gboolean
unflash_cb (gpointer data)
{
  LmMetricRow *self = data;

  self->flash_id = 0;
  gtk_widget_remove_css_class (GTK_WIDGET (self->value_label), "flash");
  return G_SOURCE_REMOVE;
}

static void
set_trend_class (LmMetricRow *self,
                 const char  *css_class)
{
  if (self->trend_class != NULL)
    gtk_widget_remove_css_class (GTK_WIDGET (self->trend_label), self->trend_class);
  self->trend_class = css_class;
  if (css_class != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->trend_label), css_class);
}

void
lm_metric_row_set_values (LmMetricRow *self,
                          double       current,
                          double       previous)
{
  g_autofree char *value = NULL;
  g_autofree char *accessible = NULL;
  const char *old_value;

  g_return_if_fail (LM_IS_METRIC_ROW (self));

  if (self->kind == LM_METRIC_PERCENT)
    value = isnan (current) ? g_strdup ("—") : lp_format_percent (round (current));
  else
    value = lp_format_metric (current);

  /* A changed value flashes, so an eye drawn to the panel sees what moved. */
  old_value = gtk_label_get_label (self->value_label);
  if (old_value[0] != '\0' && !g_str_equal (old_value, "—") && g_strcmp0 (old_value, value) != 0)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->value_label), "flash");
      g_clear_handle_id (&self->flash_id, g_source_remove);
      self->flash_id = g_timeout_add (FLASH_MS, unflash_cb, self);
    }
  gtk_label_set_label (self->value_label, value);

  switch (self->kind)
    {
    case LM_METRIC_LOSS:
      if (isnan (current) || isnan (previous))
        {
          gtk_label_set_label (self->trend_label, "");
          set_trend_class (self, NULL);
          accessible = g_strdup_printf ("%s %s", self->title, value);
        }
      else
        {
          double change = 0;
          LpTrend trend = lp_trend (current, previous, TRUE, &change);
          g_autofree char *pct = lp_format_change_percent (change);
          g_autofree char *text = NULL;
          g_autofree char *abs_pct = g_strdup_printf ("%.1f%%", fabs (change));

          switch (trend)
            {
            case LP_TREND_IMPROVING:
              text = g_strdup_printf ("↓ %s", pct);
              set_trend_class (self, "trend-improving");
              /* Translators: e.g. "Training Loss 0.342, down 12.1% from previous" */
              accessible = g_strdup_printf (_("%s %s, down %s from previous, improving"),
                                            self->title, value, abs_pct);
              break;
            case LP_TREND_WORSENING:
              text = g_strdup_printf ("↑ %s", pct);
              set_trend_class (self, "trend-worsening");
              accessible = g_strdup_printf (_("%s %s, up %s from previous, worsening"),
                                            self->title, value, abs_pct);
              break;
            case LP_TREND_STABLE:
            default:
              text = g_strdup_printf ("→ %s", pct);
              set_trend_class (self, "trend-stable");
              accessible = g_strdup_printf (_("%s %s, stable"), self->title, value);
              break;
            }
          gtk_label_set_label (self->trend_label, text);
        }
      break;

    case LM_METRIC_PERCENT:
      gtk_level_bar_set_value (self->level, isnan (current) ? 0 : CLAMP (current, 0, 100));
      if (!isnan (current) && current < GPU_LOW_PERCENT)
        {
          gtk_widget_add_css_class (GTK_WIDGET (self->level), "low");
          /* Translators: e.g. "GPU Utilization 45%, low" */
          accessible = g_strdup_printf (_("%s %s, low"), self->title, value);
        }
      else
        {
          gtk_widget_remove_css_class (GTK_WIDGET (self->level), "low");
          accessible = g_strdup_printf ("%s %s", self->title, value);
        }
      break;

    case LM_METRIC_PLAIN:
    default:
      accessible = g_strdup_printf ("%s %s", self->title, value);
      break;
    }

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
}

static void
lm_metric_row_dispose (GObject *object)
{
  LmMetricRow *self = (LmMetricRow *) object;
  GtkWidget *child;

  g_clear_handle_id (&self->flash_id, g_source_remove);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);
  g_clear_pointer (&self->title, g_free);

  G_OBJECT_CLASS (lm_metric_row_parent_class)->dispose (object);
}

static void
lm_metric_row_class_init (LmMetricRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lm_metric_row_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "metricrow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
lm_metric_row_init (LmMetricRow *self)
{
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (gtk_widget_get_layout_manager (GTK_WIDGET (self))), 12);
}

GtkWidget *
lm_metric_row_new (const char   *title,
                   LmMetricKind  kind)
{
  LmMetricRow *self = g_object_new (LM_TYPE_METRIC_ROW, NULL);
  GtkWidget *right;

  self->kind = kind;
  self->title = g_strdup (title);

  self->title_label = GTK_LABEL (gtk_label_new (title));
  gtk_label_set_xalign (self->title_label, 0);
  gtk_widget_set_hexpand (GTK_WIDGET (self->title_label), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->title_label), "dim-label");
  gtk_widget_set_parent (GTK_WIDGET (self->title_label), GTK_WIDGET (self));

  self->value_label = GTK_LABEL (gtk_label_new (""));
  gtk_widget_add_css_class (GTK_WIDGET (self->value_label), "metric-value");
  gtk_widget_add_css_class (GTK_WIDGET (self->value_label), "numeric");
  gtk_widget_set_parent (GTK_WIDGET (self->value_label), GTK_WIDGET (self));

  if (kind == LM_METRIC_PERCENT)
    {
      self->level = GTK_LEVEL_BAR (gtk_level_bar_new_for_interval (0, 100));
      gtk_level_bar_remove_offset_value (self->level, GTK_LEVEL_BAR_OFFSET_LOW);
      gtk_level_bar_remove_offset_value (self->level, GTK_LEVEL_BAR_OFFSET_HIGH);
      gtk_level_bar_remove_offset_value (self->level, GTK_LEVEL_BAR_OFFSET_FULL);
      gtk_widget_set_size_request (GTK_WIDGET (self->level), 90, -1);
      gtk_widget_set_valign (GTK_WIDGET (self->level), GTK_ALIGN_CENTER);
      gtk_accessible_update_state (GTK_ACCESSIBLE (self->level), GTK_ACCESSIBLE_STATE_HIDDEN, TRUE, -1);
      right = GTK_WIDGET (self->level);
    }
  else
    {
      self->trend_label = GTK_LABEL (gtk_label_new (""));
      gtk_label_set_width_chars (self->trend_label, 9);
      gtk_label_set_xalign (self->trend_label, 1);
      gtk_widget_add_css_class (GTK_WIDGET (self->trend_label), "numeric");
      right = GTK_WIDGET (self->trend_label);
    }
  gtk_widget_set_parent (right, GTK_WIDGET (self));

  lm_metric_row_set_values (self, NAN, NAN);
  return GTK_WIDGET (self);
}

const char *
lm_metric_row_get_value_text (LmMetricRow *self)
{
  g_return_val_if_fail (LM_IS_METRIC_ROW (self), NULL);
  return gtk_label_get_label (self->value_label);
}

const char *
lm_metric_row_get_trend_text (LmMetricRow *self)
{
  g_return_val_if_fail (LM_IS_METRIC_ROW (self), NULL);
  return self->trend_label ? gtk_label_get_label (self->trend_label) : NULL;
}

const char *
lm_metric_row_get_trend_class (LmMetricRow *self)
{
  g_return_val_if_fail (LM_IS_METRIC_ROW (self), NULL);
  return self->trend_class;
}
