/* ljd-guard-keeper.h: the service's side of the budget guard
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Stores each job's guard (lp-guard.h), takes new rules and "Keep
 * running" from the API, and on the service's watch judges every running
 * job by its rules: a rule that holds warns, and cancels the job once its
 * grace is over, in the name of the user who set it.
 */
#pragma once

#include "lp-guard.h"
#include "ljd-service.h"

G_BEGIN_DECLS

gboolean  ljd_guard_keeper_parse  (JsonObject   *request,
                                   double        estimate_max,
                                   const char   *user,
                                   LpGuard     **guard,
                                   GError      **error);
LpJob    *ljd_guard_keeper_set    (LjdService   *service,
                                   gint64        id,
                                   JsonObject   *request,
                                   const char   *user,
                                   GError      **error);
LpJob    *ljd_guard_keeper_disarm (LjdService   *service,
                                   gint64        id,
                                   JsonObject   *request,
                                   const char   *user,
                                   GError      **error);
gboolean  ljd_guard_keeper_watch  (LjdService   *service,
                                   LpJob        *job,
                                   gint64        now,
                                   GError      **error);

G_END_DECLS
