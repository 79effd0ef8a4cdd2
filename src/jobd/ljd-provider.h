/* ljd-provider.h: what runs a job's work
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A provider turns a job that has a slot into work somewhere (a simulated
 * run, a local process, a rented pod) and stops that work on cancel. It
 * reports progress the way any trainer does, through the job's webhook, and
 * tells the service directly only what no trainer can: that the work is
 * gone (ljd_service_provider_failed()).
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "lp-job.h"

G_BEGIN_DECLS

#define LJD_TYPE_PROVIDER (ljd_provider_get_type ())

G_DECLARE_INTERFACE (LjdProvider, ljd_provider, LJD, PROVIDER, GObject)

typedef struct _LjdService LjdService;

struct _LjdProviderInterface
{
  GTypeInterface parent_iface;

  const char *(*get_name)        (LjdProvider          *self);
  gboolean    (*validate_config) (LjdProvider          *self,
                                  LpJob                *job,
                                  GError              **error);
  void        (*start)           (LjdProvider          *self,
                                  LpJob                *job,
                                  const char           *webhook_secret,
                                  gboolean              reattach);
  void        (*cancel_async)    (LjdProvider          *self,
                                  LpJob                *job,
                                  GCancellable         *cancellable,
                                  GAsyncReadyCallback   callback,
                                  gpointer              user_data);
  gboolean    (*cancel_finish)   (LjdProvider          *self,
                                  GAsyncResult         *result,
                                  GError              **error);
  void        (*forget)          (LjdProvider          *self,
                                  gint64                job_id);
  /* Optional. A provider whose work waits in a scheduler of its own (a
   * cluster's) takes none of the service's slots: its jobs leave the
   * queue at once. Default: TRUE. */
  gboolean    (*uses_slots)      (LjdProvider          *self);
  /* Optional. What an active job's status alone does not say ("Waiting
   * in Slurm: Resources"), or NULL. Default: NULL. */
  char       *(*describe)        (LjdProvider          *self,
                                  gint64                job_id);
  /* Optional; a provider that takes no job (turned off) says FALSE. */
  gboolean    (*is_enabled)      (LjdProvider          *self);
};

const char *ljd_provider_get_name        (LjdProvider          *self);
gboolean    ljd_provider_validate_config (LjdProvider          *self,
                                          LpJob                *job,
                                          GError              **error);
void        ljd_provider_start           (LjdProvider          *self,
                                          LpJob                *job,
                                          const char           *webhook_secret,
                                          gboolean              reattach);
void        ljd_provider_cancel_async    (LjdProvider          *self,
                                          LpJob                *job,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
gboolean    ljd_provider_cancel_finish   (LjdProvider          *self,
                                          GAsyncResult         *result,
                                          GError              **error);
void        ljd_provider_forget          (LjdProvider          *self,
                                          gint64                job_id);
gboolean    ljd_provider_uses_slots      (LjdProvider          *self);
char       *ljd_provider_describe        (LjdProvider          *self,
                                          gint64                job_id);
gboolean    ljd_provider_is_enabled      (LjdProvider          *self);

G_END_DECLS
