/* lm-event-row.h: one event of the event log, with its payload behind an expander
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "lp-event.h"

G_BEGIN_DECLS

#define LM_TYPE_EVENT_ROW (lm_event_row_get_type ())

G_DECLARE_FINAL_TYPE (LmEventRow, lm_event_row, LM, EVENT_ROW, GtkListBoxRow)

#define LM_EVENT_ROW_HIGHLIGHT_MS 2000

GtkWidget  *lm_event_row_new             (LpEvent    *event);
LpEvent    *lm_event_row_get_event       (LmEventRow *self);
gboolean    lm_event_row_get_expanded    (LmEventRow *self);
void        lm_event_row_set_expanded    (LmEventRow *self,
                                          gboolean    expanded);
void        lm_event_row_toggle          (LmEventRow *self);
const char *lm_event_row_get_json        (LmEventRow *self);
const char *lm_event_row_get_time_text   (LmEventRow *self);
const char *lm_event_row_get_type_text   (LmEventRow *self);
char       *lm_event_row_dup_label       (LmEventRow *self);
void        lm_event_row_arrive          (LmEventRow *self,
                                          gboolean    watched);
void        lm_event_row_seen            (LmEventRow *self);
gboolean    lm_event_row_get_highlighted (LmEventRow *self);

char       *lm_event_json_markup         (const char *json,
                                          gboolean    dark);

G_END_DECLS
