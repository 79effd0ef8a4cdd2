/* lp-stage.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "lp-stage.h"

G_DEFINE_BOXED_TYPE (LpStage, lp_stage, lp_stage_copy, lp_stage_free)

LpStage *
lp_stage_new (LpStageKind kind)
{
  LpStage *stage = g_new0 (LpStage, 1);

  stage->kind = kind;
  stage->status = LP_STAGE_STATUS_PENDING;

  return stage;
}

LpStage *
lp_stage_copy (const LpStage *stage)
{
  LpStage *copy = g_new0 (LpStage, 1);

  *copy = *stage;
  copy->substatus = g_strdup (stage->substatus);
  copy->error = g_strdup (stage->error);

  return copy;
}

void
lp_stage_free (LpStage *stage)
{
  if (stage == NULL)
    return;

  g_free (stage->substatus);
  g_free (stage->error);
  g_free (stage);
}

gboolean
lp_stage_equal (const LpStage *a,
                const LpStage *b)
{
  return a->kind == b->kind &&
         a->status == b->status &&
         a->started_at == b->started_at &&
         a->finished_at == b->finished_at &&
         g_strcmp0 (a->substatus, b->substatus) == 0 &&
         g_strcmp0 (a->error, b->error) == 0;
}

/* A running stage's duration grows with "now"; a finished one is fixed. */
gint64
lp_stage_duration_s (const LpStage *stage,
                     gint64         now)
{
  gint64 end;

  if (stage->started_at == 0)
    return 0;

  end = stage->finished_at != 0 ? stage->finished_at : now;
  return MAX (0, (end - stage->started_at) / G_USEC_PER_SEC);
}
