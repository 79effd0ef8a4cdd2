/* lm-token-store.h: where the service token is kept
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void      lm_token_store_lookup_async  (const char           *url,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
char     *lm_token_store_lookup_finish (GAsyncResult         *result,
                                        GError              **error);
void      lm_token_store_save_async    (const char           *url,
                                        const char           *token,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
gboolean  lm_token_store_save_finish   (GAsyncResult         *result,
                                        GError              **error);

G_END_DECLS
