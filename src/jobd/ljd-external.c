/* ljd-external.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The external provider starts nothing: the job holds a slot and waits in
 * "provisioning" until a trainer the user runs elsewhere reports to its
 * webhook. Cancelling is bookkeeping; the trainer's next event gets 409,
 * which is its signal to stop.
 */
#include "config.h"

#include "ljd-external.h"

struct _LjdExternal
{
  GObject parent_instance;
};

static void provider_iface_init (LjdProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LjdExternal, ljd_external, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (LJD_TYPE_PROVIDER, provider_iface_init))

static void
ljd_external_class_init (LjdExternalClass *klass)
{
}

static void
ljd_external_init (LjdExternal *self)
{
}

LjdExternal *
ljd_external_new (void)
{
  return g_object_new (LJD_TYPE_EXTERNAL, NULL);
}

static const char *
ljd_external_get_name (LjdProvider *provider)
{
  return "external";
}

static void
ljd_external_start (LjdProvider *provider,
                    LpJob       *job,
                    const char  *webhook_secret,
                    gboolean     reattach)
{
}

static void
ljd_external_cancel_async (LjdProvider         *provider,
                           LpJob               *job,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (provider, cancellable, callback, user_data);

  g_task_set_source_tag (task, ljd_external_cancel_async);
  g_task_return_boolean (task, TRUE);
}

static gboolean
ljd_external_cancel_finish (LjdProvider   *provider,
                            GAsyncResult  *result,
                            GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
provider_iface_init (LjdProviderInterface *iface)
{
  iface->get_name = ljd_external_get_name;
  iface->start = ljd_external_start;
  iface->cancel_async = ljd_external_cancel_async;
  iface->cancel_finish = ljd_external_cancel_finish;
}
