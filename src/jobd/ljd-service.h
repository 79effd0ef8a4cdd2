/* ljd-service.h: the job service's rules, independent of HTTP
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * LjdService owns the store and the providers, keeps the queue moving and
 * turns trainers' events into job state. LjdServer maps HTTP onto it; the
 * app's embedded mode runs both on a thread of their own.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ljd-provider.h"
#include "ljd-store.h"

G_BEGIN_DECLS

#define LJD_TYPE_SERVICE (ljd_service_get_type ())

G_DECLARE_FINAL_TYPE (LjdService, ljd_service, LJD, SERVICE, GObject)

#define LJD_SERVICE_ERROR (ljd_service_error_quark ())

/* Each code maps onto one HTTP status (see ljd-server.c). */
typedef enum {
  LJD_SERVICE_ERROR_INVALID,       /* 400 */
  LJD_SERVICE_ERROR_UNAUTHORIZED,  /* 401 */
  LJD_SERVICE_ERROR_NOT_FOUND,     /* 404 */
  LJD_SERVICE_ERROR_CONFLICT,      /* 409 */
  LJD_SERVICE_ERROR_TOO_LARGE,     /* 413 */
  LJD_SERVICE_ERROR_INTERNAL,      /* 500 */
} LjdServiceError;

#define LJD_DEFAULT_SLOTS 3
/* A webhook batch may be large; a job or a cancel request never is, and
 * parsing runs on the thread that serves everyone. */
#define LJD_MAX_BODY_SIZE (16 * 1024 * 1024)
#define LJD_MAX_REQUEST_BODY_SIZE (1024 * 1024)
#define LJD_MAX_CONFIG_SIZE (64 * 1024)

GQuark       ljd_service_error_quark      (void);
gboolean     ljd_service_invalid          (GError              **error,
                                           const char           *format,
                                           ...) G_GNUC_PRINTF (2, 3);

LjdService  *ljd_service_new              (LjdStore             *store,
                                           guint                 slots,
                                           double                time_scale);
LjdStore    *ljd_service_get_store        (LjdService           *self);
guint        ljd_service_get_slots        (LjdService           *self);
double       ljd_service_get_time_scale   (LjdService           *self);
const char  *ljd_service_get_base_url     (LjdService           *self);
void         ljd_service_set_base_url     (LjdService           *self,
                                           const char           *base_url);
char        *ljd_service_get_webhook_url  (LjdService           *self,
                                           gint64                job_id);
void         ljd_service_add_provider     (LjdService           *self,
                                           LjdProvider          *provider);
LjdProvider *ljd_service_get_provider     (LjdService           *self,
                                           const char           *name);
JsonNode    *ljd_service_list_providers   (LjdService           *self);
void         ljd_service_resume           (LjdService           *self);
void         ljd_service_shutdown         (LjdService           *self);

char        *ljd_service_authenticate     (LjdService           *self,
                                           const char           *token);

LpJob       *ljd_service_create_job       (LjdService           *self,
                                           JsonObject           *request,
                                           const char           *user,
                                           char                **webhook_secret,
                                           GError              **error);
LpJob       *ljd_service_get_job          (LjdService           *self,
                                           gint64                id,
                                           GError              **error);
JsonNode    *ljd_service_list_jobs        (LjdService           *self,
                                           GHashTable           *query,
                                           GError              **error);
gboolean     ljd_service_delete_job       (LjdService           *self,
                                           gint64                id,
                                           GError              **error);
void         ljd_service_cancel_job_async (LjdService           *self,
                                           gint64                id,
                                           JsonObject           *request,
                                           const char           *user,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
LpJob       *ljd_service_cancel_job_finish (LjdService          *self,
                                           GAsyncResult         *result,
                                           GError              **error);
JsonNode    *ljd_service_get_metrics      (LjdService           *self,
                                           gint64                id,
                                           GHashTable           *query,
                                           GError              **error);
JsonNode    *ljd_service_list_events      (LjdService           *self,
                                           gint64                id,
                                           GHashTable           *query,
                                           GError              **error);
JsonNode    *ljd_service_export_events    (LjdService           *self,
                                           gint64                id,
                                           char                **filename,
                                           GError              **error);
gboolean     ljd_service_ingest_webhook   (LjdService           *self,
                                           gint64                id,
                                           const char           *body,
                                           gsize                 length,
                                           const char           *signature,
                                           guint                *accepted,
                                           guint                *duplicates,
                                           GError              **error);
gboolean     ljd_service_ingest_events    (LjdService           *self,
                                           gint64                id,
                                           GPtrArray            *events,
                                           guint                *accepted,
                                           guint                *duplicates,
                                           GError              **error);
JsonNode    *ljd_service_get_queue        (LjdService           *self,
                                           GError              **error);
void         ljd_service_job_to_json      (LjdService           *self,
                                           LpJob                *job,
                                           JsonBuilder          *builder);
gboolean     ljd_service_record_start     (LjdService           *self,
                                           gint64                id,
                                           gint64                when,
                                           GError              **error);
gboolean     ljd_service_cancel_at        (LjdService           *self,
                                           gint64                id,
                                           const char           *reason,
                                           const char           *user,
                                           gint64                when,
                                           GError              **error);
void         ljd_service_provider_failed  (LjdService           *self,
                                           gint64                job_id,
                                           const char           *message);
gboolean     ljd_service_provider_running (LjdService           *self,
                                           gint64                job_id,
                                           gint64                started_at,
                                           const char           *message,
                                           JsonObject           *payload,
                                           GError              **error);

char        *ljd_sign_body                (const char           *secret,
                                           const char           *body,
                                           gsize                 length);
char        *ljd_export_filename          (const char           *job_name,
                                           gint64                usec);

G_END_DECLS
