/* ljd-simulator.h: a provider that plays a realistic training run
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ljd-provider.h"
#include "ljd-service.h"

G_BEGIN_DECLS

#define LJD_TYPE_SIMULATOR (ljd_simulator_get_type ())

G_DECLARE_FINAL_TYPE (LjdSimulator, ljd_simulator, LJD, SIMULATOR, GObject)

LjdSimulator *ljd_simulator_new      (LjdService   *service);
guint         ljd_simulator_get_n_runs (LjdSimulator *self);

G_END_DECLS
