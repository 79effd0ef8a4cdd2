/* bench-json.c: how fast bodies are read, by each way of reading them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The service reads every webhook batch and create body, the app every
 * answer. This measures, on realistic bodies:
 *
 *   json-glib        json-glib's immutable parser alone (lenient, the reference)
 *   before           what lp_json_parse_object() did before the strict reader:
 *                    g_utf8_validate, a nesting pre-scan, then json-glib
 *   check+json-glib  the strict one-pass check (lp_json_check), then json-glib
 *   lp_json_parse    the strict iterative reader that builds the tree itself
 *
 * and, for the webhook batches, the whole decoding of their events as it
 * was (the old reader, then lp_trainer_event_new_from_json for each) and as
 * it is (lp_trainer_events_parse). Each figure is the median of 7 runs.
 *
 *   meson test -C _build --benchmark json -v
 *   _build/bench/bench-json [--runs N] [--seconds S]
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lp-json.h"
#include "lp-trainer-event.h"

typedef gboolean (*ReadFunc) (const char *data, gsize length);

static guint n_runs = 7;
static double run_seconds = 0.25;

static gboolean
read_json_glib (const char *data,
                gsize       length)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();

  return json_parser_load_from_data (parser, data, length, NULL) &&
         JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser));
}

/* lp-json.c's reader before this measurement, verbatim but for names. */
static guint
old_nesting_depth (const char *data,
                   gsize       length)
{
  guint depth = 0, deepest = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }

      switch (c)
        {
        case '"':
          in_string = TRUE;
          break;
        case '[':
        case '{':
          depth++;
          deepest = MAX (deepest, depth);
          if (deepest > LP_JSON_MAX_DEPTH_ANSWER)
            return deepest;
          break;
        case ']':
        case '}':
          if (depth > 0)
            depth--;
          break;
        default:
          break;
        }
    }

  return deepest;
}

static gboolean
read_before (const char *data,
             gsize       length)
{
  if (!g_utf8_validate (data, length, NULL) ||
      old_nesting_depth (data, length) > LP_JSON_MAX_DEPTH_ANSWER)
    return FALSE;

  return read_json_glib (data, length);
}

static gboolean
read_check_json_glib (const char *data,
                      gsize       length)
{
  return lp_json_check (data, length, LP_JSON_MAX_DEPTH_REQUEST, NULL) &&
         read_json_glib (data, length);
}

static gboolean
read_lp_json (const char *data,
              gsize       length)
{
  g_autoptr(JsonObject) object = lp_json_parse_object_full (data, length,
                                                            LP_JSON_MAX_DEPTH_REQUEST, NULL);
  return object != NULL;
}

static gboolean
read_check_only (const char *data,
                 gsize       length)
{
  return lp_json_check (data, length, LP_JSON_MAX_DEPTH_REQUEST, NULL);
}

static gboolean
decode_events (const char *data,
               gsize       length)
{
  g_autoptr(GPtrArray) events = lp_trainer_events_parse (data, length, NULL);

  return events != NULL;
}

/* The webhook's whole decoding as it was: the old reader, then each event. */
static gboolean
decode_events_before (const char *data,
                      gsize       length)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  JsonNode *root;
  JsonArray *batch;

  if (!g_utf8_validate (data, length, NULL) ||
      old_nesting_depth (data, length) > LP_JSON_MAX_DEPTH_ANSWER ||
      !json_parser_load_from_data (parser, data, length, NULL) ||
      !(root = json_parser_get_root (parser)) || !JSON_NODE_HOLDS_OBJECT (root) ||
      !(batch = json_object_get_array_member (json_node_get_object (root), "events")))
    return FALSE;

  for (guint i = 0; i < json_array_get_length (batch); i++)
    {
      LpTrainerEvent *event = lp_trainer_event_new_from_json (json_array_get_object_element (batch, i), NULL);

      if (event == NULL)
        return FALSE;
      lp_trainer_event_free (event);
    }

  return TRUE;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Reads per second, the median of n_runs runs of about run_seconds each. */
static double
measure (ReadFunc    read,
         const char *data,
         gsize       length)
{
  g_autofree double *rates = g_new (double, n_runs);
  guint batch = 1;

  if (!read (data, length))
    g_error ("a benchmark body was refused");

  /* Calibrate so that one run takes about run_seconds. */
  for (;;)
    {
      gint64 start = g_get_monotonic_time ();
      double elapsed;

      for (guint i = 0; i < batch; i++)
        read (data, length);
      elapsed = (g_get_monotonic_time () - start) / 1e6;
      if (elapsed >= run_seconds / 4)
        {
          batch = MAX (1, (guint) (batch * run_seconds / elapsed));
          break;
        }
      batch *= 2;
    }

  for (guint r = 0; r < n_runs; r++)
    {
      gint64 start = g_get_monotonic_time ();

      for (guint i = 0; i < batch; i++)
        read (data, length);
      rates[r] = batch / ((g_get_monotonic_time () - start) / 1e6);
    }

  qsort (rates, n_runs, sizeof (double), compare_doubles);
  return rates[n_runs / 2];
}

