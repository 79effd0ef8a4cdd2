/* lm-cost-tracker.h: spend against the estimate
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "lp-job.h"

G_BEGIN_DECLS

#define LM_TYPE_COST_TRACKER (lm_cost_tracker_get_type ())

G_DECLARE_FINAL_TYPE (LmCostTracker, lm_cost_tracker, LM, COST_TRACKER, GtkWidget)

void        lm_cost_tracker_update            (LmCostTracker *self,
                                               LpJob         *job,
                                               double         spend);
const char *lm_cost_tracker_get_spend_text    (LmCostTracker *self);
const char *lm_cost_tracker_get_estimate_text (LmCostTracker *self);
const char *lm_cost_tracker_get_warning_text  (LmCostTracker *self);
const char *lm_cost_tracker_get_level_class   (LmCostTracker *self);

G_END_DECLS
