/* ljd-local.h: a provider that runs the job's command on this machine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ljd-provider.h"
#include "ljd-service.h"

G_BEGIN_DECLS

#define LJD_TYPE_LOCAL (ljd_local_get_type ())

G_DECLARE_FINAL_TYPE (LjdLocal, ljd_local, LJD, LOCAL, GObject)

/* How long a cancelled process group has between SIGTERM and SIGKILL;
 * LORA_LOCAL_GRACE_MS in the environment overrides it (tests). */
#define LJD_LOCAL_DEFAULT_GRACE_MS 10000

LjdLocal   *ljd_local_new         (LjdService  *service);
gboolean    ljd_local_enable      (LjdLocal    *self,
                                   const char  *user,
                                   gboolean     allow_root,
                                   GError     **error);
gboolean    ljd_local_get_enabled (LjdLocal    *self);
const char *ljd_local_get_user    (LjdLocal    *self);
guint       ljd_local_get_n_runs  (LjdLocal    *self);

G_END_DECLS
