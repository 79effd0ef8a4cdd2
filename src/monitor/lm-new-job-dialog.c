/* lm-new-job-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One page, as the brief leaves the full Stage 1 set-up out of scope. The
 * estimate comes from the core's catalog arithmetic and is sent with the
 * job, so the cost tracker has something to compare spending against.
 *
 * It offers the providers the service says take jobs (GET /api/providers),
 * each with the fields of its config. A provider's fields are a table
 * (provider_uis below): to offer a new provider, add its fields there. One
 * the table does not know yet is offered with its config as JSON.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "lp-catalog.h"
#include "lp-format.h"
#include "lm-a11y.h"
#include "lm-new-job-dialog.h"

#define NAME_MAX_CHARS 200

typedef enum {
  FIELD_END,
  FIELD_TEXT,      /* a string; left out when empty unless required */
  FIELD_COMMAND,   /* a command line, split as a shell would (no shell runs it) into an array */
  FIELD_NUMBER,    /* an integer */
  FIELD_AMOUNT,    /* an integer left out when 0: the other side's default */
  FIELD_CHOICE,    /* one of choices; a choice without an id leaves the key out */
  FIELD_JSON,      /* the members of a JSON object, for a provider the table does not know */
  FIELD_NOTE,      /* no value: something to know about the provider */
} FieldKind;

typedef struct
{
  const char *id;
  const char *label;
} Choice;

typedef struct
{
  FieldKind     kind;
  const char   *key;       /* the config member */
  const char   *title;
  const char   *missing;   /* what to say when a required field is empty; NULL: optional */
  double        min, max, value;
  const Choice *choices;   /* NULL-terminated by label */
  const char   *note;      /* FIELD_NOTE's subtitle */
} Field;

typedef struct
{
  const char  *name;          /* the service's */
  const char  *label;
  const char  *description;   /* the group's: what the fields mean */
  const Field *fields;
  void       (*add_config) (LmNewJobDialog *self,
                            JsonObject     *config);
} ProviderUi;

static void add_simulator_config (LmNewJobDialog *self,
                                  JsonObject     *config);

static const Field simulator_fields[] = {
  { FIELD_NUMBER, "seed", N_("Simulation Seed"), NULL, 0, 2147483647, 1 },
  { FIELD_END },
};

static const Field external_fields[] = {
  { FIELD_NOTE, NULL, N_("Trainer Reports to the Webhook"), .note =
    N_("The job waits in Provisioning until your trainer posts its first event. Its webhook "
       "address and secret are shown once, right after the job is created.") },
  { FIELD_END },
};

static const Choice log_formats[] = {
  { NULL, N_("Automatic") },
  { "huggingface", N_("Hugging Face Trainer (TRL, Axolotl, Unsloth)") },
  { "tqdm", N_("Progress Bar (kohya-ss, diffusers, OneTrainer, ai-toolkit)") },
  { "lightning", N_("PyTorch Lightning") },
  { "torchtune", N_("torchtune") },
  { "nanogpt", N_("nanoGPT") },
  { "litgpt", N_("LitGPT") },
  { "mlx", N_("MLX-LM") },
  { NULL, NULL },
};

static const Field local_fields[] = {
  { FIELD_COMMAND, "argv", N_("Command"), N_("Enter the command to run") },
  { FIELD_TEXT, "cwd", N_("Working Folder") },
  { FIELD_CHOICE, "log_format", N_("Output Format"), .choices = log_formats },
  { FIELD_END },
};

static const Field runpod_fields[] = {
  { FIELD_TEXT, "image", N_("Container Image"), N_("Enter the container image to run") },
  { FIELD_TEXT, "gpu_type_id", N_("RunPod GPU Type") },
  { FIELD_NUMBER, "container_disk_gb", N_("Disk (GB)"), NULL, 1, 100000, 50 },
  { FIELD_END },
};

