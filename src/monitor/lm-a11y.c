/* lm-a11y.c: accessible names GTK 4.8 gets wrong
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GTK 4.8 reads a button's name as its "label" property followed by the
 * labels that name it, and GtkButton sets that property to its raw label
 * while its mnemonic label names it as well: "_Retry Retry". Widgets it creates itself (a drop-down's toggle, a list's rows)
 * have no name and are read as their class, "GtkToggleButton". These
 * functions set what a screen reader should say; issue 13, checked by
 * tests/test_atspi.py.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "lm-a11y.h"

static void
button_label_cb (GtkButton  *button,
                 GParamSpec *pspec,
                 gpointer    data)
{
  /* A mnemonic label names its button already (labelled-by); the label
   * property, raw ("_Retry") or from the .ui, only doubled it. */
  if (gtk_button_get_label (button) != NULL && gtk_button_get_use_underline (button))
    gtk_accessible_reset_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL);
}

static void
label_text_cb (GtkLabel   *label,
               GParamSpec *pspec,
               gpointer    data)
{
  const char *text = gtk_label_get_text (label);

  /* An empty label is read as "GtkLabel"; it says nothing, so it is left
   * out until it has text. */
  gtk_accessible_update_state (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_STATE_HIDDEN,
                               text == NULL || *text == '\0', -1);
}

static void
forget_selection_cb (GtkLabel *label)
{
  /* Tab selects all of a selectable label; leaving it kept that as a grey
   * block, which reads as a disabled field. */
  gtk_label_select_region (label, 0, 0);
}

static void
fix_widget (GtkWidget *widget)
{
  GtkWidget *parent = gtk_widget_get_parent (widget);

  if (GTK_IS_LABEL (widget) && !g_object_get_data (G_OBJECT (widget), "lm-a11y-fixed"))
    {
      g_object_set_data (G_OBJECT (widget), "lm-a11y-fixed", GINT_TO_POINTER (1));
      g_signal_connect_after (widget, "notify::label", G_CALLBACK (label_text_cb), NULL);
      label_text_cb (GTK_LABEL (widget), NULL, NULL);

      if (gtk_label_get_selectable (GTK_LABEL (widget)))
        {
          GtkEventController *focus = gtk_event_controller_focus_new ();

          g_signal_connect_swapped (focus, "leave", G_CALLBACK (forget_selection_cb), widget);
          gtk_widget_add_controller (widget, focus);
        }
    }

  /* A view switcher's tab is named by its title; its icon is decoration. */
  if (GTK_IS_IMAGE (widget) && parent != NULL &&
      g_str_equal (G_OBJECT_TYPE_NAME (parent), "AdwIndicatorBin"))
    gtk_accessible_update_state (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_STATE_HIDDEN, TRUE, -1);

  if (GTK_IS_BUTTON (widget) && !g_object_get_data (G_OBJECT (widget), "lm-a11y-fixed"))
    {
      g_object_set_data (G_OBJECT (widget), "lm-a11y-fixed", GINT_TO_POINTER (1));
      g_signal_connect_after (widget, "notify::label", G_CALLBACK (button_label_cb), NULL);
      g_signal_connect_after (widget, "notify::use-underline", G_CALLBACK (button_label_cb), NULL);
      button_label_cb (GTK_BUTTON (widget), NULL, NULL);
    }

  if (GTK_IS_DROP_DOWN (widget))
    {
      for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
           child = gtk_widget_get_next_sibling (child))
        if (GTK_IS_TOGGLE_BUTTON (child))
          /* Translators: the button that opens a drop-down's list, read
           * after the drop-down's own name */
          gtk_accessible_update_property (GTK_ACCESSIBLE (child),
                                          GTK_ACCESSIBLE_PROPERTY_LABEL, _("Show choices"), -1);
    }

  if (GTK_IS_COLUMN_VIEW (widget))
    {
      for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
           child = gtk_widget_get_next_sibling (child))
        if (GTK_IS_LIST_VIEW (child))
          /* Translators: the rows of a table, for screen readers */
          gtk_accessible_update_property (GTK_ACCESSIBLE (child),
                                          GTK_ACCESSIBLE_PROPERTY_LABEL, _("Rows"), -1);
        else
          /* Translators: a table's row of column titles, for screen readers */
          gtk_accessible_update_property (GTK_ACCESSIBLE (child),
                                          GTK_ACCESSIBLE_PROPERTY_LABEL, _("Column titles"), -1);
    }
}

/**
 * lm_a11y_fix_names:
 * @root: a widget whose tree is built
 *
 * Names @root's buttons by their content alone (and again whenever their
 * label changes), the toggles of its drop-downs and the row lists of its
 * column views.
 */
void
lm_a11y_fix_names (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  fix_widget (root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    lm_a11y_fix_names (child);
}

/**
 * lm_a11y_name_list_row:
 * @child: a list item's child (or a column view cell's), set up
 * @label: what the whole row should be read as
 *
 * GTK 4.8 gives the row widgets of a GtkListView or GtkColumnView no name
 * and no API to reach them, so the child names its row, found as the
 * nearest ancestor whose parent is the list view.
 */
void
lm_a11y_name_list_row (GtkWidget  *child,
                       const char *label)
{
  GtkWidget *row = child;

  g_return_if_fail (GTK_IS_WIDGET (child));

  while (row != NULL && gtk_widget_get_parent (row) != NULL &&
         !GTK_IS_LIST_VIEW (gtk_widget_get_parent (row)))
    row = gtk_widget_get_parent (row);

  if (row == NULL || gtk_widget_get_parent (row) == NULL)
    return;

  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}
