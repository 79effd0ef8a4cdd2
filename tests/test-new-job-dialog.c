/* test-new-job-dialog.c: the New Training Job dialog against a real lora-jobd
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The service runs with the local provider and RunPod on (RunPod at an
 * address nobody answers: no job here reaches it), so the dialog must
 * offer four providers, each with its fields, and create jobs the service
 * takes. A second service without the local provider must not offer it.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "jobd-fixture.h"
#include "lm-new-job-dialog.h"

static JobdFixture *jobd;
static LmClient *client;
static char *runpod_key;

typedef struct
{
  GtkWindow *parent;
  gint64     opened;      /* the id win.open-job was given, or 0 */
} Parent;

typedef struct
{
  LmNewJobDialog *dialog;   /* weak: NULL once it is gone */
} Watch;

static void
open_job_cb (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  ((Parent *) user_data)->opened = g_variant_get_int64 (param);
}

static void
nothing_cb (GSimpleAction *action,
            GVariant      *param,
            gpointer       user_data)
{
}

static Parent *
parent_new (void)
{
  Parent *p = g_new0 (Parent, 1);
  g_autoptr(GSimpleActionGroup) group = g_simple_action_group_new ();
  g_autoptr(GSimpleAction) open = g_simple_action_new ("open-job", G_VARIANT_TYPE_INT64);
  g_autoptr(GSimpleAction) refresh = g_simple_action_new ("refresh", NULL);

  g_signal_connect (open, "activate", G_CALLBACK (open_job_cb), p);
  g_signal_connect (refresh, "activate", G_CALLBACK (nothing_cb), p);
  g_action_map_add_action (G_ACTION_MAP (group), G_ACTION (open));
  g_action_map_add_action (G_ACTION_MAP (group), G_ACTION (refresh));

  p->parent = GTK_WINDOW (gtk_window_new ());
  gtk_widget_insert_action_group (GTK_WIDGET (p->parent), "win", G_ACTION_GROUP (group));
  gtk_window_set_default_size (p->parent, 1000, 800);
  gtk_window_present (p->parent);
  return p;
}

static void
parent_free (Parent *p)
{
  gtk_window_destroy (p->parent);
  g_free (p);
}

static void
iterate (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < until)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

/* The widget of @type whose title (a row's) or label starts with @title. */
static GtkWidget *
find (GtkWidget  *root,
      GType       type,
      const char *title)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        {
          const char *text = ADW_IS_PREFERENCES_ROW (child) ? adw_preferences_row_get_title (ADW_PREFERENCES_ROW (child))
                           : ADW_IS_PREFERENCES_GROUP (child) ? adw_preferences_group_get_title (ADW_PREFERENCES_GROUP (child))
                           : GTK_IS_LABEL (child) ? gtk_label_get_label (GTK_LABEL (child))
                           : NULL;

          if (title == NULL || (text != NULL && g_str_has_prefix (text, title)))
            return child;
        }
      if ((found = find (child, type, title)) != NULL)
        return found;
    }

  return NULL;
}

static AdwComboRow *
provider_row (LmNewJobDialog *dialog)
{
  return ADW_COMBO_ROW (find (GTK_WIDGET (dialog), ADW_TYPE_COMBO_ROW, "Runs On"));
}

static gboolean
providers_known (gpointer data)
{
  AdwComboRow *row = provider_row (data);
  GListModel *model = adw_combo_row_get_model (row);

  return model != NULL && g_list_model_get_n_items (model) > 0;
}

static LmNewJobDialog *
open_dialog (Parent *p,
             Watch  *watch)
{
  LmNewJobDialog *dialog = LM_NEW_JOB_DIALOG (lm_new_job_dialog_new (p->parent, client));

  watch->dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &watch->dialog);
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_true (wait_until (providers_known, dialog, 10000));
  iterate (50);
  return dialog;
}

static char **
provider_labels (LmNewJobDialog *dialog)
{
  GListModel *model = adw_combo_row_get_model (provider_row (dialog));
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GtkStringObject) item = g_list_model_get_item (model, i);
      g_strv_builder_add (builder, gtk_string_object_get_string (item));
    }
  return g_strv_builder_end (builder);
}

static void
select_provider (LmNewJobDialog *dialog,
                 const char     *label)
{
  g_auto(GStrv) labels = provider_labels (dialog);

  for (guint i = 0; labels[i] != NULL; i++)
    if (g_str_equal (labels[i], label))
      {
        adw_combo_row_set_selected (provider_row (dialog), i);
        iterate (20);
        return;
      }
  g_assert_not_reached ();
}

/* The group of a provider's fields, and whether it shows. */
static GtkWidget *
group (LmNewJobDialog *dialog,
       const char     *title)
{
  GtkWidget *widget = find (GTK_WIDGET (dialog), ADW_TYPE_PREFERENCES_GROUP, title);

  g_assert_nonnull (widget);
  return widget;
}

