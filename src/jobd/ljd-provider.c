/* ljd-provider.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ljd-provider.h"

G_DEFINE_INTERFACE (LjdProvider, ljd_provider, G_TYPE_OBJECT)

static gboolean
ljd_provider_real_validate_config (LjdProvider  *self,
                                   LpJob        *job,
                                   GError      **error)
{
  return TRUE;
}

static void
ljd_provider_real_forget (LjdProvider *self,
                          gint64       job_id)
{
}

static gboolean
ljd_provider_real_uses_slots (LjdProvider *self)
{
  return TRUE;
}

static gboolean
ljd_provider_real_is_enabled (LjdProvider *self)
{
  return TRUE;
}

static char *
ljd_provider_real_describe (LjdProvider *self,
                            gint64       job_id)
{
  return NULL;
}

static void
ljd_provider_default_init (LjdProviderInterface *iface)
{
  iface->validate_config = ljd_provider_real_validate_config;
  iface->forget = ljd_provider_real_forget;
  iface->uses_slots = ljd_provider_real_uses_slots;
  iface->describe = ljd_provider_real_describe;
  iface->is_enabled = ljd_provider_real_is_enabled;
}

const char *
ljd_provider_get_name (LjdProvider *self)
{
  g_return_val_if_fail (LJD_IS_PROVIDER (self), NULL);
  return LJD_PROVIDER_GET_IFACE (self)->get_name (self);
}

/* Checks the config of @job, a job about to be created, against the rest
 * of it: a config can be wrong only for its job (a failure step beyond the
 * last step), and that is the creator's mistake, not a run's failure. */
gboolean
ljd_provider_validate_config (LjdProvider  *self,
                              LpJob        *job,
                              GError      **error)
{
  g_return_val_if_fail (LJD_IS_PROVIDER (self), FALSE);
  g_return_val_if_fail (LP_IS_JOB (job), FALSE);
  return LJD_PROVIDER_GET_IFACE (self)->validate_config (self, job, error);
}

void
ljd_provider_start (LjdProvider *self,
                    LpJob       *job,
                    const char  *webhook_secret,
                    gboolean     reattach)
{
  g_return_if_fail (LJD_IS_PROVIDER (self));
  LJD_PROVIDER_GET_IFACE (self)->start (self, job, webhook_secret, reattach);
}

void
ljd_provider_cancel_async (LjdProvider         *self,
                           LpJob               *job,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (LJD_IS_PROVIDER (self));
  LJD_PROVIDER_GET_IFACE (self)->cancel_async (self, job, cancellable, callback, user_data);
}

gboolean
ljd_provider_cancel_finish (LjdProvider   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (LJD_IS_PROVIDER (self), FALSE);
  return LJD_PROVIDER_GET_IFACE (self)->cancel_finish (self, result, error);
}

void
ljd_provider_forget (LjdProvider *self,
                     gint64       job_id)
{
  g_return_if_fail (LJD_IS_PROVIDER (self));
  LJD_PROVIDER_GET_IFACE (self)->forget (self, job_id);
}

/* Whether the provider's jobs hold one of the service's slots while they
 * run; a cluster's scheduler queues its own work. */
gboolean
ljd_provider_uses_slots (LjdProvider *self)
{
  g_return_val_if_fail (LJD_IS_PROVIDER (self), TRUE);
  return LJD_PROVIDER_GET_IFACE (self)->uses_slots (self);
}

/* A sentence on where the active job @job_id stands that its status does
 * not give, for its status_detail; NULL when there is none. */
char *
ljd_provider_describe (LjdProvider *self,
                       gint64       job_id)
{
  g_return_val_if_fail (LJD_IS_PROVIDER (self), NULL);
  return LJD_PROVIDER_GET_IFACE (self)->describe (self, job_id);
}

/* Whether the provider takes jobs: one the operator left off (the local
 * provider without --enable-local) is listed as such, and refuses them. */
gboolean
ljd_provider_is_enabled (LjdProvider *self)
{
  g_return_val_if_fail (LJD_IS_PROVIDER (self), FALSE);
  return LJD_PROVIDER_GET_IFACE (self)->is_enabled (self);
}
