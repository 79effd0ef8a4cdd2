/* lp-catalog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include <glib/gi18n-lib.h>

#include "lp-catalog.h"

/* Whole-run overhead before and after the steps: provisioning,
 * preprocessing, model loading and saving, as the simulator plays them. */
#define OVERHEAD_S (300 + 222 + 480 + 480)
/* The estimate is a range because runs vary; the brief shows ±10 %. */
#define SPREAD 0.10

static const LpGpuOffer gpus[] = {
  { "H100 PCIe 80GB", 2.49, 3.99 },
  { "H100 SXM 80GB", 2.99, 3.47 },
  { "A100 SXM 80GB", 1.19, 1.89 },
  { "L40S 48GB", 0.79, 1.14 },
  { "8x H100 SXM", 19.92, 27.60 },
};

static const LpPreset presets[] = {
  { "fast", 220 },
  { "balanced", 160 },
  { "quality", 120 },
};

const LpGpuOffer *
lp_catalog_get_gpus (guint *n_gpus)
{
  *n_gpus = G_N_ELEMENTS (gpus);
  return gpus;
}

const LpPreset *
lp_catalog_get_presets (guint *n_presets)
{
  *n_presets = G_N_ELEMENTS (presets);
  return presets;
}

const char *
lp_preset_label (const char *id)
{
  if (g_strcmp0 (id, "fast") == 0)
    return _("Fast");
  if (g_strcmp0 (id, "quality") == 0)
    return _("Quality");
  return _("Balanced");
}

const char *
lp_pricing_label (const char *pricing)
{
  return g_strcmp0 (pricing, "spot") == 0 ? _("Spot") : _("On-demand");
}

double
lp_gpu_rate (const LpGpuOffer *gpu,
             gboolean          spot)
{
  return spot ? gpu->spot_rate : gpu->on_demand_rate;
}

/* The expected run time at the preset's speed, and a cost range of ±10 %
 * around it rounded to whole dollars (never below $1, and max > min). */
void
lp_estimate_new_job (gint64  total_steps,
                     double  steps_per_hour,
                     double  hourly_rate,
                     double *estimate_min,
                     double *estimate_max,
                     gint64 *duration_s)
{
  double seconds = 0, cost;

  if (total_steps > 0 && steps_per_hour > 0)
    seconds = total_steps / steps_per_hour * 3600.0 + OVERHEAD_S;

  cost = seconds / 3600.0 * MAX (hourly_rate, 0);

  *duration_s = (gint64) round (seconds);
  *estimate_min = MAX (1.0, floor (cost * (1 - SPREAD)));
  *estimate_max = MAX (*estimate_min + 1, ceil (cost * (1 + SPREAD)));
}