static void
set_text (LmNewJobDialog *dialog,
          const char     *title,
          const char     *text)
{
  GtkWidget *row = find (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW, title);

  g_assert_nonnull (row);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
}

static GtkWidget *
find_alert (GtkWidget *root)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_LABEL (child) &&
          gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (child)) == GTK_ACCESSIBLE_ROLE_ALERT)
        return child;
      if ((found = find_alert (child)) != NULL)
        return found;
    }

  return NULL;
}

/* The alert at the top of the dialog, when it shows. */
static const char *
error_text (LmNewJobDialog *dialog)
{
  GtkWidget *label = find_alert (GTK_WIDGET (dialog));

  g_assert_nonnull (label);
  return gtk_widget_get_visible (label) ? gtk_label_get_label (GTK_LABEL (label)) : NULL;
}

static GtkWidget *
focus_of (LmNewJobDialog *dialog)
{
  return gtk_window_get_focus (GTK_WINDOW (dialog));
}

static gboolean
focus_within (LmNewJobDialog *dialog,
              GtkWidget      *widget)
{
  GtkWidget *focus = focus_of (dialog);

  return focus != NULL && (focus == widget || gtk_widget_is_ancestor (focus, widget));
}

static gboolean
trigger_is (GtkShortcutTrigger *trigger,
            guint               keyval,
            GdkModifierType     modifiers)
{
  if (GTK_IS_ALTERNATIVE_TRIGGER (trigger))
    return trigger_is (gtk_alternative_trigger_get_first (GTK_ALTERNATIVE_TRIGGER (trigger)), keyval, modifiers) ||
           trigger_is (gtk_alternative_trigger_get_second (GTK_ALTERNATIVE_TRIGGER (trigger)), keyval, modifiers);

  return GTK_IS_KEYVAL_TRIGGER (trigger) &&
         gtk_keyval_trigger_get_keyval (GTK_KEYVAL_TRIGGER (trigger)) == keyval &&
         gtk_keyval_trigger_get_modifiers (GTK_KEYVAL_TRIGGER (trigger)) == modifiers;
}

/* Runs what a key's binding runs: GTK 4 cannot synthesise key presses. */
static gboolean
activate_binding (GtkWidget       *widget,
                  guint            keyval,
                  GdkModifierType  modifiers)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;

      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);

          if (trigger_is (gtk_shortcut_get_trigger (shortcut), keyval, modifiers))
            return gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut),
                                                 GTK_SHORTCUT_ACTION_EXCLUSIVE, widget,
                                                 gtk_shortcut_get_arguments (shortcut));
        }
    }

  return FALSE;
}

static gboolean
dialog_gone (gpointer data)
{
  return ((Watch *) data)->dialog == NULL;
}

static gboolean
error_shown (gpointer data)
{
  Watch *watch = data;

  return watch->dialog == NULL || error_text (watch->dialog) != NULL;
}

static JsonObject *
get_json (const char *path)
{
  guint status = 0;
  JsonObject *object = jobd_fixture_request (jobd, "GET", path, NULL, &status);

  g_assert_cmpuint (status, ==, 200);
  return object;
}

static char *
to_json (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}

static void
test_offers_every_enabled_provider (void)
{
  Parent *p = parent_new ();
  Watch watch;
  LmNewJobDialog *dialog = open_dialog (p, &watch);
  g_auto(GStrv) labels = provider_labels (dialog);
  const char *expected[] = { "Simulator", "External Trainer", "Local Process", "RunPod", NULL };

  g_assert_cmpstrv (labels, expected);
  /* The simulator first, and only its fields show. */
  g_assert_cmpuint (adw_combo_row_get_selected (provider_row (dialog)), ==, 0);
  g_assert_true (gtk_widget_get_visible (group (dialog, "Simulator")));
  g_assert_false (gtk_widget_get_visible (group (dialog, "Local Process")));
  g_assert_false (gtk_widget_get_visible (group (dialog, "RunPod")));
  g_assert_nonnull (find (group (dialog, "Simulator"), ADW_TYPE_ACTION_ROW, "Simulation Seed"));

  select_provider (dialog, "Local Process");
  g_assert_false (gtk_widget_get_visible (group (dialog, "Simulator")));
  g_assert_true (gtk_widget_get_visible (group (dialog, "Local Process")));
  g_assert_nonnull (find (group (dialog, "Local Process"), ADW_TYPE_ENTRY_ROW, "Command"));
  g_assert_nonnull (find (group (dialog, "Local Process"), ADW_TYPE_ENTRY_ROW, "Working Folder"));
  g_assert_nonnull (find (group (dialog, "Local Process"), ADW_TYPE_COMBO_ROW, "Output Format"));

  select_provider (dialog, "RunPod");
  g_assert_true (gtk_widget_get_visible (group (dialog, "RunPod")));
  g_assert_nonnull (find (group (dialog, "RunPod"), ADW_TYPE_ENTRY_ROW, "Container Image"));
  g_assert_nonnull (find (group (dialog, "RunPod"), ADW_TYPE_ENTRY_ROW, "RunPod GPU Type"));
  g_assert_nonnull (find (group (dialog, "RunPod"), ADW_TYPE_ACTION_ROW, "Disk (GB)"));

  select_provider (dialog, "External Trainer");
  g_assert_nonnull (find (group (dialog, "External Trainer"), ADW_TYPE_ACTION_ROW, "Trainer Reports to the Webhook"));

  gtk_window_destroy (GTK_WINDOW (dialog));
  parent_free (p);
}

