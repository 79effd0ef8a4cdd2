/* ljd-daemon.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ljd-daemon.h"
#include "ljd-demo.h"
#include "ljd-external.h"
#include "ljd-local.h"
#include "ljd-runpod.h"
#include "ljd-simulator.h"
#include "ljd-slurm.h"

struct _LjdDaemon
{
  GObject       parent_instance;
  LjdStore     *store;
  LjdService   *service;
  LjdServer    *server;
  LjdSimulator *simulator;
  LjdExternal  *external;
  LjdLocal     *local;
  LjdRunpod    *runpod;
  LjdSlurm     *slurm;
};

G_DEFINE_FINAL_TYPE (LjdDaemon, ljd_daemon, G_TYPE_OBJECT)

static void
ljd_daemon_dispose (GObject *object)
{
  LjdDaemon *self = (LjdDaemon *) object;

  ljd_daemon_stop (self);
  g_clear_object (&self->server);
  g_clear_object (&self->simulator);
  g_clear_object (&self->external);
  g_clear_object (&self->local);
  g_clear_object (&self->runpod);
  g_clear_object (&self->slurm);
  g_clear_object (&self->service);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (ljd_daemon_parent_class)->dispose (object);
}

static void
ljd_daemon_class_init (LjdDaemonClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ljd_daemon_dispose;
}

static void
ljd_daemon_init (LjdDaemon *self)
{
}

LjdDaemon *
ljd_daemon_new (const char  *db_path,
                guint        slots,
                double       time_scale,
                GError     **error)
{
  g_autoptr(LjdDaemon) self = g_object_new (LJD_TYPE_DAEMON, NULL);

  if (!(self->store = ljd_store_open (db_path, error)))
    return NULL;

  self->service = ljd_service_new (self->store, slots, time_scale);
  self->simulator = ljd_simulator_new (self->service);
  self->external = ljd_external_new ();
  self->local = ljd_local_new (self->service);
  ljd_service_add_provider (self->service, LJD_PROVIDER (self->simulator));
  ljd_service_add_provider (self->service, LJD_PROVIDER (self->external));
  ljd_service_add_provider (self->service, LJD_PROVIDER (self->local));
  self->server = ljd_server_new (self->service);

  return g_steal_pointer (&self);
}

gboolean
ljd_daemon_listen (LjdDaemon   *self,
                   const char  *host,
                   guint        port,
                   GError     **error)
{
  g_return_val_if_fail (LJD_IS_DAEMON (self), FALSE);
  return ljd_server_listen (self->server, host, port, error);
}

gboolean
ljd_daemon_seed_demo (LjdDaemon  *self,
                      GError    **error)
{
  g_return_val_if_fail (LJD_IS_DAEMON (self), FALSE);

  if (ljd_store_count_jobs (self->store) > 0)
    return TRUE;

  return ljd_demo_seed (self->service, error);
}

/* The app's private service issues itself a fresh token at every start;
 * revoking the previous ones keeps its database from collecting them. */
char *
ljd_daemon_issue_token (LjdDaemon   *self,
                        const char  *user,
                        gboolean     revoke_others,
                        GError     **error)
{
  g_return_val_if_fail (LJD_IS_DAEMON (self), NULL);

  if (revoke_others && !ljd_store_revoke_tokens (self->store, user, error))
    return NULL;

  return ljd_store_add_token (self->store, user, error);
}

/* The RunPod provider exists only with an API key, so a service without
 * one refuses "runpod" jobs as an unknown provider. Call before
 * ljd_daemon_start(), which re-attaches to running jobs' pods. */
