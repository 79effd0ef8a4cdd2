/* lm-client.h: the app's connection to a lora-jobd
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every call is asynchronous. A failure to reach the service flips
 * LmClient:reachable to FALSE and starts a backed-off health check that
 * flips it back by itself; views keep their last data meanwhile.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "lp-job.h"
#include "lp-metrics.h"
#include "lp-page.h"
#include "lp-queue.h"

G_BEGIN_DECLS

#define LM_TYPE_CLIENT (lm_client_get_type ())

G_DECLARE_FINAL_TYPE (LmClient, lm_client, LM, CLIENT, GObject)

#define LM_CLIENT_ERROR (lm_client_error_quark ())

typedef enum {
  LM_CLIENT_ERROR_UNREACHABLE,
  LM_CLIENT_ERROR_UNAUTHORIZED,
  LM_CLIENT_ERROR_NOT_FOUND,
  LM_CLIENT_ERROR_CONFLICT,
  LM_CLIENT_ERROR_INVALID,
  LM_CLIENT_ERROR_SERVER,
  LM_CLIENT_ERROR_PROTOCOL,
  LM_CLIENT_ERROR_TOO_LARGE,    /* the answer is over the route's size limit */
} LmClientError;

GQuark       lm_client_error_quark         (void);

LmClient    *lm_client_new                 (const char           *base_url,
                                            const char           *token);
const char  *lm_client_get_base_url        (LmClient             *self);
const char  *lm_client_get_token           (LmClient             *self);
const char  *lm_client_get_user            (LmClient             *self);
gboolean     lm_client_get_reachable       (LmClient             *self);
gint64       lm_client_get_retry_at        (LmClient             *self);
const char  *lm_client_get_last_error      (LmClient             *self);
void         lm_client_retry_now           (LmClient             *self);

void         lm_client_get_me_async        (LmClient             *self,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
char        *lm_client_get_me_finish       (LmClient             *self,
                                            GAsyncResult         *result,
                                            GError              **error);
void         lm_client_list_jobs_async     (LmClient             *self,
                                            const char           *status,
                                            const char           *range,
                                            const char           *query,
                                            guint                 page,
                                            guint                 per_page,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
LpJobPage   *lm_client_list_jobs_finish    (LmClient             *self,
                                            GAsyncResult         *result,
                                            GError              **error);
void         lm_client_get_job_async       (LmClient             *self,
                                            gint64                id,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
LpJob       *lm_client_get_job_finish      (LmClient             *self,
                                            GAsyncResult         *result,
                                            GError              **error);
void         lm_client_get_queue_async     (LmClient             *self,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
LpQueue     *lm_client_get_queue_finish    (LmClient             *self,
                                            GAsyncResult         *result,
                                            GError              **error);
void         lm_client_list_providers_async (LmClient            *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
GStrv        lm_client_list_providers_finish (LmClient           *self,
                                            GAsyncResult        *result,
                                            GError             **error);
void         lm_client_create_job_async    (LmClient             *self,
                                            JsonObject           *request,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
LpJob       *lm_client_create_job_finish   (LmClient             *self,
                                            GAsyncResult         *result,
                                            char                **webhook_secret,
                                            GError              **error);
void         lm_client_cancel_job_async    (LmClient             *self,
                                            gint64                id,
                                            const char           *reason,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
LpJob       *lm_client_cancel_job_finish   (LmClient             *self,
                                            GAsyncResult         *result,
                                            GError              **error);
void         lm_client_set_guard_async     (LmClient             *self,
                                            gint64                id,
                                            JsonObject           *rules,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
LpJob       *lm_client_set_guard_finish    (LmClient             *self,
                                            GAsyncResult         *result,
                                            GError              **error);
void         lm_client_disarm_guard_async  (LmClient             *self,
                                            gint64                id,
                                            LpGuardRule           rule,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
LpJob       *lm_client_disarm_guard_finish (LmClient             *self,
                                            GAsyncResult         *result,
                                            GError              **error);
void         lm_client_get_metrics_async   (LmClient             *self,
                                            gint64                id,
                                            const gint64         *since_steps,
                                            guint                 max_points,
                                            gboolean              latest_only,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
LpMetrics   *lm_client_get_metrics_finish  (LmClient             *self,
                                            GAsyncResult         *result,
                                            GError              **error);
void         lm_client_list_events_async   (LmClient             *self,
                                            gint64                id,
                                            const char           *type,
                                            guint                 page,
                                            guint                 per_page,
                                            gint64                after_id,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
LpEventPage *lm_client_list_events_finish  (LmClient             *self,
                                            GAsyncResult         *result,
                                            GError              **error);
void         lm_client_export_events_async (LmClient             *self,
                                            gint64                id,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
GBytes      *lm_client_export_events_finish (LmClient            *self,
                                            GAsyncResult         *result,
                                            char                **filename,
                                            GError              **error);
void         lm_client_delete_job_async    (LmClient             *self,
                                            gint64                id,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
gboolean     lm_client_delete_job_finish   (LmClient             *self,
                                            GAsyncResult         *result,
                                            GError              **error);

G_END_DECLS
