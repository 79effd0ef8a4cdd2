/* lm-queue-card.h: one waiting job in the Queue tab
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "lp-queue.h"

G_BEGIN_DECLS

#define LM_TYPE_QUEUE_CARD (lm_queue_card_get_type ())

G_DECLARE_FINAL_TYPE (LmQueueCard, lm_queue_card, LM, QUEUE_CARD, GtkWidget)

GtkWidget  *lm_queue_card_new            (const LpQueueEntry *entry,
                                          const char         *user);
gint64      lm_queue_card_get_job_id     (LmQueueCard        *self);
const char *lm_queue_card_get_start_text (LmQueueCard        *self);
const char *lm_queue_card_get_position_text (LmQueueCard     *self);
void        lm_queue_card_popup_menu     (LmQueueCard        *self);
char       *lm_queue_start_text          (gint64              estimated_start,
                                          gint64              starts_in_s,
                                          GDateTime          *now,
                                          char              **countdown);
const char *lm_queue_position_class      (gint64              position);

G_END_DECLS
