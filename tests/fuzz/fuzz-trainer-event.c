/* fuzz-trainer-event.c: the webhook body parser of the service
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A webhook body is one trainer event or {"events": [...]}. Whatever is
 * accepted is what the service stores and serves: the events' numbers
 * must be in range, their text valid UTF-8, and the stored payload must
 * read back within the depth every reader of the service accepts.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "fuzz-common.h"
#include "lp-json.h"
#include "lp-trainer-event.h"

static void
check_event (const LpTrainerEvent *event)
{
  g_autoptr(JsonNode) raw = json_node_init_object (json_node_alloc (), event->raw);
  g_autofree char *stored = lp_json_to_string (raw, FALSE);
  g_autofree char *message = lp_trainer_event_describe (event);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) again = NULL;

  fuzz_assert_text (event->event_id);
  g_assert_cmpuint (strlen (event->event_id), >, 0);
  fuzz_assert_text (message);
  fuzz_assert_text (stored);
  if (event->message != NULL)
    fuzz_assert_text (event->message);
  if (event->substatus != NULL)
    fuzz_assert_text (event->substatus);
  if (event->error != NULL)
    fuzz_assert_text (event->error);

  g_assert_cmpint (event->step, >=, -1);
  g_assert_cmpint (event->step, <=, LP_STEP_MAX);
  g_assert_true (isnan (event->epoch) || (event->epoch >= 0 && event->epoch <= LP_EPOCH_MAX));
  g_assert_true (isnan (event->gpu_util) || (event->gpu_util >= 0 && event->gpu_util <= 100));

  /* Served three levels down (events page, events, event, payload). */
  again = lp_json_parse_object_full (stored, strlen (stored),
                                     LP_JSON_MAX_DEPTH_ANSWER - LP_JSON_SERVED_EXTRA_DEPTH, &error);
  if (again == NULL)
    g_error ("a stored event does not read back: %s", error->message);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = NULL;

  fuzz_setup ();

  events = lp_trainer_events_parse ((const char *) data, size, &error);
  if (events == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == LP_JSON_ERROR);
      fuzz_assert_text (error->message);
      return 0;
    }

  g_assert_no_error (error);
  g_assert_cmpuint (events->len, >, 0);
  for (guint i = 0; i < events->len; i++)
    check_event (g_ptr_array_index (events, i));

  return 0;
}
