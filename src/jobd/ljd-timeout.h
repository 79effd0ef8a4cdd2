/* ljd-timeout.h: timers on the context the service runs in
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

GSource *ljd_timeout_attach (GMainContext   *context,
                             guint           interval_ms,
                             GSourceFunc     func,
                             gpointer        data,
                             GDestroyNotify  notify);
void     ljd_source_clear   (GSource       **source);

G_END_DECLS
