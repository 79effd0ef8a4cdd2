/* lp-catalog.h: GPU offers, presets and the cost estimate of a new job
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const char *name;
  double      spot_rate;        /* USD per hour */
  double      on_demand_rate;
} LpGpuOffer;

typedef struct
{
  const char *id;               /* API value: fast, balanced, quality */
  double      steps_per_hour;   /* typical speed, for the estimate */
} LpPreset;

const LpGpuOffer *lp_catalog_get_gpus     (guint      *n_gpus);
const LpPreset   *lp_catalog_get_presets  (guint      *n_presets);
const char       *lp_preset_label         (const char *id);
const char       *lp_pricing_label        (const char *pricing);
double            lp_gpu_rate             (const LpGpuOffer *gpu,
                                           gboolean    spot);
void              lp_estimate_new_job     (gint64      total_steps,
                                           double      steps_per_hour,
                                           double      hourly_rate,
                                           double     *estimate_min,
                                           double     *estimate_max,
                                           gint64     *duration_s);

G_END_DECLS