gboolean
ljd_daemon_enable_runpod (LjdDaemon   *self,
                          const char  *api_key,
                          const char  *api_url,
                          const char  *public_url,
                          GError     **error)
{
  g_return_val_if_fail (LJD_IS_DAEMON (self), FALSE);
  g_return_val_if_fail (api_key != NULL && *api_key != '\0', FALSE);

  for (guint i = 0; i < 2; i++)
    {
      const char *url = i == 0 ? api_url : public_url;
      g_autoptr(GUri) uri = url ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;

      if (url != NULL && (uri == NULL || g_uri_get_host (uri) == NULL ||
                          (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 &&
                           g_strcmp0 (g_uri_get_scheme (uri), "https") != 0)))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("“%s” is not an http or https URL"), url);
          return FALSE;
        }
    }

  g_clear_object (&self->runpod);
  self->runpod = ljd_runpod_new (self->service, api_key, api_url, public_url);
  ljd_service_add_provider (self->service, LJD_PROVIDER (self->runpod));
  return TRUE;
}

/* The local provider is always there, so that a job of it that still
 * runs from an earlier start is watched to its end, but it runs nothing
 * until this turns it on: anyone with a token could run any command on
 * this machine. Call before ljd_daemon_start(); see ljd_local_enable()
 * for @user and @allow_root. */
gboolean
ljd_daemon_enable_local (LjdDaemon   *self,
                         const char  *user,
                         gboolean     allow_root,
                         GError     **error)
{
  g_return_val_if_fail (LJD_IS_DAEMON (self), FALSE);
  return ljd_local_enable (self->local, user, allow_root, error);
}

/* The Slurm provider exists only with slurmrestd's URL, so a service
 * without one refuses "slurm" jobs as an unknown provider; see
 * ljd_slurm_new() for the rest. @api is the OpenAPI plugin version
 * ("v0.0.38"); NULL for the default. Call before ljd_daemon_start(),
 * which re-attaches to the Slurm jobs of running jobs. */
gboolean
ljd_daemon_enable_slurm (LjdDaemon   *self,
                         const char  *url,
                         const char  *user,
                         const char  *token_file,
                         const char  *api,
                         const char  *public_url,
                         GError     **error)
{
  LjdSlurmApiVersion version;

  g_return_val_if_fail (LJD_IS_DAEMON (self), FALSE);

  if (!ljd_slurm_api_version_from_string (api ? api : LJD_SLURM_API_DEFAULT, &version, error))
    return FALSE;

  g_clear_object (&self->slurm);
  if (!(self->slurm = ljd_slurm_new (self->service, url, user, token_file, version, public_url, error)))
    return FALSE;

  ljd_service_add_provider (self->service, LJD_PROVIDER (self->slurm));
  return TRUE;
}

/* Providers pick up running jobs only once the server listens, because the
 * simulator reports through it. */
void
ljd_daemon_start (LjdDaemon *self)
{
  g_return_if_fail (LJD_IS_DAEMON (self));
  ljd_service_resume (self->service);
}

void
ljd_daemon_stop (LjdDaemon *self)
{
  g_return_if_fail (LJD_IS_DAEMON (self));

  if (self->service != NULL)
    ljd_service_shutdown (self->service);
  if (self->server != NULL)
    ljd_server_disconnect (self->server);
  if (self->simulator != NULL)
    g_object_run_dispose (G_OBJECT (self->simulator));
  if (self->local != NULL)
    g_object_run_dispose (G_OBJECT (self->local));
  if (self->runpod != NULL)
    g_object_run_dispose (G_OBJECT (self->runpod));
  if (self->slurm != NULL)
    g_object_run_dispose (G_OBJECT (self->slurm));
}

const char *
ljd_daemon_get_url (LjdDaemon *self)
{
  g_return_val_if_fail (LJD_IS_DAEMON (self), NULL);
  return ljd_server_get_url (self->server);
}

LjdServer *
ljd_daemon_get_server (LjdDaemon *self)
{
  g_return_val_if_fail (LJD_IS_DAEMON (self), NULL);
  return self->server;
}

LjdService *
ljd_daemon_get_service (LjdDaemon *self)
{
  g_return_val_if_fail (LJD_IS_DAEMON (self), NULL);
  return self->service;
}
