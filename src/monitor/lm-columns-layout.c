/* lm-columns-layout.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libadwaita 1.2 has no breakpoints, and a widget must not change its own
 * orientation while being allocated; a layout manager decides from the
 * width it is given, in measure and allocate alike, so the switch between
 * one and two columns never needs a second pass.
 */
#include "config.h"

#include "lm-columns-layout.h"

struct _LmColumnsLayout
{
  GtkLayoutManager parent_instance;

  int              threshold;
  int              spacing;
  double           ratio;
};

G_DEFINE_FINAL_TYPE (LmColumnsLayout, lm_columns_layout, GTK_TYPE_LAYOUT_MANAGER)

enum {
  PROP_0,
  PROP_THRESHOLD,
  PROP_SPACING,
  PROP_RATIO,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Only the first two visible children take part. */
static guint
visible_children (GtkWidget  *widget,
                  GtkWidget **children)
{
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL && n < 2;
       child = gtk_widget_get_next_sibling (child))
    if (gtk_widget_should_layout (child))
      children[n++] = child;

  return n;
}

gboolean
lm_columns_layout_is_wide_for (LmColumnsLayout *self,
                               int              width)
{
  g_return_val_if_fail (LM_IS_COLUMNS_LAYOUT (self), FALSE);
  return width >= self->threshold;
}

static void
column_widths (LmColumnsLayout *self,
               int              width,
               int             *first,
               int             *second)
{
  int usable = MAX (0, width - self->spacing);

  *first = (int) (usable * self->ratio);
  *second = usable - *first;
}

static void
lm_columns_layout_measure (GtkLayoutManager *manager,
                           GtkWidget        *widget,
                           GtkOrientation    orientation,
                           int               for_size,
                           int              *minimum,
                           int              *natural,
                           int              *minimum_baseline,
                           int              *natural_baseline)
{
  LmColumnsLayout *self = LM_COLUMNS_LAYOUT (manager);
  GtkWidget *children[2];
  guint n = visible_children (widget, children);

  *minimum = *natural = 0;

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      /* It can always fall back to one column, so the widest child is
       * the minimum; side by side is what it would like. */
      for (guint i = 0; i < n; i++)
        {
          int min, nat;

          gtk_widget_measure (children[i], orientation, -1, &min, &nat, NULL, NULL);
          *minimum = MAX (*minimum, min);
          *natural += nat;
        }
      if (n == 2)
        *natural += self->spacing;
      return;
    }

  if (n == 2 && for_size >= 0 && lm_columns_layout_is_wide_for (self, for_size))
    {
      int widths[2];

      column_widths (self, for_size, &widths[0], &widths[1]);
      for (guint i = 0; i < n; i++)
        {
          int min, nat;

          gtk_widget_measure (children[i], orientation, widths[i], &min, &nat, NULL, NULL);
          *minimum = MAX (*minimum, min);
          *natural = MAX (*natural, nat);
        }
      return;
    }

  for (guint i = 0; i < n; i++)
    {
      int min, nat;

      gtk_widget_measure (children[i], orientation, for_size, &min, &nat, NULL, NULL);
      *minimum += min;
      *natural += nat;
    }
  if (n == 2)
    {
      *minimum += self->spacing;
      *natural += self->spacing;
    }
}

static void
lm_columns_layout_allocate (GtkLayoutManager *manager,
                            GtkWidget        *widget,
                            int               width,
                            int               height,
                            int               baseline)
{
  LmColumnsLayout *self = LM_COLUMNS_LAYOUT (manager);
  GtkWidget *children[2];
  guint n = visible_children (widget, children);

  if (n == 2 && lm_columns_layout_is_wide_for (self, width))
    {
      int widths[2];

      column_widths (self, width, &widths[0], &widths[1]);
      gtk_widget_size_allocate (children[0], &(GtkAllocation) { 0, 0, widths[0], height }, -1);
      gtk_widget_size_allocate (children[1],
                                &(GtkAllocation) { widths[0] + self->spacing, 0, widths[1], height }, -1);
      return;
    }

  {
    int y = 0;

    for (guint i = 0; i < n; i++)
      {
        int min, nat;

        gtk_widget_measure (children[i], GTK_ORIENTATION_VERTICAL, width, &min, &nat, NULL, NULL);
        gtk_widget_size_allocate (children[i], &(GtkAllocation) { 0, y, width, nat }, -1);
        y += nat + self->spacing;
      }
  }
}

static void
lm_columns_layout_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  LmColumnsLayout *self = LM_COLUMNS_LAYOUT (object);

  switch (prop_id)
    {
    case PROP_THRESHOLD: g_value_set_int (value, self->threshold); break;
    case PROP_SPACING: g_value_set_int (value, self->spacing); break;
    case PROP_RATIO: g_value_set_double (value, self->ratio); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_columns_layout_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  LmColumnsLayout *self = LM_COLUMNS_LAYOUT (object);

  switch (prop_id)
    {
    case PROP_THRESHOLD: self->threshold = g_value_get_int (value); break;
    case PROP_SPACING: self->spacing = g_value_get_int (value); break;
    case PROP_RATIO: self->ratio = g_value_get_double (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec); return;
    }

  gtk_layout_manager_layout_changed (GTK_LAYOUT_MANAGER (self));
}

static void
lm_columns_layout_class_init (LmColumnsLayoutClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkLayoutManagerClass *layout_class = GTK_LAYOUT_MANAGER_CLASS (klass);

  object_class->get_property = lm_columns_layout_get_property;
  object_class->set_property = lm_columns_layout_set_property;

  layout_class->measure = lm_columns_layout_measure;
  layout_class->allocate = lm_columns_layout_allocate;

  properties[PROP_THRESHOLD] =
    g_param_spec_int ("threshold", NULL, NULL, 0, G_MAXINT, 1024,
                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SPACING] =
    g_param_spec_int ("spacing", NULL, NULL, 0, G_MAXINT, 18,
                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_RATIO] =
    g_param_spec_double ("ratio", NULL, NULL, 0.1, 0.9, 0.6,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
lm_columns_layout_init (LmColumnsLayout *self)
{
  self->threshold = 1024;
  self->spacing = 18;
  self->ratio = 0.6;
}
