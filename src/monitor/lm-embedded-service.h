/* lm-embedded-service.h: a private lora-jobd inside the app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define LM_TYPE_EMBEDDED_SERVICE (lm_embedded_service_get_type ())

G_DECLARE_FINAL_TYPE (LmEmbeddedService, lm_embedded_service, LM, EMBEDDED_SERVICE, GObject)

void               lm_embedded_service_start_async  (const char           *db_path,
                                                     gboolean              demo,
                                                     double                time_scale,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
LmEmbeddedService *lm_embedded_service_start_finish (GAsyncResult         *result,
                                                     GError              **error);
const char        *lm_embedded_service_get_url      (LmEmbeddedService    *self);
const char        *lm_embedded_service_get_token    (LmEmbeddedService    *self);
void               lm_embedded_service_stop         (LmEmbeddedService    *self);
char              *lm_embedded_service_default_db   (void);

G_END_DECLS
