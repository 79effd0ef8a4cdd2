/* lp-run-stages.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "lp-run-stages.h"

struct _LpRunStages
{
  int      reached;       /* the furthest LpStageKind begun, -1 before the start */
  gboolean ended;
  gint64   started_at;
  gboolean prep_seen;
  gint64   last_prep_at;
  gint64   last_step;
  gint64   last_step_at;  /* 0 before a step */
};

LpRunStages *
lp_run_stages_new (void)
{
  LpRunStages *self = g_new0 (LpRunStages, 1);

  self->reached = -1;
  self->last_step = -1;
  return self;
}

void
lp_run_stages_free (LpRunStages *self)
{
  g_free (self);
}

/**
 * lp_run_stages_restore:
 * @status: the job's stages as the service has them
 * @started_at: when preprocessing started, or 0
 *
 * Takes up a run whose start an earlier tracker saw (the service
 * restarted): it goes on from the furthest stage the job has begun.
 */
void
lp_run_stages_restore (LpRunStages         *self,
                       const LpStageStatus  status[LP_N_STAGES],
                       gint64               started_at)
{
  g_return_if_fail (self != NULL);

  self->reached = -1;
  for (int i = 0; i < LP_N_STAGES; i++)
    if (status[i] != LP_STAGE_STATUS_PENDING)
      self->reached = i;
  self->started_at = started_at;
}

static guint
add (LpStageChange *changes,
     guint          n,
     LpStageKind    stage,
     LpStageStatus  status,
     gint64         ts)
{
  g_assert (n < LP_RUN_STAGES_MAX_CHANGES);

  changes[n].stage = stage;
  changes[n].status = status;
  changes[n].ts = ts;
  return n + 1;
}

/* Model loading begun without a line that said so: where the output last
 * showed data being prepared, or with the process. */
static guint
begin_model_loading (LpRunStages   *self,
                     LpStageChange *changes,
                     guint          n)
{
  n = add (changes, n, LP_STAGE_MODEL_LOADING, LP_STAGE_STATUS_ACTIVE,
           self->prep_seen ? self->last_prep_at : self->started_at);
  self->reached = LP_STAGE_MODEL_LOADING;
  return n;
}

guint
lp_run_stages_start (LpRunStages   *self,
                     gint64         ts,
                     LpStageChange *changes)
{
  g_return_val_if_fail (self != NULL, 0);

  if (self->reached >= 0 || self->ended)
    return 0;

  self->reached = LP_STAGE_PREPROCESSING;
  self->started_at = ts;
  return add (changes, 0, LP_STAGE_PREPROCESSING, LP_STAGE_STATUS_ACTIVE, ts);
}

guint
lp_run_stages_hint (LpRunStages   *self,
                    LpLogHint      hint,
                    gint64         ts,
                    LpStageChange *changes)
{
  guint n;

  g_return_val_if_fail (self != NULL, 0);

  if (self->ended || hint == LP_LOG_HINT_NONE)
    return 0;

  n = lp_run_stages_start (self, ts, changes);
  if (self->reached != LP_STAGE_PREPROCESSING)
    return n;

  if (hint == LP_LOG_HINT_PREPROCESSING)
    {
      self->prep_seen = TRUE;
      self->last_prep_at = ts;
      return n;
    }

  self->reached = LP_STAGE_MODEL_LOADING;
  return add (changes, n, LP_STAGE_MODEL_LOADING, LP_STAGE_STATUS_ACTIVE, ts);
}

/**
 * lp_run_stages_step:
 * @step: a training step the output showed
 * @total_steps: the run's total, or 0 or less when unknown
 */
guint
lp_run_stages_step (LpRunStages   *self,
                    gint64         step,
                    gint64         total_steps,
                    gint64         ts,
                    LpStageChange *changes)
{
  guint n;

  g_return_val_if_fail (self != NULL, 0);

  if (self->ended || step < 0)
    return 0;

  n = lp_run_stages_start (self, ts, changes);
  if (self->reached == LP_STAGE_PREPROCESSING)
    n = begin_model_loading (self, changes, n);
  if (self->reached == LP_STAGE_MODEL_LOADING)
    {
      n = add (changes, n, LP_STAGE_TRAINING, LP_STAGE_STATUS_ACTIVE, ts);
      self->reached = LP_STAGE_TRAINING;
    }

  if (self->reached != LP_STAGE_TRAINING)
    return n;

  if (step > self->last_step || self->last_step_at == 0)
    {
      self->last_step = MAX (step, self->last_step);
      self->last_step_at = ts;
    }

  if (total_steps > 0 && step >= total_steps)
    {
      n = add (changes, n, LP_STAGE_FINALIZATION, LP_STAGE_STATUS_ACTIVE, ts);
      self->reached = LP_STAGE_FINALIZATION;
    }

  return n;
}

/**
 * lp_run_stages_end:
 * @succeeded: whether the process ended well (exit status 0)
 *
 * The process is gone. A success completes every stage; a failure leaves
 * the stage it happened in running, for the service to fail with the job.
 */
guint
lp_run_stages_end (LpRunStages   *self,
                   gboolean       succeeded,
                   gint64         ts,
                   LpStageChange *changes)
{
  guint n;

  g_return_val_if_fail (self != NULL, 0);

  if (self->ended)
    return 0;

  n = lp_run_stages_start (self, ts, changes);
  self->ended = TRUE;

  if (!succeeded)
    {
      /* A process that died before any sign of data work died loading. */
      if (self->reached == LP_STAGE_PREPROCESSING && !self->prep_seen)
        n = begin_model_loading (self, changes, n);
      return n;
    }

  if (self->reached == LP_STAGE_PREPROCESSING)
    n = begin_model_loading (self, changes, n);
  if (self->reached == LP_STAGE_MODEL_LOADING)
    n = add (changes, n, LP_STAGE_TRAINING, LP_STAGE_STATUS_ACTIVE, ts);
  if (self->reached < LP_STAGE_FINALIZATION)
    n = add (changes, n, LP_STAGE_FINALIZATION, LP_STAGE_STATUS_ACTIVE,
             self->reached == LP_STAGE_TRAINING && self->last_step_at != 0 ? self->last_step_at : ts);
  n = add (changes, n, LP_STAGE_FINALIZATION, LP_STAGE_STATUS_COMPLETED, ts);
  self->reached = LP_STAGE_FINALIZATION;

  return n;
}

/* The furthest stage begun, as an LpStageKind, or -1 before the start. */
int
lp_run_stages_get_reached (LpRunStages *self)
{
  g_return_val_if_fail (self != NULL, -1);
  return self->reached;
}
