/* ljd-slurm-token.h: the Slurm token, as its file holds it now
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define LJD_TYPE_SLURM_TOKEN (ljd_slurm_token_get_type ())

G_DECLARE_FINAL_TYPE (LjdSlurmToken, ljd_slurm_token, LJD, SLURM_TOKEN, GObject)

LjdSlurmToken *ljd_slurm_token_new            (const char    *path);
gboolean       ljd_slurm_token_refresh        (LjdSlurmToken *self);
const char    *ljd_slurm_token_get_path       (LjdSlurmToken *self);
const char    *ljd_slurm_token_get_value      (LjdSlurmToken *self);
const char    *ljd_slurm_token_get_user       (LjdSlurmToken *self);
const char    *ljd_slurm_token_get_problem    (LjdSlurmToken *self);
guint          ljd_slurm_token_get_generation (LjdSlurmToken *self);
gboolean       ljd_slurm_token_is_expired     (LjdSlurmToken *self);
char          *ljd_slurm_token_redact         (LjdSlurmToken *self,
                                               const char    *text);
char          *ljd_slurm_token_describe_refusal (LjdSlurmToken *self,
                                               const char    *user_name,
                                               const char    *detail);

G_END_DECLS
