/* test-contrast.c: the app's text against what it is drawn on, WCAG AA
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The brief asks for WCAG AA: 4.5:1 for text, 3:1 for large text (24 px,
 * or 18.66 px bold). Colours come from three places (libadwaita's palette,
 * our style.css, CSS opacity on top), so nothing short of drawing tells
 * what a reader sees. Each label is drawn twice by GTK itself: once with
 * its text replaced by full blocks, which gives the text's colour as
 * composed on screen (alpha and opacity included), and once with the text
 * transparent, which gives what lies behind it. The same widgets are
 * measured in the light and the dark style; meson runs the test again
 * with ADW_DEBUG_HIGH_CONTRAST=1.
 */
#include "config.h"

#include <math.h>

#include <adwaita.h>

#include "lm-stage-bar.h"
#include "lm-status-badge.h"

#define NOW ((gint64) 1700000000 * G_USEC_PER_SEC)
#define S(seconds) ((gint64) (seconds) * G_USEC_PER_SEC)

static GtkWindow *window;
static GtkWidget *box;
static GtkCssProvider *transparent_text;

/* Colour arithmetic, as WCAG 2.1 defines it */

static double
channel (double c)
{
  return c <= 0.03928 ? c / 12.92 : pow ((c + 0.055) / 1.055, 2.4);
}

static double
luminance (const GdkRGBA *c)
{
  return 0.2126 * channel (c->red) + 0.7152 * channel (c->green) + 0.0722 * channel (c->blue);
}

static double
contrast (const GdkRGBA *a,
          const GdkRGBA *b)
{
  double la = luminance (a);
  double lb = luminance (b);

  return (MAX (la, lb) + 0.05) / (MIN (la, lb) + 0.05);
}

/* Drawing */

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
wait_for_frame (void)
{
  gboolean done = FALSE;

  gtk_widget_queue_draw (GTK_WIDGET (window));
  gtk_widget_add_tick_callback (GTK_WIDGET (window), tick_cb, &done, NULL);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  /* The tick comes before the layout of its frame. */
  for (guint i = 0; i < 5; i++)
    g_main_context_iteration (NULL, FALSE);
}

typedef struct
{
  guchar *pixels;
  gsize   stride;
  int     width;
  int     height;
} Picture;

static Picture
draw_window (void)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (GTK_WIDGET (window));
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  Picture picture;

  wait_for_frame ();
  picture.width = gtk_widget_get_width (GTK_WIDGET (window));
  picture.height = gtk_widget_get_height (GTK_WIDGET (window));
  gdk_paintable_snapshot (paintable, snapshot, picture.width, picture.height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, picture.width, picture.height));
  picture.stride = (gsize) gdk_texture_get_width (texture) * 4;
  picture.pixels = g_malloc (picture.stride * (gsize) gdk_texture_get_height (texture));
  picture.width = gdk_texture_get_width (texture);
  picture.height = gdk_texture_get_height (texture);
  gdk_texture_download (texture, picture.pixels, picture.stride);
  return picture;
}

/* GDK_MEMORY_DEFAULT: B, G, R, A, premultiplied; the window is opaque. */
static GdkRGBA
pixel (const Picture *picture,
       double         x,
       double         y)
{
  int px = CLAMP ((int) floor (x), 0, picture->width - 1);
  int py = CLAMP ((int) floor (y), 0, picture->height - 1);
  const guchar *p = picture->pixels + (gsize) py * picture->stride + (gsize) px * 4;
  double a = p[3] / 255.0;

  if (a <= 0)
    return (GdkRGBA) { 0, 0, 0, 0 };
  return (GdkRGBA) { p[2] / 255.0 / a, p[1] / 255.0 / a, p[0] / 255.0 / a, a };
}

/* Labels */

