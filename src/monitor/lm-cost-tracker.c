/* lm-cost-tracker.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The arithmetic (percent of the estimate, level, bar fraction) is the
 * core's; this widget only shows it. The spend is passed in so the page
 * can tick it every second between polls.
 */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "lp-calc.h"
#include "lp-format.h"
#include "lm-cost-tracker.h"

struct _LmCostTracker
{
  GtkWidget    parent_instance;

  GtkBox      *warning_box;
  GtkLabel    *warning_label;
  GtkLabel    *spend_label;
  GtkLevelBar *level;
  GtkLabel    *estimate_label;
  GtkLabel    *rate_label;
  GtkLabel    *projected_label;
  GtkLabel    *variance_label;

  const char  *level_class;
};

G_DEFINE_FINAL_TYPE (LmCostTracker, lm_cost_tracker, GTK_TYPE_WIDGET)

static const char *
level_class (LpCostLevel level)
{
  switch (level)
    {
    case LP_COST_LEVEL_WARNING: return "cost-warning";
    case LP_COST_LEVEL_OVER: return "cost-over";
    case LP_COST_LEVEL_OK:
    default: return "cost-ok";
    }
}

static void
set_level_class (LmCostTracker *self,
                 const char    *css_class)
{
  if (self->level_class != NULL)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->spend_label), self->level_class);
      gtk_widget_remove_css_class (GTK_WIDGET (self->level), self->level_class);
    }
  self->level_class = css_class;
  gtk_widget_add_css_class (GTK_WIDGET (self->spend_label), css_class);
  gtk_widget_add_css_class (GTK_WIDGET (self->level), css_class);
}

void
lm_cost_tracker_update (LmCostTracker *self,
                        LpJob         *job,
                        double         spend)
{
  g_autofree char *spend_text = lp_format_money (spend);
  g_autofree char *rate = lp_format_hourly_rate (lp_job_get_hourly_rate (job), lp_job_get_pricing (job));
  g_autofree char *projected_money = NULL;
  g_autofree char *projected = NULL;
  g_autofree char *accessible = NULL;
  gboolean has_estimate = lp_job_has_estimate (job);
  LpJobStatus status = lp_job_get_status (job);
  double est_min = lp_job_get_estimate_min (job);
  double est_max = lp_job_get_estimate_max (job);

  g_return_if_fail (LM_IS_COST_TRACKER (self));

  gtk_label_set_label (self->spend_label, spend_text);
  gtk_label_set_label (self->rate_label, rate);

  /* A finished job's projection is its final cost; say so plainly. */
  projected_money = lp_format_money (lp_job_status_is_finished (status) ? spend
                                                                         : MAX (spend, lp_job_get_projected_cost (job)));
  projected = g_strdup_printf (lp_job_status_is_finished (status) ? _("Final: %s") : _("Projected: %s"),
                               projected_money);
  gtk_label_set_label (self->projected_label, projected);
  gtk_widget_set_visible (GTK_WIDGET (self->variance_label), !lp_job_status_is_finished (status));

  gtk_widget_set_visible (GTK_WIDGET (self->level), has_estimate);

  if (has_estimate)
    {
      g_autofree char *range = lp_format_estimate_range (est_min, est_max);
      g_autofree char *percent = lp_format_percent (lp_estimate_percent (spend, est_min));
      g_autofree char *estimate = NULL;
      double projected_cost = lp_job_status_is_finished (status) ? spend
                                                                   : MAX (spend, lp_job_get_projected_cost (job));
      LpCostLevel level = lp_cost_level (spend, projected_cost, est_max);

      /* Translators: e.g. "49% of $45-55 estimate" */
      estimate = g_strdup_printf (_("%s of %s estimate"), percent, range);
      gtk_label_set_label (self->estimate_label, estimate);
      gtk_level_bar_set_value (self->level, lp_cost_bar_fraction (spend, est_max));
      set_level_class (self, level_class (level));

      if (level == LP_COST_LEVEL_OVER)
        {
          /* Whole dollars, as the brief writes it, unless rounding would
           * make the spend look no higher than the estimate ("$11 vs $11-14"). */
          g_autofree char *whole = round (spend) > est_max ? lp_format_money_whole (spend)
                                                           : lp_format_money (spend);
          g_autofree char *warning =
            /* Translators: e.g. "Cost exceeding estimate: $54 vs $45-55 estimated" */
            g_strdup_printf (_("Cost exceeding estimate: %s vs %s estimated"), whole, range);

          gtk_label_set_label (self->warning_label, warning);
        }
      gtk_widget_set_visible (GTK_WIDGET (self->warning_box), level == LP_COST_LEVEL_OVER);

      /* Translators: e.g. "Current spend $22.18, 49% of estimated $45-55, within budget" */
      accessible = g_strdup_printf (_("Current spend %s, %s of estimated %s, %s"),
                                    spend_text, percent, range,
                                    level == LP_COST_LEVEL_OVER ? _("over the estimate")
                                    : lp_cost_over_estimate (projected_cost, est_max) ? _("projected to go over the estimate")
                                    : level == LP_COST_LEVEL_WARNING ? _("approaching the estimate")
                                                                     : _("within the estimate"));
    }
  else
    {
      gtk_label_set_label (self->estimate_label, _("No cost estimate"));
      gtk_widget_set_visible (GTK_WIDGET (self->warning_box), FALSE);
      set_level_class (self, "cost-ok");
      accessible = g_strdup_printf (_("Current spend %s, no estimate"), spend_text);
    }

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Cost Tracker"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, accessible,
                                  -1);
}

