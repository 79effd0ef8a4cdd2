/* ljd-service-private.h: what the service lends its helpers in src/jobd
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The guard keeper judges jobs by the same arithmetic and clocks as the
 * early warnings and cancels through the same path as a user; these are
 * those pieces, kept out of the public header.
 */
#pragma once

#include "lp-types.h"
#include "ljd-service.h"

G_BEGIN_DECLS

/* Spend and projected final cost at @now, in cents as the API serves them. */
void     ljd_service_costs_at         (LjdService   *self,
                                       LpJob        *job,
                                       gint64        now,
                                       double       *cost,
                                       double       *projected);
gint64   ljd_service_silent_s         (LjdService   *self,
                                       LpJob        *job,
                                       gint64        now);
gint64   ljd_service_usec_to_job_time (LjdService   *self,
                                       LpJob        *job,
                                       gint64        usec);
gboolean ljd_service_is_diverging     (LjdService   *self,
                                       LpJob        *job,
                                       gboolean     *diverging,
                                       GError      **error);
/* Inside the caller's transaction, if any. */
gboolean ljd_service_record_event     (LjdService   *self,
                                       LpJob        *job,
                                       gint64        when,
                                       LpEventType   type,
                                       const char   *message,
                                       JsonObject   *payload,
                                       GError      **error);
void     ljd_service_cancel_for       (LjdService   *self,
                                       LpJob        *job,
                                       const char   *reason,
                                       const char   *user);

G_END_DECLS