/* Keyboard only: a local job's fields, filled in and created. */
static void
test_local_job (void)
{
  Parent *p = parent_new ();
  Watch watch;
  LmNewJobDialog *dialog = open_dialog (p, &watch);
  g_autoptr(JsonObject) request = NULL;
  g_autofree char *problem = NULL;
  g_autofree char *config_text = NULL;
  GtkWidget *command, *folder, *format;
  gboolean seen[3] = { FALSE, FALSE, FALSE };
  JsonObject *config;

  set_text (dialog, "Name", "kohya run");
  select_provider (dialog, "Local Process");
  command = find (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW, "Command");
  folder = find (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW, "Working Folder");
  format = find (GTK_WIDGET (dialog), ADW_TYPE_COMBO_ROW, "Output Format");

  /* Tab reaches each of the provider's fields. */
  for (guint step = 0; step < 40; step++)
    {
      g_assert_true (activate_binding (GTK_WIDGET (dialog), GDK_KEY_Tab, 0));
      iterate (2);
      seen[0] |= focus_within (dialog, command);
      seen[1] |= focus_within (dialog, folder);
      seen[2] |= focus_within (dialog, format);
    }
  g_assert_true (seen[0] && seen[1] && seen[2]);

  /* Without a command there is nothing to run. */
  gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.create", NULL);
  iterate (20);
  g_assert_cmpstr (error_text (dialog), ==, "Enter the command to run");
  g_assert_true (focus_within (dialog, command));

  /* A quote left open: the dialog says so, and sends nothing. */
  set_text (dialog, "Command", "/bin/echo 'hello");
  gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.create", NULL);
  iterate (20);
  g_assert_true (g_str_has_prefix (error_text (dialog), "The command cannot be read: "));
  g_assert_nonnull (watch.dialog);

  set_text (dialog, "Command", "/bin/echo 'hello world' --steps 2");
  set_text (dialog, "Working Folder", "/tmp");
  adw_combo_row_set_selected (ADW_COMBO_ROW (format), 2);
  request = lm_new_job_dialog_build_request (dialog, &problem);
  g_assert_null (problem);
  g_assert_nonnull (request);
  g_assert_cmpstr (json_object_get_string_member (request, "provider"), ==, "local");
  config = json_object_get_object_member (request, "config");
  config_text = to_json (config);
  g_assert_cmpstr (config_text, ==, "{\"argv\":[\"/bin/echo\",\"hello world\",\"--steps\",\"2\"],"
                                    "\"cwd\":\"/tmp\",\"log_format\":\"tqdm\"}");

  /* Enter in a field creates the job, which the service takes as it is. */
  g_signal_emit_by_name (command, "entry-activated");
  g_assert_true (wait_until (dialog_gone, &watch, 10000));
  g_assert_cmpint (p->opened, >, 0);
  {
    g_autofree char *path = g_strdup_printf ("/api/training/jobs/%" G_GINT64_FORMAT, p->opened);
    g_autoptr(JsonObject) job = get_json (path);
    g_autofree char *served = to_json (json_object_get_object_member (job, "config"));

    g_assert_cmpstr (json_object_get_string_member (job, "provider"), ==, "local");
    g_assert_cmpstr (json_object_get_string_member (job, "name"), ==, "kohya run");
    g_assert_cmpstr (served, ==, config_text);
  }

  parent_free (p);
}

/* What the service refuses, the dialog shows in the service's words. */
static void
test_service_refusal (void)
{
  Parent *p = parent_new ();
  Watch watch;
  LmNewJobDialog *dialog = open_dialog (p, &watch);

  set_text (dialog, "Name", "relative");
  select_provider (dialog, "Local Process");
  set_text (dialog, "Command", "/bin/true");
  set_text (dialog, "Working Folder", "relative/folder");
  gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.create", NULL);
  g_assert_true (wait_until (error_shown, &watch, 10000));
  g_assert_nonnull (watch.dialog);
  g_assert_nonnull (strstr (error_text (dialog), "“cwd” must be an absolute path, not “relative/folder”"));
  g_assert_cmpint (p->opened, ==, 0);

  gtk_window_destroy (GTK_WINDOW (dialog));
  parent_free (p);
}