static const Field slurm_fields[] = {
  { FIELD_COMMAND, "argv", N_("Command"), N_("Enter the command the batch job runs") },
  { FIELD_TEXT, "cwd", N_("Working Folder on the Cluster"),
    N_("Enter the folder on the cluster’s shared file system the job runs in") },
  { FIELD_TEXT, "partition", N_("Partition") },
  { FIELD_AMOUNT, "gpus", N_("GPUs"), NULL, 0, 4096, 1 },
  { FIELD_AMOUNT, "cpus", N_("CPUs"), NULL, 0, 1000000, 0 },
  { FIELD_AMOUNT, "memory_mb", N_("Memory (MB)"), NULL, 0, 1 << 30, 0 },
  { FIELD_AMOUNT, "time_limit_min", N_("Time Limit (minutes)"), NULL, 0, 525600, 0 },
  { FIELD_TEXT, "account", N_("Account") },
  { FIELD_TEXT, "qos", N_("QOS") },
  { FIELD_CHOICE, "log_format", N_("Output Format"), .choices = log_formats },
  { FIELD_END },
};

static const Field unknown_fields[] = {
  { FIELD_JSON, NULL, N_("Config (JSON)") },
  { FIELD_END },
};

/* In the order "Runs On" lists them. */
static const ProviderUi provider_uis[] = {
  { "simulator", N_("Simulator"), N_("A simulated run: no GPU, no cost, the same seed replays the same run."),
    simulator_fields, add_simulator_config },
  { "external", N_("External Trainer"), NULL, external_fields },
  { "local", N_("Local Process"),
    N_("A command the service runs on its own machine, without a shell, for example "
       "“/usr/bin/python3 train.py --steps 2000”. The working folder is an absolute path there; "
       "without one, the service’s own. The output format says how to read what it prints."),
    local_fields },
  { "runpod", N_("RunPod"),
    N_("A pod rented from RunPod for the job, for example the image “runpod/pytorch:2.4.0-py3.11-cuda12.4.1-devel-ubuntu22.04”. "
       "Without a RunPod GPU type, the job’s GPU type is asked for."),
    runpod_fields },
  { "slurm", N_("Slurm Cluster"),
    N_("A batch job on the team’s Slurm cluster, which queues it with its own work: the job waits there, "
       "not in this service’s slots. The command runs in the working folder, an absolute path on the "
       "cluster’s shared file system, where its output goes too. A number left at 0 is the "
       "partition’s default; a batch script of your own goes in the config’s “script” through the API."),
    slurm_fields },
};

/* A provider the service offers, and its fields' widgets. */
typedef struct
{
  char             *name;
  const ProviderUi *ui;       /* NULL: unknown to this app */
  GtkWidget        *group;
  GPtrArray        *inputs;   /* GtkWidget *, one per field (NULL for a note) */
} Page;

static void
page_free (Page *page)
{
  g_free (page->name);
  g_clear_pointer (&page->inputs, g_ptr_array_unref);
  g_free (page);
}

struct _LmNewJobDialog
{
  AdwWindow      parent_instance;

  GtkLabel      *error_label;
  AdwEntryRow   *name_row;
  GtkLabel      *name_error;
  AdwComboRow   *preset_row;
  AdwComboRow   *gpu_row;
  AdwComboRow   *pricing_row;
  GtkSpinButton *steps_spin;
  AdwExpanderRow *guard_row;
  GtkSpinButton *guard_spin;
  GtkSpinButton *epochs_spin;
  AdwActionRow  *estimate_row;
  GtkBox        *content_box;
  AdwComboRow   *provider_row;
  GtkButton     *create_button;

  LmClient      *client;
  GCancellable  *cancellable;    /* the job being created */
  GCancellable  *providers_cancellable;
  GPtrArray     *pages;          /* Page *, as "Runs On" lists them */
  gboolean       name_touched;
};

G_DEFINE_FINAL_TYPE (LmNewJobDialog, lm_new_job_dialog, ADW_TYPE_WINDOW)

static const LpGpuOffer *
selected_gpu (LmNewJobDialog *self)
{
  guint n, selected = adw_combo_row_get_selected (self->gpu_row);
  const LpGpuOffer *gpus = lp_catalog_get_gpus (&n);

  return &gpus[MIN (selected, n - 1)];
}

static const LpPreset *
selected_preset (LmNewJobDialog *self)
{
  guint n, selected = adw_combo_row_get_selected (self->preset_row);
  const LpPreset *presets = lp_catalog_get_presets (&n);

  return &presets[MIN (selected, n - 1)];
}

static gboolean
is_spot (LmNewJobDialog *self)
{
  return adw_combo_row_get_selected (self->pricing_row) == 0;
}

