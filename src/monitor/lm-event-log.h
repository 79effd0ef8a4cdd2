/* lm-event-log.h: a job's event log, the Job page's second tab
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The log takes its natural height (at most one page of 50 rows) and does
 * not scroll by itself: its host puts it in a scrolled window, as the Job
 * page does with its other tab.
 */
#pragma once

#include <gtk/gtk.h>

#include "lm-client.h"

G_BEGIN_DECLS

#define LM_TYPE_EVENT_LOG (lm_event_log_get_type ())

G_DECLARE_FINAL_TYPE (LmEventLog, lm_event_log, LM, EVENT_LOG, GtkWidget)

#define LM_EVENT_LOG_PER_PAGE 50
#define LM_EVENT_LOG_POLL_SECONDS 10

GtkWidget  *lm_event_log_new               (void);
void        lm_event_log_set_client        (LmEventLog *self,
                                            LmClient   *client);
void        lm_event_log_set_job           (LmEventLog *self,
                                            LpJob      *job);
void        lm_event_log_refresh           (LmEventLog *self);
void        lm_event_log_set_filter        (LmEventLog *self,
                                            const char *type);
const char *lm_event_log_get_filter        (LmEventLog *self);
void        lm_event_log_set_poll_interval (LmEventLog *self,
                                            guint       seconds);
void        lm_event_log_set_watching      (LmEventLog *self,
                                            gboolean    watching);
guint       lm_event_log_get_n_new         (LmEventLog *self);
GListModel *lm_event_log_get_events        (LmEventLog *self);
guint       lm_event_log_get_page          (LmEventLog *self);
guint       lm_event_log_get_n_pages       (LmEventLog *self);
guint       lm_event_log_get_total         (LmEventLog *self);
const char *lm_event_log_get_showing       (LmEventLog *self);
gboolean    lm_event_log_is_polling        (LmEventLog *self);

void        lm_event_log_focus_events (LmEventLog *self);
LpJob      *lm_event_log_get_job           (LmEventLog *self);
gboolean    lm_event_log_get_watching      (LmEventLog *self);
const char *lm_event_log_get_state         (LmEventLog *self);
const char *lm_event_log_get_page_text     (LmEventLog *self);
GtkWidget  *lm_event_log_get_row           (LmEventLog *self,
                                            guint       index);
void        lm_event_log_export_to_file_async  (LmEventLog          *self,
                                                GFile               *file,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean    lm_event_log_export_to_file_finish (LmEventLog          *self,
                                                GAsyncResult        *result,
                                                guint               *n_events,
                                                GError             **error);
char       *lm_event_log_default_filename  (const char *job_name,
                                            GDateTime  *now);

G_END_DECLS
