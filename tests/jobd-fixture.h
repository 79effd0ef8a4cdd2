/* jobd-fixture.h: a real lora-jobd on loopback for widget tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  char        *dir;
  char        *db;
  char        *url;
  char        *token;
  char        *extra_args;
  guint        port;
  GSubprocess *process;
} JobdFixture;

void        jobd_fixture_start        (JobdFixture  *f,
                                       const char   *extra_args);
void        jobd_fixture_stop         (JobdFixture  *f);
void        jobd_fixture_restart      (JobdFixture  *f);
void        jobd_fixture_free         (JobdFixture  *f);
JsonObject *jobd_fixture_request      (JobdFixture  *f,
                                       const char   *method,
                                       const char   *path,
                                       const char   *body,
                                       guint        *status);
gint64      jobd_fixture_create_job   (JobdFixture  *f,
                                       const char   *name,
                                       const char   *provider,
                                       char        **secret);
void        jobd_fixture_post_events  (JobdFixture  *f,
                                       gint64        job_id,
                                       const char   *secret,
                                       const char   *events_json);
gboolean    wait_until                (gboolean    (*predicate) (gpointer),
                                       gpointer      data,
                                       guint         timeout_ms);

G_END_DECLS