static Page *
selected_page (LmNewJobDialog *self)
{
  guint selected = adw_combo_row_get_selected (self->provider_row);

  if (self->pages == NULL || selected >= self->pages->len)
    return NULL;
  return g_ptr_array_index (self->pages, selected);
}

static void
add_simulator_config (LmNewJobDialog *self,
                      JsonObject     *config)
{
  json_object_set_double_member (config, "steps_per_hour", selected_preset (self)->steps_per_hour);
}

/* Returns NULL when the name is fine, else why not. */
static char *
name_problem (LmNewJobDialog *self)
{
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));

  if (name[0] == '\0')
    return g_strdup (_("Give the job a name"));
  if (g_utf8_strlen (name, -1) > NAME_MAX_CHARS)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Use at most %d character",
                                         "Use at most %d characters", NAME_MAX_CHARS),
                            NAME_MAX_CHARS);

  return NULL;
}

static void
update_estimate (LmNewJobDialog *self)
{
  double rate = lp_gpu_rate (selected_gpu (self), is_spot (self));
  double min, max;
  gint64 duration;
  g_autofree char *range = NULL;
  g_autofree char *hours = NULL;
  g_autofree char *rate_text = lp_format_money (rate);
  g_autofree char *subtitle = NULL;
  g_autofree char *pricing = NULL;

  lp_estimate_new_job ((gint64) gtk_spin_button_get_value (self->steps_spin),
                       selected_preset (self)->steps_per_hour, rate, &min, &max, &duration);
  range = lp_format_estimate_range (min, max);
  hours = lp_format_duration (duration);

  /* Translators: e.g. "$45-55 for about 13h 25m of GPU time" */
  subtitle = g_strdup_printf (_("%s for about %s of GPU time"), range, hours);
  adw_action_row_set_subtitle (self->estimate_row, subtitle);

  /* Translators: an hourly rate, e.g. "$2.49/hr" */
  pricing = g_strdup_printf (_("%s/hr"), rate_text);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->pricing_row), pricing);
}

static void
update_validation (LmNewJobDialog *self)
{
  g_autofree char *problem = name_problem (self);

  /* Don't scold an empty field the user has not typed in yet. */
  gtk_widget_set_visible (GTK_WIDGET (self->name_error), problem != NULL && self->name_touched);
  gtk_label_set_label (self->name_error, problem ? problem : "");
  if (problem != NULL && self->name_touched)
    gtk_widget_add_css_class (GTK_WIDGET (self->name_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->name_row), "error");

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dialog.create",
                                 problem == NULL && self->cancellable == NULL && selected_page (self) != NULL);
}

static void
inputs_changed_cb (LmNewJobDialog *self)
{
  if (gtk_widget_has_focus (GTK_WIDGET (self->name_row)) ||
      gtk_editable_get_text (GTK_EDITABLE (self->name_row))[0] != '\0')
    self->name_touched = TRUE;

  if (self->pages != NULL)
    {
      Page *selected = selected_page (self);

      for (guint i = 0; i < self->pages->len; i++)
        {
          Page *page = g_ptr_array_index (self->pages, i);

          gtk_widget_set_visible (page->group, page == selected);
        }
    }
  update_estimate (self);
  update_validation (self);
}

/* Fills @config from the fields of @page; FALSE with *problem (and the
 * field to go to in *culprit) when one is not right. */
