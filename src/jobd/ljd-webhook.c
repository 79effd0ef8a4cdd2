/* ljd-webhook.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Providers that report for a job (the simulator, the local provider) do
 * it exactly as a trainer would: a signed batch posted to the job's
 * webhook over HTTP, so there is one way in for events and one place that
 * checks them.
 */
#include "config.h"

#include <string.h>

#include "lp-json.h"
#include "ljd-service.h"
#include "ljd-webhook.h"

/* Returns NULL when @url is not one libsoup can send to. */
SoupMessage *
ljd_webhook_message_new (const char *url,
                         const char *secret,
                         JsonArray  *events)
{
  g_autoptr(JsonObject) obj = json_object_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *signature = NULL;
  SoupMessage *msg;
  char *body;
  gsize len;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (secret != NULL, NULL);
  g_return_val_if_fail (events != NULL, NULL);

  if (!(msg = soup_message_new ("POST", url)))
    return NULL;

  json_object_set_array_member (obj, "events", json_array_ref (events));
  root = json_node_init_object (json_node_alloc (), obj);
  body = lp_json_to_string (root, FALSE);
  len = strlen (body);
  signature = ljd_sign_body (secret, body, len);

  bytes = g_bytes_new_take (body, len);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  soup_message_headers_replace (soup_message_get_request_headers (msg),
                                "X-Lora-Signature", signature);

  return msg;
}
