/* lp-run-stages.h: a job's stages, told from its output alone
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A trainer that only prints never says which of the four stages it is in.
 * These rules say it for it, from when its process started, what its
 * output hints at, its steps, and how its process ended:
 *
 * - Preprocessing starts with the process.
 * - Model loading starts when the output says a model is loading
 *   (LP_LOG_HINT_MODEL_LOADING). Without such a line before the first
 *   step, it started where the output last showed data being prepared
 *   (LP_LOG_HINT_PREPROCESSING) or, without that either, with the process:
 *   a script that prints nothing until it trains spends that time loading.
 * - Training starts with the first step of the training bar or loss line.
 * - Finalization starts with the last step (the step that reaches the
 *   total), or, when no step did, with the last step seen, and ends when
 *   the process exits.
 *
 * Stages never go back: a dataset mapped after the model loaded is part
 * of model loading. A run that succeeds ends with every stage completed
 * (one it never showed is completed in no time at its end); a run that
 * fails has the stage it was in failed by the service, and the later
 * stages stay pending, which on a finished job means not reached.
 */
#pragma once

#include <glib.h>

#include "lp-log-parser.h"
#include "lp-types.h"

G_BEGIN_DECLS

typedef struct
{
  LpStageKind    stage;
  LpStageStatus  status;
  gint64         ts;     /* µs since the epoch; may lie before the call */
} LpStageChange;

/* No call gives more changes than this. */
#define LP_RUN_STAGES_MAX_CHANGES 6

typedef struct _LpRunStages LpRunStages;

LpRunStages *lp_run_stages_new         (void);
void         lp_run_stages_free        (LpRunStages          *self);
void         lp_run_stages_restore     (LpRunStages          *self,
                                        const LpStageStatus   status[LP_N_STAGES],
                                        gint64                started_at);
guint        lp_run_stages_start       (LpRunStages          *self,
                                        gint64                ts,
                                        LpStageChange        *changes);
guint        lp_run_stages_hint        (LpRunStages          *self,
                                        LpLogHint             hint,
                                        gint64                ts,
                                        LpStageChange        *changes);
guint        lp_run_stages_step        (LpRunStages          *self,
                                        gint64                step,
                                        gint64                total_steps,
                                        gint64                ts,
                                        LpStageChange        *changes);
guint        lp_run_stages_end         (LpRunStages          *self,
                                        gboolean              succeeded,
                                        gint64                ts,
                                        LpStageChange        *changes);
int          lp_run_stages_get_reached (LpRunStages          *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpRunStages, lp_run_stages_free)

G_END_DECLS