static gboolean
page_config (LmNewJobDialog  *self,
             Page            *page,
             JsonObject      *config,
             char           **problem,
             GtkWidget      **culprit)
{
  const Field *fields = page->ui != NULL ? page->ui->fields : unknown_fields;

  for (guint i = 0; fields[i].kind != FIELD_END; i++)
    {
      const Field *field = &fields[i];
      GtkWidget *input = g_ptr_array_index (page->inputs, i);
      g_autofree char *text = NULL;

      *culprit = input;

      switch (field->kind)
        {
        case FIELD_TEXT:
        case FIELD_COMMAND:
        case FIELD_JSON:
          text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (input))));
          if (text[0] == '\0')
            {
              if (field->missing != NULL)
                {
                  *problem = g_strdup (_(field->missing));
                  return FALSE;
                }
              continue;
            }
          break;
        case FIELD_NUMBER:
          json_object_set_int_member (config, field->key,
                                      (gint64) gtk_spin_button_get_value (GTK_SPIN_BUTTON (input)));
          continue;
        case FIELD_AMOUNT:
          {
            gint64 value = (gint64) gtk_spin_button_get_value (GTK_SPIN_BUTTON (input));

            if (value > 0)
              json_object_set_int_member (config, field->key, value);
          }
          continue;
        case FIELD_CHOICE:
          {
            guint selected = adw_combo_row_get_selected (ADW_COMBO_ROW (input));

            if (field->choices[selected].id != NULL)
              json_object_set_string_member (config, field->key, field->choices[selected].id);
          }
          continue;
        case FIELD_NOTE:
        case FIELD_END:
        default:
          continue;
        }

      if (field->kind == FIELD_TEXT)
        json_object_set_string_member (config, field->key, text);
      else if (field->kind == FIELD_COMMAND)
        {
          g_auto(GStrv) argv = NULL;
          g_autoptr(GError) error = NULL;
          JsonArray *array;

          /* Split as a shell would, so that quotes keep "a b" one item;
           * nothing ever runs it through a shell. */
          if (!g_shell_parse_argv (text, NULL, &argv, &error))
            {
              /* Translators: %s is GLib's reason, e.g. "Text ended before matching quote was found for '." */
              *problem = g_strdup_printf (_("The command cannot be read: %s"), error->message);
              return FALSE;
            }
          array = json_array_new ();
          for (guint k = 0; argv[k] != NULL; k++)
            json_array_add_string_element (array, argv[k]);
          json_object_set_array_member (config, field->key, array);
        }
      else
        {
          g_autoptr(JsonParser) parser = json_parser_new ();
          g_autoptr(GError) error = NULL;
          JsonNode *root;

          if (!json_parser_load_from_data (parser, text, -1, &error) ||
              !(root = json_parser_get_root (parser)) || !JSON_NODE_HOLDS_OBJECT (root))
            {
              *problem = g_strdup_printf (_("The config must be a JSON object, as in {\"key\": \"value\"}%s%s"),
                                          error != NULL ? ": " : "", error != NULL ? error->message : "");
              return FALSE;
            }
          {
            JsonObject *object = json_node_get_object (root);
            g_autoptr(GList) members = json_object_get_members (object);

            for (const GList *l = members; l != NULL; l = l->next)
              json_object_set_member (config, l->data, json_node_copy (json_object_get_member (object, l->data)));
          }
        }
    }

  *culprit = NULL;
  if (page->ui != NULL && page->ui->add_config != NULL)
    page->ui->add_config (self, config);
  return TRUE;
}

static JsonObject *
build_request (LmNewJobDialog  *self,
               char           **problem,
               GtkWidget      **culprit)
{
  g_autofree char *name = NULL;
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(JsonObject) config = NULL;
  const LpGpuOffer *gpu = selected_gpu (self);
  double rate = lp_gpu_rate (gpu, is_spot (self));
  gint64 steps = (gint64) gtk_spin_button_get_value (self->steps_spin);
  Page *page = selected_page (self);
  double min, max;
  gint64 duration;

  *culprit = GTK_WIDGET (self->name_row);
  if ((*problem = name_problem (self)))
    return NULL;

  *culprit = GTK_WIDGET (self->provider_row);
  if (page == NULL)
    {
      *problem = g_strdup (_("The service has not said yet where jobs can run"));
      return NULL;
    }

  config = json_object_new ();
  if (!page_config (self, page, config, problem, culprit))
    return NULL;

  name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  lp_estimate_new_job (steps, selected_preset (self)->steps_per_hour, rate, &min, &max, &duration);

  request = json_object_new ();
  json_object_set_string_member (request, "name", name);
  json_object_set_int_member (request, "total_steps", steps);
  json_object_set_int_member (request, "epochs", (gint64) gtk_spin_button_get_value (self->epochs_spin));
  json_object_set_string_member (request, "gpu_type", gpu->name);
  json_object_set_string_member (request, "pricing", is_spot (self) ? "spot" : "on_demand");
  json_object_set_double_member (request, "hourly_rate", rate);
  json_object_set_double_member (request, "estimate_min", min);
  json_object_set_double_member (request, "estimate_max", max);
  json_object_set_string_member (request, "preset", selected_preset (self)->id);
  json_object_set_string_member (request, "provider", page->name);
  json_object_set_object_member (request, "config", g_steal_pointer (&config));

  /* The rest of the guard's rules are on the Job page, once it runs. */
  if (adw_expander_row_get_enable_expansion (self->guard_row))
    {
      JsonObject *guard = json_object_new ();
      JsonObject *projected = json_object_new ();

      json_object_set_double_member (projected, "percent_over_estimate",
                                     gtk_spin_button_get_value (self->guard_spin));
      json_object_set_object_member (guard, "projected", projected);
      json_object_set_object_member (request, "guard", guard);
    }

  *culprit = NULL;
  return g_steal_pointer (&request);
}

