/* lm-application.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "lm-client.h"

G_BEGIN_DECLS

#define LM_TYPE_APPLICATION (lm_application_get_type ())

G_DECLARE_FINAL_TYPE (LmApplication, lm_application, LM, APPLICATION, AdwApplication)

LmApplication *lm_application_new        (void);
LmClient      *lm_application_get_client (LmApplication *self);

G_END_DECLS
