/* ljd-slurm-token.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The token (a JWT from `scontrol token`) is read from its file, and read
 * again whenever the file changes, since such tokens expire and a team
 * renews them by rewriting the file. It is wiped from memory when it is
 * replaced, and redacted from whatever the provider repeats of slurmrestd's
 * or the network's words.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ljd-slurm-api.h"
#include "ljd-slurm-token.h"

#define MAX_TOKEN_BYTES (64 * 1024)

struct _LjdSlurmToken
{
  GObject  parent_instance;

  char    *path;
  char    *value;
  char    *user;        /* the token's own user, from its claims */
  char    *problem;     /* why there is no token; NULL when there is one */
  gint64   expiry;      /* seconds since the epoch; 0: not known */

  /* The file as last read */
  gint64   mtime;
  gint64   size;
  guint64  inode;
  gboolean stat_ok;
  guint    generation;  /* one more for every token or problem read */
};

G_DEFINE_FINAL_TYPE (LjdSlurmToken, ljd_slurm_token, G_TYPE_OBJECT)

static void
forget_value (LjdSlurmToken *self)
{
  if (self->value != NULL)
    memset (self->value, 0, strlen (self->value));
  g_clear_pointer (&self->value, g_free);
  g_clear_pointer (&self->user, g_free);
  self->expiry = 0;
}

static void
ljd_slurm_token_finalize (GObject *object)
{
  LjdSlurmToken *self = (LjdSlurmToken *) object;

  forget_value (self);
  g_clear_pointer (&self->problem, g_free);
  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (ljd_slurm_token_parent_class)->finalize (object);
}

static void
ljd_slurm_token_class_init (LjdSlurmTokenClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ljd_slurm_token_finalize;
}

static void
ljd_slurm_token_init (LjdSlurmToken *self)
{
}

/* Reads nothing yet: ljd_slurm_token_refresh() does. */
LjdSlurmToken *
ljd_slurm_token_new (const char *path)
{
  LjdSlurmToken *self;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (LJD_TYPE_SLURM_TOKEN, NULL);
  self->path = g_strdup (path);

  return self;
}

/* Reads the token file again when it changed (another inode: replaced by
 * a rename; another size or time: rewritten). Returns TRUE when there is
 * a token to send. */
