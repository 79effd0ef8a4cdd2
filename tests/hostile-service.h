/* hostile-service.h: a fake lora-jobd that answers with hostile bodies
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _HostileService HostileService;

/* What the service answers. Each case but HOSTILE_NORMAL spoils every
 * route in the case's routes (see hostile_service_set_case()). */
typedef enum {
  HOSTILE_NORMAL,           /* valid answers */
  HOSTILE_GARBAGE,          /* 200, not JSON */
  HOSTILE_TRUNCATED,        /* 200, the valid answer cut in half */
  HOSTILE_EMPTY,            /* 200, no body */
  HOSTILE_BIG_VALID,        /* 200, the valid answer padded to 10 MB */
  HOSTILE_HUGE_DECLARED,    /* 200, Content-Length of 100 MiB (300 for the export), streamed */
  HOSTILE_HUGE_CHUNKED,     /* 200, chunked, 100 MiB (300 for the export), streamed */
  HOSTILE_STRINGS_FOR_NUMBERS, /* every number a string: "12", "NaN" */
  HOSTILE_ARRAYS_FOR_OBJECTS,  /* every object below the root an array */
  HOSTILE_OBJECTS_FOR_ARRAYS,  /* every array an object */
  HOSTILE_NULLS,            /* every member null */
  HOSTILE_NUMBERS_FOR_STRINGS, /* every string a number */
  HOSTILE_HUGE_NUMBERS,     /* integers 2^63 - 1, doubles 1e308 */
  HOSTILE_NEGATIVE_NUMBERS, /* integers -1, doubles -1e308 */
  HOSTILE_RAW_NUMBERS,      /* 99999999999999999999, 1e999, -0, 5e-324 in the text */
  HOSTILE_DEEP,             /* 100 000 nested arrays */
  HOSTILE_DEEP_OK,          /* a config 40 deep: within the limit */
  HOSTILE_MARKUP,           /* valid, with markup in every text */
  HOSTILE_INVALID_UTF8,     /* valid JSON but for bytes that are not UTF-8 */
  HOSTILE_LONE_SURROGATE,   /* a lone low surrogate escape, which json-glib quotes as bytes */
  HOSTILE_HTML_500,         /* 500 with an HTML page */
  HOSTILE_MARKUP_500,       /* 500 with a JSON error whose message is markup */
  HOSTILE_HTML_502,         /* 502 with an HTML page: a gateway without its service */
  HOSTILE_HUGE_ERROR,       /* 500 with a 100 MiB chunked error body */
  HOSTILE_N_CASES
} HostileCase;

/* Which answers a case spoils. */
typedef enum {
  HOSTILE_ROUTE_ME      = 1 << 0,
  HOSTILE_ROUTE_LIST    = 1 << 1,
  HOSTILE_ROUTE_JOB     = 1 << 2,
  HOSTILE_ROUTE_METRICS = 1 << 3,
  HOSTILE_ROUTE_EVENTS  = 1 << 4,
  HOSTILE_ROUTE_EXPORT  = 1 << 5,
  HOSTILE_ROUTE_QUEUE   = 1 << 6,
  HOSTILE_ROUTE_ALL     = 0x7f,
} HostileRoute;

/* Shown in every text of HOSTILE_MARKUP and HOSTILE_MARKUP_500. */
#define HOSTILE_MARKUP_TEXT "<b>bold</b> & <span foreground=\"red\">"

HostileService *hostile_service_new          (void);
void            hostile_service_free         (HostileService *self);
const char     *hostile_service_get_url      (HostileService *self);
void            hostile_service_set_case     (HostileService *self,
                                              HostileCase     which,
                                              HostileRoute    routes);
const char     *hostile_case_name            (HostileCase     which);
guint64         hostile_service_get_max_streamed (HostileService *self);
void            hostile_service_reset_max_streamed (HostileService *self);
guint           hostile_service_get_n_streams_done (HostileService *self);

/* The service's valid documents, for codec tests. */
char           *hostile_document             (HostileRoute    route);
char           *hostile_spoil                (const char     *document,
                                              HostileCase     which,
                                              gsize          *length);

G_END_DECLS
