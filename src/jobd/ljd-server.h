/* ljd-server.h: the HTTP face of the job service
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libsoup/soup.h>

#include "ljd-acceptor.h"
#include "ljd-service.h"

G_BEGIN_DECLS

#define LJD_TYPE_SERVER (ljd_server_get_type ())

G_DECLARE_FINAL_TYPE (LjdServer, ljd_server, LJD, SERVER, GObject)

LjdServer  *ljd_server_new         (LjdService  *service);
gboolean    ljd_server_listen      (LjdServer   *self,
                                    const char  *host,
                                    guint        port,
                                    GError     **error);
void        ljd_server_set_limits  (LjdServer       *self,
                                    const LjdLimits *limits);
const LjdLimits *ljd_server_get_limits (LjdServer *self);
const char *ljd_server_get_url     (LjdServer   *self);
LjdService *ljd_server_get_service (LjdServer   *self);
void        ljd_server_disconnect  (LjdServer   *self);

G_END_DECLS
