/* ljd-runpod.h: a provider that rents a RunPod pod for each job
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ljd-provider.h"
#include "ljd-service.h"

G_BEGIN_DECLS

#define LJD_TYPE_RUNPOD (ljd_runpod_get_type ())

G_DECLARE_FINAL_TYPE (LjdRunpod, ljd_runpod, LJD, RUNPOD, GObject)

/* RunPod's REST API v2; paths start with /v2. */
#define LJD_RUNPOD_DEFAULT_API_URL "https://api.runpod.io"

LjdRunpod  *ljd_runpod_new            (LjdService  *service,
                                       const char  *api_key,
                                       const char  *api_url,
                                       const char  *public_url);
guint       ljd_runpod_get_n_runs     (LjdRunpod   *self);

G_END_DECLS
