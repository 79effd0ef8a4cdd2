/* ljd-webhook.h: the signed requests providers send to a job's webhook
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

SoupMessage *ljd_webhook_message_new (const char *url,
                                      const char *secret,
                                      JsonArray  *events);

G_END_DECLS
