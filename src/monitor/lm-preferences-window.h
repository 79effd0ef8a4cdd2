/* lm-preferences-window.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define LM_TYPE_PREFERENCES_WINDOW (lm_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (LmPreferencesWindow, lm_preferences_window, LM, PREFERENCES_WINDOW, AdwPreferencesWindow)

GtkWidget *lm_preferences_window_new (GtkWindow *parent);

G_END_DECLS