static void
lm_cost_tracker_dispose (GObject *object)
{
  GtkWidget *child;

  gtk_widget_dispose_template (GTK_WIDGET (object), LM_TYPE_COST_TRACKER);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (lm_cost_tracker_parent_class)->dispose (object);
}

static void
lm_cost_tracker_class_init (LmCostTrackerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lm_cost_tracker_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lorapipeline/Monitor/ui/lm-cost-tracker.ui");
  gtk_widget_class_bind_template_child (widget_class, LmCostTracker, warning_box);
  gtk_widget_class_bind_template_child (widget_class, LmCostTracker, warning_label);
  gtk_widget_class_bind_template_child (widget_class, LmCostTracker, spend_label);
  gtk_widget_class_bind_template_child (widget_class, LmCostTracker, level);
  gtk_widget_class_bind_template_child (widget_class, LmCostTracker, estimate_label);
  gtk_widget_class_bind_template_child (widget_class, LmCostTracker, rate_label);
  gtk_widget_class_bind_template_child (widget_class, LmCostTracker, projected_label);
  gtk_widget_class_bind_template_child (widget_class, LmCostTracker, variance_label);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "costtracker");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
lm_cost_tracker_init (LmCostTracker *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  /* The colour follows the cost level, not the bar's own fill offsets. */
  gtk_level_bar_remove_offset_value (self->level, GTK_LEVEL_BAR_OFFSET_LOW);
  gtk_level_bar_remove_offset_value (self->level, GTK_LEVEL_BAR_OFFSET_HIGH);
  gtk_level_bar_remove_offset_value (self->level, GTK_LEVEL_BAR_OFFSET_FULL);
}

const char *
lm_cost_tracker_get_spend_text (LmCostTracker *self)
{
  g_return_val_if_fail (LM_IS_COST_TRACKER (self), NULL);
  return gtk_label_get_label (self->spend_label);
}

const char *
lm_cost_tracker_get_estimate_text (LmCostTracker *self)
{
  g_return_val_if_fail (LM_IS_COST_TRACKER (self), NULL);
  return gtk_label_get_label (self->estimate_label);
}

const char *
lm_cost_tracker_get_warning_text (LmCostTracker *self)
{
  g_return_val_if_fail (LM_IS_COST_TRACKER (self), NULL);
  return gtk_widget_get_visible (GTK_WIDGET (self->warning_box))
           ? gtk_label_get_label (self->warning_label) : NULL;
}

const char *
lm_cost_tracker_get_level_class (LmCostTracker *self)
{
  g_return_val_if_fail (LM_IS_COST_TRACKER (self), NULL);
  return self->level_class;
}
