/* lm-banner.h: a bar under the header bar for a persistent condition
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libadwaita 1.2 has no AdwBanner; this is the same idea: a revealer with
 * a message and one button that activates an action. Given a client, it
 * shows itself while the service is unreachable, counting down to the
 * next retry.
 */
#pragma once

#include <gtk/gtk.h>

#include "lm-client.h"

G_BEGIN_DECLS

#define LM_TYPE_BANNER (lm_banner_get_type ())

G_DECLARE_FINAL_TYPE (LmBanner, lm_banner, LM, BANNER, GtkWidget)

void        lm_banner_set_title        (LmBanner   *self,
                                        const char *title);
const char *lm_banner_get_title        (LmBanner   *self);
void        lm_banner_set_revealed     (LmBanner   *self,
                                        gboolean    revealed);
gboolean    lm_banner_get_revealed     (LmBanner   *self);
void        lm_banner_set_client       (LmBanner   *self,
                                        LmClient   *client);

G_END_DECLS