/**
 * lm_new_job_dialog_build_request:
 * @problem: (out): why there is no request, when there is none
 *
 * Returns: (transfer full) (nullable): the body of the job's
 *   POST /api/training/jobs, as the fields say now
 */
JsonObject *
lm_new_job_dialog_build_request (LmNewJobDialog  *self,
                                 char           **problem)
{
  GtkWidget *culprit = NULL;

  g_return_val_if_fail (LM_IS_NEW_JOB_DIALOG (self), NULL);

  return build_request (self, problem, &culprit);
}

/* Providers */

static void name_activated_cb (LmNewJobDialog *self);

static GtkWidget *
spin_row (const char *title,
          double      min,
          double      max,
          double      value,
          GtkWidget **spin)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  *spin = gtk_spin_button_new_with_range (min, max, 1);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (*spin), value);
  gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (*spin), TRUE);
  gtk_widget_set_valign (*spin, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (*spin), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), *spin);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), *spin);
  return row;
}

static Page *
page_new (LmNewJobDialog *self,
          const char     *name)
{
  Page *page = g_new0 (Page, 1);
  const Field *fields;
  const char *description = NULL;
  g_autofree char *title = NULL;

  page->name = g_strdup (name);
  for (guint i = 0; i < G_N_ELEMENTS (provider_uis); i++)
    if (g_str_equal (provider_uis[i].name, name))
      page->ui = &provider_uis[i];

  fields = page->ui != NULL ? page->ui->fields : unknown_fields;
  if (page->ui != NULL && page->ui->description != NULL)
    description = _(page->ui->description);
  else if (page->ui == NULL)
    description = _("This app does not know this provider’s settings: give its config as the service’s "
                    "documentation describes it.");
  title = page->ui != NULL ? g_strdup (_(page->ui->label)) : g_strdup (name);

  page->group = adw_preferences_group_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (page->group), title);
  if (description != NULL)
    adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (page->group), description);
  page->inputs = g_ptr_array_new ();

  for (guint i = 0; fields[i].kind != FIELD_END; i++)
    {
      const Field *field = &fields[i];
      GtkWidget *row = NULL, *input = NULL;

      switch (field->kind)
        {
        case FIELD_TEXT:
        case FIELD_COMMAND:
        case FIELD_JSON:
          row = input = adw_entry_row_new ();
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _(field->title));
          g_signal_connect_swapped (row, "changed", G_CALLBACK (inputs_changed_cb), self);
          /* Enter creates the job, as in the name field. */
          g_signal_connect_swapped (row, "entry-activated", G_CALLBACK (name_activated_cb), self);
          break;
        case FIELD_NUMBER:
        case FIELD_AMOUNT:
          row = spin_row (_(field->title), field->min, field->max, field->value, &input);
          break;
        case FIELD_CHOICE:
          {
            g_autoptr(GtkStringList) labels = gtk_string_list_new (NULL);

            for (guint k = 0; field->choices[k].label != NULL; k++)
              gtk_string_list_append (labels, _(field->choices[k].label));
            row = input = adw_combo_row_new ();
            adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _(field->title));
            adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (labels));
          }
          break;
        case FIELD_NOTE:
          row = adw_action_row_new ();
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _(field->title));
          adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _(field->note));
          break;
        case FIELD_END:
        default:
          g_assert_not_reached ();
        }

      adw_preferences_group_add (ADW_PREFERENCES_GROUP (page->group), row);
      g_ptr_array_add (page->inputs, input);
    }

  gtk_widget_set_visible (page->group, FALSE);
  gtk_box_append (self->content_box, page->group);
  return page;
}

