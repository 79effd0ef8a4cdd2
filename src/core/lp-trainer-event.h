/* lp-trainer-event.h: the events a trainer posts to a job's webhook
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The simulator writes these and the service reads them, so a simulated
 * run goes through exactly the validation a real trainer's events do.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "lp-types.h"

G_BEGIN_DECLS

#define LP_TRAINER_EVENT_ID_MAX 200
#define LP_MESSAGE_MAX 2000

typedef struct
{
  char          *event_id;
  LpEventType    type;
  gint64         ts;           /* 0 when the trainer gave none */
  char          *message;      /* NULL when the trainer gave none */
  JsonObject    *data;         /* never NULL */
  JsonObject    *raw;          /* the event as the trainer sent it */

  /* Decoded from data according to type. A metric's bit (1 << LpSeries) is
   * set in metrics_present when the trainer sent it, which tells a reported
   * NaN loss from an absent one. Absent numbers are NAN, an absent step -1. */
  guint          metrics_present;
  gint64         step;
  double         epoch;
  double         train_loss;
  double         val_loss;
  double         learning_rate;
  double         gpu_util;
  LpStageKind    stage;
  LpStageStatus  stage_status;
  char          *substatus;
  LpJobStatus    status;
  char          *error;
} LpTrainerEvent;

LpTrainerEvent *lp_trainer_event_new_from_json (JsonObject      *object,
                                                GError         **error);
void            lp_trainer_event_free          (LpTrainerEvent  *event);
GPtrArray      *lp_trainer_events_parse        (const char      *body,
                                                gsize            length,
                                                GError         **error);
char           *lp_trainer_event_describe      (const LpTrainerEvent *event);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpTrainerEvent, lp_trainer_event_free)

G_END_DECLS
