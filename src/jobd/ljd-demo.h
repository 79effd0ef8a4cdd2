/* ljd-demo.h: a realistic history for a fresh service
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ljd-service.h"

G_BEGIN_DECLS

gboolean ljd_demo_seed (LjdService  *service,
                        GError     **error);

G_END_DECLS
