/* lm-window.h: the main window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "lm-client.h"

G_BEGIN_DECLS

#define LM_TYPE_WINDOW (lm_window_get_type ())

G_DECLARE_FINAL_TYPE (LmWindow, lm_window, LM, WINDOW, AdwApplicationWindow)

LmWindow   *lm_window_new             (AdwApplication *application);
void        lm_window_set_client      (LmWindow       *self,
                                       LmClient       *client);
LmClient   *lm_window_get_client      (LmWindow       *self);
void        lm_window_open_job        (LmWindow       *self,
                                       gint64          id);
void        lm_window_show_jobs       (LmWindow       *self);
void        lm_window_toast           (LmWindow       *self,
                                       const char     *text);
const char *lm_window_get_tab         (LmWindow       *self);
void        lm_window_set_tab         (LmWindow       *self,
                                       const char     *tab);
GtkWidget  *lm_window_get_jobs_table  (LmWindow       *self,
                                       const char     *tab);
GtkWidget  *lm_window_get_queue_view  (LmWindow       *self);
GtkWidget  *lm_window_get_job_page    (LmWindow       *self);
GtkWidget  *lm_window_get_banner      (LmWindow       *self);
const char *lm_window_get_queue_title (LmWindow       *self);
const char *lm_window_get_visible_page (LmWindow      *self);
void        lm_window_announce        (LmWindow       *self,
                                       const char     *text);
const char *lm_window_get_announcement (LmWindow      *self);

G_END_DECLS
