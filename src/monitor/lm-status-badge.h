/* lm-status-badge.h: a job's status as icon, words and colour
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "lp-types.h"

G_BEGIN_DECLS

#define LM_TYPE_STATUS_BADGE (lm_status_badge_get_type ())

G_DECLARE_FINAL_TYPE (LmStatusBadge, lm_status_badge, LM, STATUS_BADGE, GtkWidget)

GtkWidget   *lm_status_badge_new          (void);
void         lm_status_badge_set_status   (LmStatusBadge *self,
                                           LpJobStatus    status,
                                           double         progress);
LpJobStatus  lm_status_badge_get_status   (LmStatusBadge *self);
const char  *lm_status_badge_get_text     (LmStatusBadge *self);
const char  *lm_status_icon_name          (LpJobStatus    status);
const char  *lm_status_css_class          (LpJobStatus    status);

G_END_DECLS