static void
test_runpod_request (void)
{
  Parent *p = parent_new ();
  Watch watch;
  LmNewJobDialog *dialog = open_dialog (p, &watch);
  g_autoptr(JsonObject) request = NULL;
  g_autofree char *problem = NULL;
  g_autofree char *config = NULL;

  set_text (dialog, "Name", "pod");
  select_provider (dialog, "RunPod");
  g_assert_null (lm_new_job_dialog_build_request (dialog, &problem));
  g_assert_cmpstr (problem, ==, "Enter the container image to run");
  g_clear_pointer (&problem, g_free);

  set_text (dialog, "Container Image", "runpod/pytorch:2.4.0-py3.11-cuda12.4.1-devel-ubuntu22.04");
  request = lm_new_job_dialog_build_request (dialog, &problem);
  g_assert_nonnull (request);
  config = to_json (json_object_get_object_member (request, "config"));
  g_assert_cmpstr (config, ==, "{\"image\":\"runpod/pytorch:2.4.0-py3.11-cuda12.4.1-devel-ubuntu22.04\","
                               "\"container_disk_gb\":50}");
  g_assert_cmpstr (json_object_get_string_member (request, "provider"), ==, "runpod");
  g_assert_false (json_object_has_member (request, "guard"));

  /* The budget guard, when turned on, goes with the request. */
  {
    AdwExpanderRow *guard = ADW_EXPANDER_ROW (find (GTK_WIDGET (dialog), ADW_TYPE_EXPANDER_ROW, "Budget"));
    GtkWidget *spin;
    g_autofree char *guard_text = NULL;

    g_assert_nonnull (guard);
    adw_expander_row_set_enable_expansion (guard, TRUE);
    spin = find (GTK_WIDGET (guard), GTK_TYPE_SPIN_BUTTON, NULL);
    gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 15);
    g_clear_pointer (&request, json_object_unref);
    request = lm_new_job_dialog_build_request (dialog, &problem);
    guard_text = to_json (json_object_get_object_member (request, "guard"));
    g_assert_cmpstr (guard_text, ==, "{\"projected\":{\"percent_over_estimate\":15.0}}");
  }

  gtk_window_destroy (GTK_WINDOW (dialog));
  parent_free (p);
}

/* A service without --enable-local does not offer it. */
static void
test_local_disabled (void)
{
  JobdFixture *other = g_new0 (JobdFixture, 1);
  g_autoptr(LmClient) other_client = NULL;
  Parent *p = parent_new ();
  LmNewJobDialog *dialog;
  Watch watch = { NULL };
  g_auto(GStrv) labels = NULL;
  const char *expected[] = { "Simulator", "External Trainer", NULL };

  jobd_fixture_start (other, NULL);
  other_client = lm_client_new (other->url, other->token);
  dialog = LM_NEW_JOB_DIALOG (lm_new_job_dialog_new (p->parent, other_client));
  watch.dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &watch.dialog);
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_true (wait_until (providers_known, dialog, 10000));

  labels = provider_labels (dialog);
  g_assert_cmpstrv (labels, expected);

  gtk_window_destroy (GTK_WINDOW (dialog));
  parent_free (p);
  jobd_fixture_free (other);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *args = NULL;
  int fd, ret;

  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  fd = g_file_open_tmp ("lora-runpod-key-XXXXXX", &runpod_key, &error);
  g_assert_no_error (error);
  g_assert_cmpint (write (fd, "rp-test-key\n", 12), ==, 12);
  close (fd);

  /* Nothing listens on port 9: no pod is ever asked for. */
  args = g_strdup_printf ("--enable-local%s --runpod-api-key-file %s --runpod-url http://127.0.0.1:9 "
                          "--public-url http://127.0.0.1:9",
                          geteuid () == 0 ? " --local-user root" : "", runpod_key);
  jobd = g_new0 (JobdFixture, 1);
  jobd_fixture_start (jobd, args);
  client = lm_client_new (jobd->url, jobd->token);

  g_test_add_func ("/new-job-dialog/offers-every-enabled-provider", test_offers_every_enabled_provider);
  g_test_add_func ("/new-job-dialog/local-job", test_local_job);
  g_test_add_func ("/new-job-dialog/service-refusal", test_service_refusal);
  g_test_add_func ("/new-job-dialog/runpod-request", test_runpod_request);
  g_test_add_func ("/new-job-dialog/local-disabled", test_local_disabled);

  ret = g_test_run ();

  g_clear_object (&client);
  jobd_fixture_free (jobd);
  g_unlink (runpod_key);
  g_free (runpod_key);

  return ret;
}
