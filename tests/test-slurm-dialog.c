/* test-slurm-dialog.c: the New Training Job dialog's Slurm fields
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A real lora-jobd with the Slurm provider on, its slurmrestd at an
 * address nobody answers (the jobs made here wait, and are never
 * submitted anywhere): the dialog offers "Slurm Cluster", asks for what
 * the provider needs, leaves out the numbers left at 0, and the service
 * takes the job it makes.
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
static char *token_file;

typedef struct
{
  GtkWindow *parent;
  gint64     opened;
  gpointer   dialog;   /* weak */
} Parent;

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
                           : NULL;

          if (title == NULL || (text != NULL && g_str_equal (text, title)))
            return child;
        }
      if ((found = find (child, type, title)) != NULL)
        return found;
    }

  return NULL;
}

static AdwComboRow *
provider_row (gpointer dialog)
{
  return ADW_COMBO_ROW (find (GTK_WIDGET (dialog), ADW_TYPE_COMBO_ROW, "Runs On"));
}

static gboolean
providers_known (gpointer dialog)
{
  GListModel *model = adw_combo_row_get_model (provider_row (dialog));

  return model != NULL && g_list_model_get_n_items (model) > 0;
}

static gboolean
dialog_gone (gpointer data)
{
  return ((Parent *) data)->dialog == NULL;
}

static void
set_text (gpointer    dialog,
          const char *title,
          const char *text)
{
  GtkWidget *row = find (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW, title);

  g_assert_nonnull (row);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
}

static void
set_number (gpointer    dialog,
            const char *title,
            double      value)
{
  GtkWidget *row = find (GTK_WIDGET (dialog), ADW_TYPE_ACTION_ROW, title);
  GtkWidget *spin = row ? find (row, GTK_TYPE_SPIN_BUTTON, NULL) : NULL;

  g_assert_nonnull (spin);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), value);
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
test_slurm_job (void)
{
  g_autoptr(GSimpleActionGroup) group = g_simple_action_group_new ();
  g_autoptr(GSimpleAction) open = g_simple_action_new ("open-job", G_VARIANT_TYPE_INT64);
  g_autoptr(GSimpleAction) refresh = g_simple_action_new ("refresh", NULL);
  g_autoptr(JsonObject) request = NULL;
  g_autofree char *problem = NULL;
  g_autofree char *config = NULL;
  GListModel *labels;
  LmNewJobDialog *dialog;
  Parent p = { 0 };
  guint slurm = G_MAXUINT;

  g_signal_connect (open, "activate", G_CALLBACK (open_job_cb), &p);
  g_signal_connect (refresh, "activate", G_CALLBACK (nothing_cb), &p);
  g_action_map_add_action (G_ACTION_MAP (group), G_ACTION (open));
  g_action_map_add_action (G_ACTION_MAP (group), G_ACTION (refresh));
  p.parent = GTK_WINDOW (gtk_window_new ());
  gtk_widget_insert_action_group (GTK_WIDGET (p.parent), "win", G_ACTION_GROUP (group));
  gtk_window_present (p.parent);

  dialog = LM_NEW_JOB_DIALOG (lm_new_job_dialog_new (p.parent, client));
  p.dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), &p.dialog);
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_true (wait_until (providers_known, dialog, 10000));
  iterate (50);

  labels = adw_combo_row_get_model (provider_row (dialog));
  for (guint i = 0; i < g_list_model_get_n_items (labels); i++)
    {
      g_autoptr(GtkStringObject) item = g_list_model_get_item (labels, i);

      if (g_str_equal (gtk_string_object_get_string (item), "Slurm Cluster"))
        slurm = i;
    }
  g_assert_cmpuint (slurm, !=, G_MAXUINT);

  set_text (dialog, "Name", "llama on the cluster");
  adw_combo_row_set_selected (provider_row (dialog), slurm);
  iterate (20);
  g_assert_true (gtk_widget_get_visible (find (GTK_WIDGET (dialog), ADW_TYPE_PREFERENCES_GROUP, "Slurm Cluster")));

  /* What the provider cannot do without */
  g_assert_null (lm_new_job_dialog_build_request (dialog, &problem));
  g_assert_cmpstr (problem, ==, "Enter the command the batch job runs");
  g_clear_pointer (&problem, g_free);
  set_text (dialog, "Command", "/usr/bin/python3 train.py --config 'lora a.yaml'");
  g_assert_null (lm_new_job_dialog_build_request (dialog, &problem));
  g_assert_cmpstr (problem, ==, "Enter the folder on the cluster’s shared file system the job runs in");
  g_clear_pointer (&problem, g_free);

  /* Numbers at 0 are the partition's defaults: left out. */
  set_text (dialog, "Working Folder on the Cluster", "/scratch/team/llama");
  set_text (dialog, "Partition", "gpu");
  set_number (dialog, "GPUs", 2);
  set_number (dialog, "Time Limit (minutes)", 90);
  request = lm_new_job_dialog_build_request (dialog, &problem);
  g_assert_null (problem);
  g_assert_cmpstr (json_object_get_string_member (request, "provider"), ==, "slurm");
  config = to_json (json_object_get_object_member (request, "config"));
  g_assert_cmpstr (config, ==, "{\"argv\":[\"/usr/bin/python3\",\"train.py\",\"--config\",\"lora a.yaml\"],"
                               "\"cwd\":\"/scratch/team/llama\",\"partition\":\"gpu\",\"gpus\":2,"
                               "\"time_limit_min\":90}");

  /* The service takes it: out of its queue at once, waiting for Slurm. */
  gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.create", NULL);
  g_assert_true (wait_until (dialog_gone, &p, 10000));
  g_assert_cmpint (p.opened, >, 0);
  {
    g_autofree char *path = g_strdup_printf ("/api/training/jobs/%" G_GINT64_FORMAT, p.opened);
    guint status = 0;
    g_autoptr(JsonObject) job = jobd_fixture_request (jobd, "GET", path, NULL, &status);
    g_autofree char *served = NULL;

    g_assert_cmpuint (status, ==, 200);
    served = to_json (json_object_get_object_member (job, "config"));
    g_assert_cmpstr (served, ==, config);
    g_assert_cmpstr (json_object_get_string_member (job, "provider"), ==, "slurm");
    g_assert_cmpstr (json_object_get_string_member (job, "status"), ==, "provisioning");
  }

  gtk_window_destroy (p.parent);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *args = NULL;
  /* Its claims do not matter: nothing answers at port 9. */
  static const char token[] = "eyJhbGciOiJIUzI1NiJ9.eyJzdW4iOiJ0ZWFtIn0.c2ln\n";
  int fd, ret;

  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  fd = g_file_open_tmp ("lora-slurm-token-XXXXXX", &token_file, &error);
  g_assert_no_error (error);
  g_assert_cmpint (write (fd, token, sizeof token - 1), ==, (gssize) (sizeof token - 1));
  close (fd);

  args = g_strdup_printf ("--slurm-url http://127.0.0.1:9 --slurm-token-file %s", token_file);
  jobd = g_new0 (JobdFixture, 1);
  jobd_fixture_start (jobd, args);
  client = lm_client_new (jobd->url, jobd->token);

  g_test_add_func ("/slurm-dialog/slurm-job", test_slurm_job);

  ret = g_test_run ();

  g_clear_object (&client);
  jobd_fixture_free (jobd);
  g_unlink (token_file);
  g_free (token_file);

  return ret;
}
