/* lm-columns.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The children come from the .ui file; LmColumnsLayout places them: two
 * columns (60 / 40) from 1024 px, one column below.
 */
#include "config.h"

#include "lm-columns-layout.h"
#include "lm-columns.h"

struct _LmColumns
{
  GtkWidget parent_instance;
};

G_DEFINE_FINAL_TYPE (LmColumns, lm_columns, GTK_TYPE_WIDGET)

static void
lm_columns_dispose (GObject *object)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (lm_columns_parent_class)->dispose (object);
}

static void
lm_columns_class_init (LmColumnsClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = lm_columns_dispose;

  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), LM_TYPE_COLUMNS_LAYOUT);
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "columns");
}

static void
lm_columns_init (LmColumns *self)
{
}

gboolean
lm_columns_is_wide (LmColumns *self)
{
  GtkLayoutManager *layout;

  g_return_val_if_fail (LM_IS_COLUMNS (self), FALSE);

  layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  return lm_columns_layout_is_wide_for (LM_COLUMNS_LAYOUT (layout), gtk_widget_get_width (GTK_WIDGET (self)));
}