static void
collect_labels (GtkWidget *widget,
                GPtrArray *labels)
{
  if (!gtk_widget_get_mapped (widget))
    return;

  if (GTK_IS_LABEL (widget))
    {
      const char *text = gtk_label_get_text (GTK_LABEL (widget));

      if (text != NULL && *text != '\0' && gtk_widget_get_width (widget) > 4)
        g_ptr_array_add (labels, widget);
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_labels (child, labels);
}

static gboolean
is_large (GtkWidget *label)
{
  PangoFontDescription *font = pango_context_get_font_description (gtk_widget_get_pango_context (label));
  double px = pango_font_description_get_size (font) / (double) PANGO_SCALE;

  if (!pango_font_description_get_size_is_absolute (font))
    px *= 96.0 / 72.0;

  return px >= 24.0 || (px >= 18.66 && pango_font_description_get_weight (font) >= PANGO_WEIGHT_BOLD);
}

/* Measures every label in the window; returns a line per failure. */
static void
check_labels (const char *style,
              GString    *failures)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  Picture text, behind;
  GdkDisplay *display = gtk_widget_get_display (GTK_WIDGET (window));
  guint measured = 0;

  collect_labels (GTK_WIDGET (window), labels);
  g_assert_cmpuint (labels->len, >, 10);

  /* Blocks fill the middle of the label with the text's colour. The
   * labels keep their sizes, so the layout does not move. */
  for (guint i = 0; i < labels->len; i++)
    {
      GtkWidget *label = g_ptr_array_index (labels, i);

      g_ptr_array_add (texts, g_strdup (gtk_label_get_label (GTK_LABEL (label))));
      gtk_widget_set_size_request (label, gtk_widget_get_width (label), gtk_widget_get_height (label));
      gtk_label_set_use_markup (GTK_LABEL (label), FALSE);
      gtk_label_set_text (GTK_LABEL (label), "████████████████");
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
    }
  text = draw_window ();

  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (transparent_text),
                                              GTK_STYLE_PROVIDER_PRIORITY_USER + 100);
  behind = draw_window ();
  gtk_style_context_remove_provider_for_display (display, GTK_STYLE_PROVIDER (transparent_text));

  for (guint i = 0; i < labels->len; i++)
    {
      GtkWidget *label = g_ptr_array_index (labels, i);
      graphene_rect_t bounds;
      GdkRGBA fg, bg;
      double ratio, need;

      g_assert_true (gtk_widget_compute_bounds (label, GTK_WIDGET (window), &bounds));
      /* The middle of the blocks, clear of antialiased edges. */
      {
        PangoLayout *layout = gtk_label_get_layout (GTK_LABEL (label));
        int lx, ly, w, h;
        double x, y;

        gtk_label_get_layout_offsets (GTK_LABEL (label), &lx, &ly);
        pango_layout_get_pixel_size (layout, &w, &h);
        x = bounds.origin.x + MAX (lx, 0) + w / 2.0;
        y = bounds.origin.y + MAX (ly, 0) + h / 2.0;
        fg = pixel (&text, x, y);
        bg = pixel (&behind, x, y);
      }

      ratio = contrast (&fg, &bg);
      need = is_large (label) ? 3.0 : 4.5;
      measured++;
      if (ratio < need)
        g_string_append_printf (failures,
                                "%s: “%s” (%s) %.2f:1 < %.1f:1, text #%02x%02x%02x on #%02x%02x%02x\n",
                                style, (const char *) g_ptr_array_index (texts, i),
                                gtk_widget_get_css_classes (label)[0]
                                  ? g_strjoinv (".", gtk_widget_get_css_classes (label)) : "label",
                                ratio, need,
                                (int) round (fg.red * 255), (int) round (fg.green * 255), (int) round (fg.blue * 255),
                                (int) round (bg.red * 255), (int) round (bg.green * 255), (int) round (bg.blue * 255));
    }

  g_test_message ("%s: %u labels measured", style, measured);

  for (guint i = 0; i < labels->len; i++)
    {
      GtkWidget *label = g_ptr_array_index (labels, i);

      gtk_widget_set_size_request (label, -1, -1);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_NONE);
      gtk_label_set_label (GTK_LABEL (label), g_ptr_array_index (texts, i));
    }

  g_free (text.pixels);
  g_free (behind.pixels);
}

/* What is measured: every text on a colour of our own. */

