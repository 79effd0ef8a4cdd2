/* lm-embedded-service.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The service runs on a thread of its own with its own main context, so
 * its sqlite work and the simulator's timers never touch the UI's loop.
 * Nothing crosses threads but the URL and token (set once before the start
 * completes) and the request to stop.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "ljd-daemon.h"
#include "lm-embedded-service.h"

struct _LmEmbeddedService
{
  GObject       parent_instance;

  char         *db_path;
  gboolean      demo;
  double        time_scale;

  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  char         *url;
  char         *token;
};

G_DEFINE_FINAL_TYPE (LmEmbeddedService, lm_embedded_service, G_TYPE_OBJECT)

static void
lm_embedded_service_finalize (GObject *object)
{
  LmEmbeddedService *self = (LmEmbeddedService *) object;

  lm_embedded_service_stop (self);
  g_clear_pointer (&self->db_path, g_free);
  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->token, g_free);

  G_OBJECT_CLASS (lm_embedded_service_parent_class)->finalize (object);
}

static void
lm_embedded_service_class_init (LmEmbeddedServiceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lm_embedded_service_finalize;
}

static void
lm_embedded_service_init (LmEmbeddedService *self)
{
}

char *
lm_embedded_service_default_db (void)
{
  return g_build_filename (g_get_user_data_dir (), "lora-monitor", "jobs.db", NULL);
}

/* The task is returned and released on the context that started it, so
 * its last reference (and the service with it) never dies on this thread,
 * which would then have to join itself. */
typedef struct
{
  GTask  *task;
  GError *error;
} StartResult;

static gboolean
return_start_cb (gpointer data)
{
  StartResult *result = data;

  if (result->error != NULL)
    g_task_return_error (result->task, result->error);
  else
    g_task_return_pointer (result->task,
                           g_object_ref (g_task_get_source_object (result->task)),
                           g_object_unref);

  g_object_unref (result->task);
  g_free (result);
  return G_SOURCE_REMOVE;
}

static void
return_start (GTask  *task,
              GError *error)
{
  StartResult *result = g_new0 (StartResult, 1);

  result->task = task;
  result->error = error;
  g_main_context_invoke (g_task_get_context (task), return_start_cb, result);
}

static gpointer
service_thread (gpointer data)
{
  GTask *task = data;
  LmEmbeddedService *self = g_task_get_source_object (task);
  g_autoptr(LjdDaemon) daemon = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  g_main_context_push_thread_default (self->context);

  /* Its only user is the desktop's owner, through the token it issues
   * itself: local jobs are that user's own commands, as that user. */
  if (!(daemon = ljd_daemon_new (self->db_path, 3, self->time_scale, &error)) ||
      !ljd_daemon_enable_local (daemon, NULL, TRUE, &error) ||
      (self->demo && !ljd_daemon_seed_demo (daemon, &error)) ||
      !(token = ljd_daemon_issue_token (daemon, g_get_user_name (), TRUE, &error)) ||
      !ljd_daemon_listen (daemon, "127.0.0.1", 0, &error))
    {
      g_prefix_error (&error, _("The built-in job service could not start: "));
      g_main_context_pop_thread_default (self->context);
      return_start (task, g_steal_pointer (&error));
      return NULL;
    }

  self->url = g_strdup (ljd_daemon_get_url (daemon));
  self->token = g_steal_pointer (&token);
  ljd_daemon_start (daemon);

  return_start (task, NULL);

  g_main_loop_run (self->loop);

  ljd_daemon_stop (daemon);
  g_clear_object (&daemon);
  g_main_context_pop_thread_default (self->context);

  return NULL;
}

void
lm_embedded_service_start_async (const char          *db_path,
                                 gboolean             demo,
                                 double               time_scale,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(LmEmbeddedService) self = g_object_new (LM_TYPE_EMBEDDED_SERVICE, NULL);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, lm_embedded_service_start_async);

  self->db_path = g_strdup (db_path);
  self->demo = demo;
  self->time_scale = time_scale > 0 ? time_scale : 1.0;
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->thread = g_thread_new ("lora-jobd", service_thread, task);
}

LmEmbeddedService *
lm_embedded_service_start_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
lm_embedded_service_get_url (LmEmbeddedService *self)
{
  g_return_val_if_fail (LM_IS_EMBEDDED_SERVICE (self), NULL);
  return self->url;
}

const char *
lm_embedded_service_get_token (LmEmbeddedService *self)
{
  g_return_val_if_fail (LM_IS_EMBEDDED_SERVICE (self), NULL);
  return self->token;
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* Joins the thread; called when the app shuts down, where a short wait for
 * sqlite to finish its last write is what keeps the database whole. */
void
lm_embedded_service_stop (LmEmbeddedService *self)
{
  g_return_if_fail (LM_IS_EMBEDDED_SERVICE (self));

  if (self->thread == NULL || self->thread == g_thread_self ())
    return;

  g_main_context_invoke (self->context, quit_cb, self->loop);
  g_thread_join (g_steal_pointer (&self->thread));
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
}
