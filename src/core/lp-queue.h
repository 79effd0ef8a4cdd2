/* lp-queue.h: the queue view: slots in use and jobs waiting
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "lp-job.h"

G_BEGIN_DECLS

typedef struct
{
  gint64       id;
  char        *name;
  LpJobStatus  status;
  double       progress;
  /* Jobs elsewhere only: their provider, and where they stand there
   * ("Waiting in Slurm: Resources"), or NULL. */
  char        *provider;
  char        *detail;
} LpQueueSlot;

typedef struct
{
  gint64  position;
  LpJob  *job;
  gint64  estimated_start;   /* µs since the epoch */
  gint64  starts_in_s;
} LpQueueEntry;

typedef struct
{
  gint64     max_slots;
  GPtrArray *running;        /* LpQueueSlot */
  GPtrArray *queued;         /* LpQueueEntry, position order */
  GPtrArray *elsewhere;      /* LpQueueSlot: active jobs that wait and run in
                              * a cluster's scheduler, taking no slot */
} LpQueue;

LpQueue *lp_queue_new            (void);
void     lp_queue_free           (LpQueue     *queue);
void     lp_queue_add_running    (LpQueue     *queue,
                                  LpJob       *job);
void     lp_queue_add_elsewhere  (LpQueue     *queue,
                                  LpJob       *job);
void     lp_queue_add_queued     (LpQueue     *queue,
                                  LpJob       *job,
                                  gint64       estimated_start,
                                  gint64       starts_in_s);
void     lp_queue_to_json        (LpQueue     *queue,
                                  JsonBuilder *builder);
LpQueue *lp_queue_new_from_json  (JsonObject  *object,
                                  GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpQueue, lp_queue_free)

G_END_DECLS