static LpJob *
make_job (LpJobStatus          status,
          const LpStageStatus  states[LP_N_STAGES],
          const char          *error)
{
  LpJob *job = lp_job_new ();
  g_autoptr(GPtrArray) stages = g_ptr_array_new_with_free_func ((GDestroyNotify) lp_stage_free);
  gint64 start = NOW - S (7 * 3600);

  lp_job_set_name (job, "Contrast");
  lp_job_set_status (job, status);
  lp_job_set_total_steps (job, 2000);
  lp_job_set_current_step (job, 850);
  lp_job_set_epoch (job, 2);
  lp_job_set_total_epochs (job, 3);

  for (guint i = 0; i < LP_N_STAGES; i++)
    {
      LpStage *stage = lp_stage_new (i);

      stage->status = states[i];
      if (states[i] != LP_STAGE_STATUS_PENDING)
        stage->started_at = start + S (i * 600);
      if (states[i] == LP_STAGE_STATUS_COMPLETED)
        stage->finished_at = start + S (i * 600 + 300);
      if (states[i] == LP_STAGE_STATUS_ACTIVE)
        stage->substatus = g_strdup ("Epoch 2/3 - Step 850 of 2,000");
      if (states[i] == LP_STAGE_STATUS_FAILED)
        stage->error = g_strdup (error);
      g_ptr_array_add (stages, stage);
    }

  lp_job_set_stages (job, stages);
  return job;
}

static void
add_stage_bar (LpJobStatus          status,
               const LpStageStatus  states[LP_N_STAGES],
               const char          *error)
{
  g_autoptr(LpJob) job = make_job (status, states, error);
  GtkWidget *bar = lm_stage_bar_new ();

  lm_stage_bar_set_now (LM_STAGE_BAR (bar), NOW);
  lm_stage_bar_set_job (LM_STAGE_BAR (bar), job);
  gtk_box_append (GTK_BOX (box), bar);
}

static void
add_label (const char *text,
           const char *classes)
{
  g_auto(GStrv) names = g_strsplit (classes, " ", -1);
  GtkWidget *label = gtk_label_new (text);

  gtk_widget_set_halign (label, GTK_ALIGN_START);
  for (guint i = 0; names[i] != NULL; i++)
    gtk_widget_add_css_class (label, names[i]);
  gtk_box_append (GTK_BOX (box), label);
}

static void
setup_header_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *item)
{
  gtk_list_item_set_child (item, gtk_label_new (NULL));
}

static void
bind_header_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item)
{
  GtkStringObject *string = gtk_list_item_get_item (item);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), gtk_string_object_get_string (string));
}

/* The jobs table's look: its class on a column view with the same parts. */
static void
add_table (void)
{
  const char * const rows[] = { "Atlas Legal Contracts", NULL };
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkNoSelection *model = gtk_no_selection_new (G_LIST_MODEL (gtk_string_list_new (rows)));
  GtkWidget *view = gtk_column_view_new (GTK_SELECTION_MODEL (model));
  GtkColumnViewColumn *column;

  g_signal_connect (factory, "setup", G_CALLBACK (setup_header_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_header_cb), NULL);
  column = gtk_column_view_column_new ("Job Name", g_object_ref (factory));
  gtk_column_view_column_set_expand (column, TRUE);
  gtk_column_view_append_column (GTK_COLUMN_VIEW (view), column);
  g_object_unref (column);
  gtk_widget_add_css_class (view, "jobs-table");
  gtk_widget_set_size_request (view, 400, 80);
  gtk_box_append (GTK_BOX (box), view);
}

