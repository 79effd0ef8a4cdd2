/* lp-event.h: one entry of a job's event log
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "lp-types.h"

G_BEGIN_DECLS

#define LP_TYPE_EVENT (lp_event_get_type ())

G_DECLARE_FINAL_TYPE (LpEvent, lp_event, LP, EVENT, GObject)

LpEvent     *lp_event_new            (gint64        id,
                                      gint64        ts,
                                      LpEventType   type,
                                      const char   *message,
                                      JsonObject   *payload);
LpEvent     *lp_event_new_from_json  (JsonObject   *object,
                                      GError      **error);
void         lp_event_to_json        (LpEvent      *self,
                                      JsonBuilder  *builder);
gint64       lp_event_get_id         (LpEvent      *self);
gint64       lp_event_get_ts         (LpEvent      *self);
LpEventType  lp_event_get_event_type (LpEvent      *self);
const char  *lp_event_get_message    (LpEvent      *self);
JsonObject  *lp_event_get_payload    (LpEvent      *self);

G_END_DECLS