static char *
metrics_batch (guint n_events)
{
  GString *body = g_string_new ("{\"events\": [");

  for (guint i = 0; i < n_events; i++)
    {
      guint step = (i + 1) * 10;
      double loss = 0.18 + 1.6 * exp (-5.0 * step / (n_events * 10.0));
      char loss_text[G_ASCII_DTOSTR_BUF_SIZE], epoch_text[G_ASCII_DTOSTR_BUF_SIZE];

      g_ascii_formatd (loss_text, sizeof loss_text, "%.4f", loss);
      g_ascii_formatd (epoch_text, sizeof epoch_text, "%.3f", step / 1200.0);

      if (i > 0)
        g_string_append (body, ",\n ");
      g_string_append_printf (body,
                              "{\"event_id\": \"run-7f3a-%05u\", \"type\": \"metrics\", "
                              "\"ts\": \"2026-11-29T03:%02u:%02uZ\", \"data\": {\"step\": %u, "
                              "\"epoch\": %s, \"train_loss\": %s, ",
                              i, 45 + i / 60 % 14, i % 60, step, epoch_text, loss_text);
      if (i % 10 == 9)
        g_string_append_printf (body, "\"val_loss\": %s, ", loss_text);
      g_string_append_printf (body, "\"learning_rate\": %.6g, \"gpu_util\": %u}}",
                              2e-4 * (1.0 - (double) i / n_events), 85 + i % 11);
    }

  g_string_append (body, "]}");
  return g_string_free (body, FALSE);
}

static const char create_body[] =
  "{\n"
  "  \"name\": \"support-bot-llama3-r16\",\n"
  "  \"total_steps\": 2000,\n"
  "  \"epochs\": 3,\n"
  "  \"gpu_type\": \"H100 80GB\",\n"
  "  \"pricing\": \"spot\",\n"
  "  \"hourly_rate\": 2.49,\n"
  "  \"estimate_min\": 28.5,\n"
  "  \"estimate_max\": 33,\n"
  "  \"preset\": \"balanced\",\n"
  "  \"provider\": \"local\",\n"
  "  \"config\": {\"argv\": [\"python3\", \"train.py\", \"--model\", \"meta-llama/Meta-Llama-3-8B\", "
  "\"--lora-r\", \"16\"], \"cwd\": \"/srv/train\", \"env\": {\"HF_HOME\": \"/srv/hf\", "
  "\"CUDA_VISIBLE_DEVICES\": \"0\"}, \"seed\": 42}\n"
  "}\n";

typedef struct
{
  const char *name;
  ReadFunc    read;
} Reader;

static void
bench_body (const char *title,
            const char *data,
            guint       n_events)
{
  const Reader readers[] = {
    { "json-glib", read_json_glib },
    { "before", read_before },
    { "check+json-glib", read_check_json_glib },
    { "lp_json_parse", read_lp_json },
    { "lp_json_check only", read_check_only },
  };
  const Reader decoders[] = {
    { "decode events, before", decode_events_before },
    { "lp_trainer_events_parse", decode_events },
  };
  gsize length = strlen (data);
  double reference = 0, before = 0;
  g_autofree char *count = n_events ? g_strdup_printf (", %u events", n_events) : g_strdup ("");

  g_print ("\n%s: %" G_GSIZE_FORMAT " bytes%s\n", title, length, count);
  g_print ("  %-22s %10s %12s %14s %10s %10s\n",
           "reader", "MB/s", "bodies/s", n_events ? "events/s" : "", "vs glib", "vs before");

  for (guint i = 0; i < G_N_ELEMENTS (readers) + (n_events ? G_N_ELEMENTS (decoders) : 0); i++)
    {
      const Reader *reader = i < G_N_ELEMENTS (readers) ? &readers[i] : &decoders[i - G_N_ELEMENTS (readers)];
      const char *name = reader->name;
      ReadFunc read = reader->read;
      double rate = measure (read, data, length);
      g_autofree char *events = n_events ? g_strdup_printf ("%.0f", rate * n_events) : g_strdup ("");

      if (i == 0)
        reference = rate;
      if (i == 1)
        before = rate;
      g_print ("  %-22s %10.1f %12.1f %14s %9.2fx %9.2fx\n",
               name, rate * length / 1e6, rate, events, rate / reference,
               rate / (before > 0 ? before : rate));
    }
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *batch = NULL;
  g_autofree char *small_batch = NULL;
  GOptionEntry entries[] = {
    { "runs", 0, 0, G_OPTION_ARG_INT, &n_runs, "Runs per figure (the median is shown)", "N" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &run_seconds, "Seconds per run", "S" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— JSON reading speed");
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  n_runs = MAX (n_runs, 1);

  g_print ("Medians of %u runs of %.2f s each\n", n_runs, run_seconds);

  batch = metrics_batch (1000);
  small_batch = metrics_batch (20);
  bench_body ("Webhook batch of 1,000 metrics events", batch, 1000);
  bench_body ("Webhook batch of 20 metrics events", small_batch, 20);
  bench_body ("Create-job body", create_body, 0);

  return 0;
}
