/* lm-token-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The token goes to the keyring through libsecret when there is one, and
 * to GSettings otherwise (a headless session, a test, a build without
 * libsecret), so a missing keyring never stops the app from connecting.
 */
#include "config.h"

#include <glib/gi18n.h>

#ifdef HAVE_LIBSECRET
# include <libsecret/secret.h>
#endif

#include "lm-token-store.h"

#ifdef HAVE_LIBSECRET
static const SecretSchema *
token_schema (void)
{
  static const SecretSchema schema = {
    APP_ID ".Token", SECRET_SCHEMA_NONE,
    {
      { "url", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };

  return &schema;
}
#endif

static char *
settings_token (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);

  return g_settings_get_string (settings, "service-token");
}

#ifdef HAVE_LIBSECRET
static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *token = secret_password_lookup_finish (result, &error);

  if (token == NULL || token[0] == '\0')
    {
      if (error != NULL)
        g_debug ("No keyring (%s); using the token from GSettings", error->message);
      secret_password_free (token);
      g_task_return_pointer (task, settings_token (), g_free);
      return;
    }

  g_task_return_pointer (task, g_strdup (token), g_free);
  secret_password_free (token);
}
#endif

void
lm_token_store_lookup_async (const char          *url,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, lm_token_store_lookup_async);

#ifdef HAVE_LIBSECRET
  secret_password_lookup (token_schema (), cancellable, lookup_cb, task, "url", url, NULL);
#else
  g_task_return_pointer (task, settings_token (), g_free);
  g_object_unref (task);
#endif
}

char *
lm_token_store_lookup_finish (GAsyncResult  *result,
                              GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
save_to_settings (const char *token)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);

  g_settings_set_string (settings, "service-token", token ? token : "");
}

#ifdef HAVE_LIBSECRET
static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!secret_password_store_finish (result, &error))
    {
      g_debug ("No keyring (%s); keeping the token in GSettings", error->message);
      save_to_settings (g_task_get_task_data (task));
    }
  else
    save_to_settings ("");

  g_task_return_boolean (task, TRUE);
}
#endif

void
lm_token_store_save_async (const char          *url,
                           const char          *token,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, lm_token_store_save_async);
  g_task_set_task_data (task, g_strdup (token), g_free);

#ifdef HAVE_LIBSECRET
  {
    g_autofree char *label = g_strdup_printf (_("LoRA Pipeline job service token for %s"), url);

    secret_password_store (token_schema (), SECRET_COLLECTION_DEFAULT, label, token ? token : "",
                           cancellable, store_cb, task, "url", url, NULL);
  }
#else
  save_to_settings (token);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
#endif
}

gboolean
lm_token_store_save_finish (GAsyncResult  *result,
                            GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