/* Offers @names, the providers that take jobs: those this app knows in
 * its order, then any other. */
static void
set_providers (LmNewJobDialog     *self,
               const char * const *names)
{
  g_autoptr(GtkStringList) labels = gtk_string_list_new (NULL);
  guint simulator = 0;

  self->pages = g_ptr_array_new_with_free_func ((GDestroyNotify) page_free);
  for (guint i = 0; i < G_N_ELEMENTS (provider_uis); i++)
    if (g_strv_contains (names, provider_uis[i].name))
      g_ptr_array_add (self->pages, page_new (self, provider_uis[i].name));
  for (guint i = 0; names[i] != NULL; i++)
    {
      gboolean known = FALSE;

      for (guint k = 0; k < G_N_ELEMENTS (provider_uis); k++)
        known |= g_str_equal (provider_uis[k].name, names[i]);
      if (!known)
        g_ptr_array_add (self->pages, page_new (self, names[i]));
    }

  for (guint i = 0; i < self->pages->len; i++)
    {
      Page *page = g_ptr_array_index (self->pages, i);

      gtk_string_list_append (labels, page->ui != NULL ? _(page->ui->label) : page->name);
      if (g_str_equal (page->name, "simulator"))
        simulator = i;
    }

  adw_combo_row_set_model (self->provider_row, G_LIST_MODEL (labels));
  /* The simulator first, as before the service was asked: it costs nothing. */
  adw_combo_row_set_selected (self->provider_row, simulator);
  gtk_widget_set_sensitive (GTK_WIDGET (self->provider_row), self->pages->len > 0);
  inputs_changed_cb (self);
}

static void
providers_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(LmNewJobDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = lm_client_list_providers_finish (LM_CLIENT (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->pages != NULL)
    return;

  if (names == NULL)
    {
      static const char * const before[] = { "simulator", "external", NULL };

      /* A service from before GET /api/providers has these two. */
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->provider_row),
                                   g_error_matches (error, LM_CLIENT_ERROR, LM_CLIENT_ERROR_NOT_FOUND)
                                   ? NULL : error->message);
      set_providers (self, before);
      return;
    }

  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->provider_row), NULL);
  set_providers (self, (const char * const *) names);
}

static void
show_webhook (GtkWindow  *parent,
              LpJob      *job,
              const char *base_url,
              const char *secret)
{
  g_autofree char *url = g_strdup_printf ("%s/api/training/jobs/%" G_GINT64_FORMAT "/webhook",
                                          base_url, lp_job_get_id (job));
  g_autofree char *text = g_strdup_printf (_("Webhook: %s\nSecret: %s"), url, secret ? secret : "");
  GtkWidget *label = gtk_label_new (text);
  GtkWidget *dialog;

  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_CHAR);
  gtk_widget_add_css_class (label, "monospace");
  lm_a11y_fix_names (label);

  dialog = adw_message_dialog_new (parent, _("Connect Your Trainer"),
                                   _("Post the trainer's events to this address, signed with this secret (HMAC-SHA256 in the X-Lora-Signature header). The secret is not shown again."));
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), label);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
create_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(LmNewJobDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = NULL;
  g_autoptr(LpJob) job = lm_client_create_job_finish (LM_CLIENT (object), result, &secret, &error);
  GtkWindow *parent;

  /* Closed before the answer: the user has moved on. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  g_clear_object (&self->cancellable);
  gtk_button_set_label (self->create_button, _("C_reate"));

  if (job == NULL)
    {
      /* The service's own words: they name the field that is wrong. */
      gtk_label_set_label (self->error_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
      update_validation (self);
      return;
    }

  if (parent != NULL)
    {
      gtk_widget_activate_action (GTK_WIDGET (parent), "win.open-job", "x", lp_job_get_id (job));
      gtk_widget_activate_action (GTK_WIDGET (parent), "win.refresh", NULL);
      if (g_strcmp0 (lp_job_get_provider (job), "external") == 0)
        show_webhook (parent, job, lm_client_get_base_url (LM_CLIENT (object)), secret);
    }

  gtk_window_destroy (GTK_WINDOW (self));
}

