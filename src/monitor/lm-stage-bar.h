/* lm-stage-bar.h: the four stages of a job as one connected bar
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "lp-job.h"

G_BEGIN_DECLS

#define LM_TYPE_STAGE_BAR (lm_stage_bar_get_type ())

G_DECLARE_FINAL_TYPE (LmStageBar, lm_stage_bar, LM, STAGE_BAR, GtkWidget)

GtkWidget  *lm_stage_bar_new          (void);
void        lm_stage_bar_set_job      (LmStageBar *self,
                                       LpJob      *job);
void        lm_stage_bar_set_now      (LmStageBar *self,
                                       gint64      now);
char       *lm_stage_bar_describe     (LmStageBar *self);
LpJob      *lm_stage_bar_get_job      (LmStageBar *self);
const char *lm_stage_bar_get_segment_text (LmStageBar *self,
                                       LpStageKind stage);
const char *lm_stage_bar_get_segment_label (LmStageBar *self,
                                       LpStageKind stage);
const char *lm_stage_bar_get_segment_elapsed (LmStageBar *self,
                                       LpStageKind stage);
const char *lm_stage_bar_get_segment_state (LmStageBar *self,
                                       LpStageKind stage);
GtkWidget  *lm_stage_bar_get_details_button (LmStageBar *self);

G_END_DECLS
