/* ljd-server-private.h: hooks for the tests and the fuzzer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ljd-server.h"

G_BEGIN_DECLS

/* The SoupServer behind @self, to hand it a connection that is no socket. */
SoupServer *ljd_server_get_soup_server (LjdServer *self);

G_END_DECLS
