/* lp-stage.h: one of a job's four stages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "lp-types.h"

G_BEGIN_DECLS

#define LP_TYPE_STAGE (lp_stage_get_type ())

typedef struct _LpStage
{
  LpStageKind    kind;
  LpStageStatus  status;
  gint64         started_at;   /* µs since the epoch, 0 when not started */
  gint64         finished_at;  /* µs since the epoch, 0 when not finished */
  char          *substatus;
  char          *error;
} LpStage;

GType    lp_stage_get_type    (void) G_GNUC_CONST;
LpStage *lp_stage_new         (LpStageKind    kind);
LpStage *lp_stage_copy        (const LpStage *stage);
void     lp_stage_free        (LpStage       *stage);
gboolean lp_stage_equal       (const LpStage *a,
                               const LpStage *b);
gint64   lp_stage_duration_s  (const LpStage *stage,
                               gint64         now);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpStage, lp_stage_free)

G_END_DECLS
