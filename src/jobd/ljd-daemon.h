/* ljd-daemon.h: a whole job service, ready to listen
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Assembles the store, the service, its providers and the HTTP server, so
 * lora-jobd and the app's embedded service start the very same thing.
 */
#pragma once

#include "ljd-server.h"
#include "ljd-service.h"

G_BEGIN_DECLS

#define LJD_TYPE_DAEMON (ljd_daemon_get_type ())

G_DECLARE_FINAL_TYPE (LjdDaemon, ljd_daemon, LJD, DAEMON, GObject)

LjdDaemon  *ljd_daemon_new          (const char  *db_path,
                                     guint        slots,
                                     double       time_scale,
                                     GError     **error);
gboolean    ljd_daemon_listen       (LjdDaemon   *self,
                                     const char  *host,
                                     guint        port,
                                     GError     **error);
gboolean    ljd_daemon_seed_demo    (LjdDaemon   *self,
                                     GError     **error);
char       *ljd_daemon_issue_token  (LjdDaemon   *self,
                                     const char  *user,
                                     gboolean     revoke_others,
                                     GError     **error);
gboolean    ljd_daemon_enable_runpod (LjdDaemon  *self,
                                     const char  *api_key,
                                     const char  *api_url,
                                     const char  *public_url,
                                     GError     **error);
gboolean    ljd_daemon_enable_slurm (LjdDaemon   *self,
                                     const char  *url,
                                     const char  *user,
                                     const char  *token_file,
                                     const char  *api,
                                     const char  *public_url,
                                     GError     **error);
gboolean    ljd_daemon_enable_local (LjdDaemon   *self,
                                     const char  *user,
                                     gboolean     allow_root,
                                     GError     **error);
void        ljd_daemon_start        (LjdDaemon   *self);
void        ljd_daemon_stop         (LjdDaemon   *self);
const char *ljd_daemon_get_url      (LjdDaemon   *self);
LjdService *ljd_daemon_get_service  (LjdDaemon   *self);
LjdServer  *ljd_daemon_get_server   (LjdDaemon   *self);

G_END_DECLS
