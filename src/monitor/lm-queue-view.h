/* lm-queue-view.h: the Queue tab: slots in use and jobs waiting
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "lm-client.h"

G_BEGIN_DECLS

#define LM_TYPE_QUEUE_VIEW (lm_queue_view_get_type ())

G_DECLARE_FINAL_TYPE (LmQueueView, lm_queue_view, LM, QUEUE_VIEW, GtkWidget)

#define LM_QUEUE_POLL_SECONDS 30

void        lm_queue_view_set_client     (LmQueueView *self,
                                          LmClient    *client);
void        lm_queue_view_refresh        (LmQueueView *self);
guint       lm_queue_view_get_n_queued   (LmQueueView *self);
const char *lm_queue_view_get_slots_text (LmQueueView *self);
const char *lm_queue_view_get_state      (LmQueueView *self);
GtkListBox *lm_queue_view_get_cards      (LmQueueView *self);
GtkBox     *lm_queue_view_get_slots_box  (LmQueueView *self);
GtkListBox *lm_queue_view_get_elsewhere_list (LmQueueView *self);

G_END_DECLS
