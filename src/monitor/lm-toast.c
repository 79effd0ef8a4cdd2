/* lm-toast.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Widgets show toasts in whatever AdwToastOverlay holds them, so that they
 * work the same inside the main window and inside a test's bare overlay.
 */
#include "config.h"

#include <adwaita.h>

#include "lm-toast.h"

static AdwToastOverlay *
find_below (GtkWidget *widget)
{
  if (ADW_IS_TOAST_OVERLAY (widget))
    return ADW_TOAST_OVERLAY (widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      AdwToastOverlay *overlay = find_below (child);

      if (overlay != NULL)
        return overlay;
    }

  return NULL;
}

/* Shows @text in the toast overlay around @widget, or, for a window such as
 * a dialog's parent, the one inside it. Without an overlay nothing is shown:
 * a toast is never the only place news is told.
 *
 * @text is plain text (job names and the service's messages go into it);
 * a toast's title is Pango markup, so it is escaped here. */
void
lm_toast_show (GtkWidget  *widget,
               const char *text,
               guint       timeout_s)
{
  GtkWidget *ancestor;
  AdwToastOverlay *overlay;
  AdwToast *toast;
  g_autofree char *title = NULL;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (text != NULL);

  ancestor = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);
  overlay = ancestor != NULL ? ADW_TOAST_OVERLAY (ancestor) : find_below (widget);
  if (overlay == NULL)
    return;

  title = g_markup_escape_text (text, -1);
  toast = adw_toast_new (title);
  adw_toast_set_timeout (toast, timeout_s);
  adw_toast_overlay_add_toast (overlay, toast);
}