gboolean
ljd_slurm_token_refresh (LjdSlurmToken *self)
{
  GStatBuf st;
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  gint64 mtime;

  g_return_val_if_fail (LJD_IS_SLURM_TOKEN (self), FALSE);

  if (g_stat (self->path, &st) != 0)
    {
      int saved = errno;

      if (self->stat_ok || self->problem == NULL)
        {
          g_free (self->problem);
          self->problem = g_strdup_printf (_("cannot read the token file %s: %s"),
                                           self->path, g_strerror (saved));
          self->generation++;
        }
      self->stat_ok = FALSE;
      forget_value (self);
      return FALSE;
    }

#ifdef __linux__
  mtime = (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000;
#else
  mtime = (gint64) st.st_mtime * G_USEC_PER_SEC;
#endif

  if (self->stat_ok && mtime == self->mtime && (gint64) st.st_size == self->size &&
      (guint64) st.st_ino == self->inode)
    return self->value != NULL;

  self->stat_ok = TRUE;
  self->mtime = mtime;
  self->size = st.st_size;
  self->inode = st.st_ino;
  self->generation++;
  forget_value (self);
  g_clear_pointer (&self->problem, g_free);

  if (st.st_size > MAX_TOKEN_BYTES)
    {
      self->problem = g_strdup_printf (_("the token file %s is too large to hold a token"), self->path);
      return FALSE;
    }

  if (!g_file_get_contents (self->path, &contents, &len, &error))
    {
      self->problem = g_strdup_printf (_("cannot read the token file %s: %s"), self->path, error->message);
      return FALSE;
    }

  /* `scontrol token` prints SLURM_JWT=…; the bare token is fine too. */
  g_strstrip (contents);
  {
    const char *token = g_str_has_prefix (contents, "SLURM_JWT=") ? contents + strlen ("SLURM_JWT=") : contents;

    if (*token == '\0' || strpbrk (token, " \t\r\n") != NULL)
      {
        self->problem = g_strdup_printf (_("the token file %s does not hold one token"), self->path);
        memset (contents, 0, len);
        return FALSE;
      }

    self->value = g_strdup (token);
  }
  memset (contents, 0, len);

  self->expiry = ljd_slurm_token_expiry (self->value);
  self->user = ljd_slurm_token_user (self->value);
  return TRUE;
}

const char *
ljd_slurm_token_get_path (LjdSlurmToken *self)
{
  g_return_val_if_fail (LJD_IS_SLURM_TOKEN (self), NULL);
  return self->path;
}

/* The token to send, or NULL. */
const char *
ljd_slurm_token_get_value (LjdSlurmToken *self)
{
  g_return_val_if_fail (LJD_IS_SLURM_TOKEN (self), NULL);
  return self->value;
}

const char *
ljd_slurm_token_get_user (LjdSlurmToken *self)
{
  g_return_val_if_fail (LJD_IS_SLURM_TOKEN (self), NULL);
  return self->user;
}

/* Why there is no token, for people; NULL when there is one. */
const char *
ljd_slurm_token_get_problem (LjdSlurmToken *self)
{
  g_return_val_if_fail (LJD_IS_SLURM_TOKEN (self), NULL);
  return self->problem;
}

/* Changes whenever the file gives another token or another problem: what
 * Slurm refused is remembered by it, and a renewed token is tried at once. */
guint
ljd_slurm_token_get_generation (LjdSlurmToken *self)
{
  g_return_val_if_fail (LJD_IS_SLURM_TOKEN (self), 0);
  return self->generation;
}

/* As slurmctld judges it (auth/jwt: "exp" < now, in whole seconds). */
gboolean
ljd_slurm_token_is_expired (LjdSlurmToken *self)
{
  g_return_val_if_fail (LJD_IS_SLURM_TOKEN (self), FALSE);
  return self->expiry > 0 && self->expiry < g_get_real_time () / G_USEC_PER_SEC;
}

/* Whatever slurmrestd or the network says goes into events and job
 * errors; the token must never be among it. */
char *
ljd_slurm_token_redact (LjdSlurmToken *self,
                        const char    *text)
{
  g_auto(GStrv) parts = NULL;

  g_return_val_if_fail (LJD_IS_SLURM_TOKEN (self), NULL);

  if (text == NULL || self->value == NULL || strlen (self->value) < 8 || strstr (text, self->value) == NULL)
    return g_strdup (text);

  parts = g_strsplit (text, self->value, -1);
  return g_strjoinv ("[redacted]", parts);
}

/* A sentence for people on why Slurm does not take the token, and how to
 * renew it for @user_name. */
char *
ljd_slurm_token_describe_refusal (LjdSlurmToken *self,
                                  const char    *user_name,
                                  const char    *detail)
{
  g_autofree char *how = NULL;

  g_return_val_if_fail (LJD_IS_SLURM_TOKEN (self), NULL);

  how = g_strdup_printf (_("Renew it: run “scontrol token username=%s lifespan=SECONDS” on the cluster "
                           "and write the token to %s; the service reads the file again when it changes"),
                         user_name, self->path);

  if (self->value == NULL)
    return g_strdup_printf (_("The service has no Slurm token: %s. %s"), self->problem, how);

  if (ljd_slurm_token_is_expired (self))
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (self->expiry);
      g_autofree char *at = g_date_time_format (when, "%Y-%m-%d %H:%M:%S UTC");

      return g_strdup_printf (_("Slurm refused the service's token: it expired at %s. %s"), at, how);
    }

  return g_strdup_printf (_("Slurm refused the service's token (%s). %s"), detail ? detail : "", how);
}
