/* ljd-acceptor.h: the listening socket and the connections it lets in
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libsoup 3.2 accepts every connection its listener sees, keeps each for
 * as long as the client likes, and stops accepting for good after one
 * failed accept() (EMFILE). The acceptor listens itself, admits a bounded
 * number of connections (per address too), times out idle and slow ones,
 * and hands each admitted one to the SoupServer.
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define LJD_TYPE_ACCEPTOR (ljd_acceptor_get_type ())

G_DECLARE_FINAL_TYPE (LjdAcceptor, ljd_acceptor, LJD, ACCEPTOR, GObject)

typedef struct
{
  guint max_connections;           /* open at once, all clients together */
  guint max_per_address;           /* open at once from one IP address */
  guint header_timeout_ms;         /* from connecting, or the first byte of a request, to its headers */
  guint body_idle_timeout_ms;      /* longest pause while a body is sent */
  guint idle_timeout_ms;           /* a kept-alive connection with no request */
  guint response_timeout_ms;       /* from a whole request to the end of its answer */
  guint max_header_bytes;          /* a request line and its headers */
} LjdLimits;

#define LJD_LIMITS_DEFAULT { 512, 128, 10000, 10000, 30000, 120000, 64 * 1024 }

LjdAcceptor *ljd_acceptor_new            (SoupServer         *server,
                                          const LjdLimits    *limits);
gboolean     ljd_acceptor_listen         (LjdAcceptor        *self,
                                          GSocketAddress     *address,
                                          GError            **error);
guint        ljd_acceptor_get_port       (LjdAcceptor        *self);
void         ljd_acceptor_close          (LjdAcceptor        *self);
guint        ljd_acceptor_get_n_open     (LjdAcceptor        *self);
const LjdLimits *ljd_acceptor_get_limits (LjdAcceptor        *self);
void         ljd_acceptor_answer_and_close (LjdAcceptor      *self,
                                          SoupServerMessage  *msg);

G_END_DECLS