static void
create_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  LmNewJobDialog *self = LM_NEW_JOB_DIALOG (widget);
  g_autofree char *problem = NULL;
  g_autoptr(JsonObject) request = NULL;
  GtkWidget *culprit = NULL;

  self->name_touched = TRUE;
  if (!(request = build_request (self, &problem, &culprit)))
    {
      update_validation (self);
      /* The name says what is wrong with it under itself; anything else
       * is said at the top. */
      if (culprit != GTK_WIDGET (self->name_row))
        {
          gtk_label_set_label (self->error_label, problem);
          gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
        }
      if (culprit != NULL)
        gtk_widget_grab_focus (culprit);
      return;
    }

  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  gtk_button_set_label (self->create_button, _("Creating…"));
  self->cancellable = g_cancellable_new ();
  update_validation (self);

  lm_client_create_job_async (self->client, request, self->cancellable, create_cb, g_object_ref (self));
}

static void
name_activated_cb (LmNewJobDialog *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "dialog.create", NULL);
}

static gboolean
lm_new_job_dialog_close_request (GtkWindow *window)
{
  LmNewJobDialog *self = LM_NEW_JOB_DIALOG (window);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);

  return GTK_WINDOW_CLASS (lm_new_job_dialog_parent_class)->close_request (window);
}

static void
lm_new_job_dialog_dispose (GObject *object)
{
  LmNewJobDialog *self = (LmNewJobDialog *) object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_cancellable_cancel (self->providers_cancellable);
  g_clear_object (&self->providers_cancellable);
  g_clear_pointer (&self->pages, g_ptr_array_unref);
  g_clear_object (&self->client);

  gtk_widget_dispose_template (GTK_WIDGET (self), LM_TYPE_NEW_JOB_DIALOG);

  G_OBJECT_CLASS (lm_new_job_dialog_parent_class)->dispose (object);
}

static void
lm_new_job_dialog_class_init (LmNewJobDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lm_new_job_dialog_dispose;
  GTK_WINDOW_CLASS (klass)->close_request = lm_new_job_dialog_close_request;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lorapipeline/Monitor/ui/lm-new-job-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, name_error);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, preset_row);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, gpu_row);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, pricing_row);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, steps_spin);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, epochs_spin);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, estimate_row);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, guard_row);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, guard_spin);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, content_box);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, provider_row);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, create_button);
  gtk_widget_class_bind_template_callback (widget_class, inputs_changed_cb);

  gtk_widget_class_install_action (widget_class, "dialog.create", NULL, create_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
lm_new_job_dialog_init (LmNewJobDialog *self)
{
  g_autoptr(GtkStringList) gpus = gtk_string_list_new (NULL);
  const LpGpuOffer *offers;
  guint n;

  gtk_widget_init_template (GTK_WIDGET (self));

  offers = lp_catalog_get_gpus (&n);
  for (guint i = 0; i < n; i++)
    gtk_string_list_append (gpus, offers[i].name);
  adw_combo_row_set_model (self->gpu_row, G_LIST_MODEL (gpus));

  /* Enter in the name field creates the job, as in any GNOME dialog. */
  g_signal_connect_swapped (self->name_row, "entry-activated", G_CALLBACK (name_activated_cb), self);

  inputs_changed_cb (self);
  self->name_touched = FALSE;
  update_validation (self);

  /* Typing starts with the name, the one field without a good default. */
  gtk_window_set_focus (GTK_WINDOW (self), GTK_WIDGET (self->name_row));
}

GtkWidget *
lm_new_job_dialog_new (GtkWindow *parent,
                       LmClient  *client)
{
  LmNewJobDialog *self = g_object_new (LM_TYPE_NEW_JOB_DIALOG, "transient-for", parent, NULL);

  self->client = g_object_ref (client);
  self->providers_cancellable = g_cancellable_new ();
  lm_client_list_providers_async (client, self->providers_cancellable, providers_cb, g_object_ref (self));
  return GTK_WIDGET (self);
}

const char *
lm_new_job_dialog_get_estimate (LmNewJobDialog *self)
{
  g_return_val_if_fail (LM_IS_NEW_JOB_DIALOG (self), NULL);
  return adw_action_row_get_subtitle (self->estimate_row);
}
