/* ljd-external.h: a provider for trainers started elsewhere
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ljd-provider.h"

G_BEGIN_DECLS

#define LJD_TYPE_EXTERNAL (ljd_external_get_type ())

G_DECLARE_FINAL_TYPE (LjdExternal, ljd_external, LJD, EXTERNAL, GObject)

LjdExternal *ljd_external_new (void);

G_END_DECLS