static void
build (void)
{
  static const LpStageStatus training[LP_N_STAGES] = {
    LP_STAGE_STATUS_COMPLETED, LP_STAGE_STATUS_COMPLETED, LP_STAGE_STATUS_ACTIVE, LP_STAGE_STATUS_PENDING,
  };
  static const LpStageStatus failed[LP_N_STAGES] = {
    LP_STAGE_STATUS_COMPLETED, LP_STAGE_STATUS_COMPLETED, LP_STAGE_STATUS_FAILED, LP_STAGE_STATUS_PENDING,
  };
  /* Its job cancelled, the active stage shows as stopped. */
  static const LpStageStatus stopped[LP_N_STAGES] = {
    LP_STAGE_STATUS_COMPLETED, LP_STAGE_STATUS_ACTIVE, LP_STAGE_STATUS_PENDING, LP_STAGE_STATUS_PENDING,
  };
  static const LpJobStatus statuses[] = {
    LP_JOB_STATUS_QUEUED, LP_JOB_STATUS_PROVISIONING, LP_JOB_STATUS_TRAINING, LP_JOB_STATUS_CANCELLING,
    LP_JOB_STATUS_CANCELLED, LP_JOB_STATUS_COMPLETED, LP_JOB_STATUS_FAILED,
  };
  GtkWidget *badges = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 1200, 700);
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_window_set_child (window, box);

  add_stage_bar (LP_JOB_STATUS_TRAINING, training, NULL);
  add_stage_bar (LP_JOB_STATUS_FAILED, failed, "CUDA out of memory");
  add_stage_bar (LP_JOB_STATUS_CANCELLED, stopped, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      GtkWidget *badge = lm_status_badge_new ();

      lm_status_badge_set_status (LM_STATUS_BADGE (badge), statuses[i], 0.42);
      gtk_box_append (GTK_BOX (badges), badge);
    }
  gtk_box_append (GTK_BOX (box), badges);

  add_label ("Training", "stage-badge");
  add_label ("#1", "position-badge position-near");
  add_label ("#2", "position-badge position-mid");
  add_label ("#9", "position-badge position-far");
  add_label ("Current: $22.15", "cost-ok");
  add_label ("Current: $48.10", "cost-warning");
  add_label ("$67.61", "cost-over");
  add_label ("Training and validation loss over time", "dim-label");
  add_table ();

  gtk_window_present (window);
  wait_for_frame ();
}

static void
check_style (AdwColorScheme  scheme,
             const char     *name)
{
  g_autoptr(GString) failures = g_string_new (NULL);
  g_autofree char *style = NULL;

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), scheme);
  style = g_strdup_printf ("%s%s", name,
                           adw_style_manager_get_high_contrast (adw_style_manager_get_default ())
                           ? ", high contrast" : "");
  check_labels (style, failures);
  if (failures->len > 0)
    g_error ("Below WCAG AA:\n%s", failures->str);
}

static void
test_light (void)
{
  check_style (ADW_COLOR_SCHEME_FORCE_LIGHT, "light");
}

static void
test_dark (void)
{
  check_style (ADW_COLOR_SCHEME_FORCE_DARK, "dark");
}

/* The measurement itself: known pairs. */
static void
test_arithmetic (void)
{
  GdkRGBA white = { 1, 1, 1, 1 }, black = { 0, 0, 0, 1 }, blue = { 0x35 / 255.0, 0x84 / 255.0, 0xe4 / 255.0, 1 };

  g_assert_cmpfloat_with_epsilon (contrast (&white, &black), 21.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (contrast (&white, &white), 1.0, 1e-9);
  /* libadwaita's accent, #3584e4, under white text: the 3.8:1 of issue 13. */
  g_assert_cmpfloat_with_epsilon (contrast (&white, &blue), 3.77, 0.01);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  /* Still pictures: a pulse never dims text (style.css), and a frame in
   * the middle of one would measure the pulse's phase. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  /* What AdwApplication loads for the app from its resource base path. */
  {
    g_autoptr(GtkCssProvider) app_style = gtk_css_provider_new ();

    gtk_css_provider_load_from_resource (app_style, "/org/lorapipeline/Monitor/style.css");
    gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (app_style),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  }
  transparent_text = gtk_css_provider_new ();
  gtk_css_provider_load_from_data (transparent_text, "label { color: transparent; }", -1);

  build ();

  g_test_add_func ("/contrast/arithmetic", test_arithmetic);
  g_test_add_func ("/contrast/light", test_light);
  g_test_add_func ("/contrast/dark", test_dark);

  ret = g_test_run ();

  gtk_window_destroy (window);
  g_clear_object (&transparent_text);
  return ret;
}
