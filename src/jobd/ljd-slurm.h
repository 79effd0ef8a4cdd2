/* ljd-slurm.h: a provider that runs each job as a Slurm batch job
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ljd-provider.h"
#include "ljd-service.h"
#include "ljd-slurm-api.h"

G_BEGIN_DECLS

#define LJD_TYPE_SLURM (ljd_slurm_get_type ())

G_DECLARE_FINAL_TYPE (LjdSlurm, ljd_slurm, LJD, SLURM, GObject)

/* Between SIGTERM and the kill when a job is cancelled from the app;
 * LORA_SLURM_GRACE_MS overrides it (tests). */
#define LJD_SLURM_DEFAULT_GRACE_MS 30000

LjdSlurm   *ljd_slurm_new          (LjdService          *service,
                                    const char          *url,
                                    const char          *user,
                                    const char          *token_file,
                                    LjdSlurmApiVersion   api,
                                    const char          *public_url,
                                    GError             **error);
guint       ljd_slurm_get_n_runs   (LjdSlurm            *self);

G_END_DECLS
