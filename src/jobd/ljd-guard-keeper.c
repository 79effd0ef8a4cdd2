/* ljd-guard-keeper.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The guard's rules and state live in the job's row (ljd-store.c), so a
 * restart picks up a countdown where it stood: a rule that warned before
 * the restart cancels at the time its warning said, not a grace later.
 */
#include "config.h"

#include <math.h>

#include <glib/gi18n-lib.h>

#include "lp-format.h"
#include "lp-json.h"
#include "ljd-guard-keeper.h"
#include "ljd-service-private.h"

/* Who cancels when a guard somehow has no author: never a real user. */
#define FALLBACK_USER "guard"

static gboolean
from_json_error (GError **error,
                 GError  *cause)
{
  return ljd_service_invalid (error, "%s", cause->message);
}

static gboolean
internal (GError **error,
          GError  *cause)
{
  g_set_error_literal (error, LJD_SERVICE_ERROR, LJD_SERVICE_ERROR_INTERNAL, cause->message);
  return FALSE;
}

/* The "guard" of a create request: @guard is NULL when there is none. */
gboolean
ljd_guard_keeper_parse (JsonObject  *request,
                        double       estimate_max,
                        const char  *user,
                        LpGuard    **guard,
                        GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(LpGuard) parsed = NULL;
  JsonObject *object = NULL;

  *guard = NULL;

  if (!lp_json_get_object (request, "guard", FALSE, &object, &local_error))
    return from_json_error (error, local_error);
  if (object == NULL)
    return TRUE;

  if (!(parsed = lp_guard_new_from_request (object, estimate_max, &local_error)))
    return ljd_service_invalid (error, _("“guard” is not valid: %s"), local_error->message);

  if (lp_guard_is_empty (parsed))
    return TRUE;

  parsed->set_by = g_strdup (user);
  parsed->set_at = g_get_real_time ();
  *guard = g_steal_pointer (&parsed);
  return TRUE;
}

static LpJob *
load_unfinished (LjdService  *service,
                 gint64       id,
                 GError     **error)
{
  g_autoptr(LpJob) job = ljd_service_get_job (service, id, error);

  if (job == NULL)
    return NULL;

  if (lp_job_status_is_finished (lp_job_get_status (job)))
    {
      g_set_error (error, LJD_SERVICE_ERROR, LJD_SERVICE_ERROR_CONFLICT,
                   _("Job %lld has already finished (%s); its guard can no longer change"),
                   (long long) id, lp_job_status_to_string (lp_job_get_status (job)));
      return NULL;
    }

  return g_steal_pointer (&job);
}

static JsonObject *
guard_payload (const char    *action,
               const LpGuard *guard)
{
  JsonObject *payload = json_object_new ();

  json_object_set_string_member (payload, "kind", "guard");
  json_object_set_string_member (payload, "source", "service");
  json_object_set_string_member (payload, "action", action);
  if (guard != NULL && guard->set_by != NULL)
    json_object_set_string_member (payload, "set_by", guard->set_by);

  return payload;
}

/* Saves @guard and records its event, together or not at all. */
static gboolean
save_with_event (LjdService     *service,
                 LpJob          *job,
                 const LpGuard  *guard,
                 gint64          when,
                 LpEventType     type,
                 const char     *message,
                 JsonObject     *payload,
                 GError        **error)
{
  LjdStore *store = ljd_service_get_store (service);
  g_autoptr(GError) local_error = NULL;

  if (!ljd_store_begin (store, &local_error))
    return internal (error, local_error);

  if (!ljd_store_set_guard (store, lp_job_get_id (job), guard, &local_error))
    {
      ljd_store_rollback (store);
      return internal (error, local_error);
    }

  if (!ljd_service_record_event (service, job, when, type, message, payload, error))
    {
      ljd_store_rollback (store);
      return FALSE;
    }

  if (!ljd_store_commit (store, &local_error))
    {
      ljd_store_rollback (store);
      return internal (error, local_error);
    }

  return TRUE;
}

/* PUT /api/training/jobs/{id}/guard: new rules replace the old, and start
 * afresh: nothing counts down, nothing is disarmed. No rules, no guard. */
LpJob *
ljd_guard_keeper_set (LjdService  *service,
                      gint64       id,
                      JsonObject  *request,
                      const char  *user,
                      GError     **error)
{
  g_autoptr(LpJob) job = NULL;
  g_autoptr(LpGuard) guard = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonObject) payload = NULL;
  g_autofree char *message = NULL;
  gint64 now = g_get_real_time ();

  if (!(job = load_unfinished (service, id, error)))
    return NULL;

  if (request == NULL)
    {
      ljd_service_invalid (error, _("A JSON object with the guard's rules is required"));
      return NULL;
    }

  if (!(guard = lp_guard_new_from_request (request, lp_job_get_estimate_max (job), &local_error)))
    {
      from_json_error (error, local_error);
      return NULL;
    }

  guard->set_by = g_strdup (user);
  guard->set_at = now;

  if (lp_guard_is_empty (guard))
    {
      if (lp_job_get_guard (job) == NULL)
        return g_steal_pointer (&job);

      payload = guard_payload ("remove", guard);
      message = g_strdup_printf (_("Guard removed by %s"), user);
      g_clear_pointer (&guard, lp_guard_free);
    }
  else
    {
      g_autofree char *described = lp_guard_describe (guard);

      payload = guard_payload ("set", guard);
      /* Translators: e.g. "alice set the guard. Guard: cancel above $60.00 projected" */
      message = g_strdup_printf (_("%s set the guard. %s"), user, described);
    }

  if (!save_with_event (service, job, guard, now, LP_EVENT_STATUS, message, payload, error))
    return NULL;

  return ljd_service_get_job (service, id, error);
}

/* POST /api/training/jobs/{id}/guard/disarm: "Keep running". */
LpJob *
ljd_guard_keeper_disarm (LjdService  *service,
                         gint64       id,
                         JsonObject  *request,
                         const char  *user,
                         GError     **error)
{
  g_autoptr(LpJob) job = NULL;
  g_autoptr(LpGuard) guard = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonObject) payload = NULL;
  g_autofree char *message = NULL;
  const char *name = NULL;
  LpGuardRule rule;
  gboolean was_counting;

  if (!(job = load_unfinished (service, id, error)))
    return NULL;

  if (request == NULL)
    {
      ljd_service_invalid (error, _("A JSON body with a “rule” is required"));
      return NULL;
    }

  if (!lp_json_get_string (request, "rule", TRUE, &name, &local_error))
    {
      from_json_error (error, local_error);
      return NULL;
    }

  if (json_object_get_size (request) != 1)
    {
      ljd_service_invalid (error, _("A disarm request takes only a “rule”"));
      return NULL;
    }

  if (!lp_guard_rule_from_string (name, &rule))
    {
      ljd_service_invalid (error, _("“rule” must be one of spend, projected, divergence, stall, gpu_idle"));
      return NULL;
    }

  if (lp_job_get_guard (job) == NULL || !lp_guard_rule_is_set (lp_job_get_guard (job), rule))
    {
      g_set_error (error, LJD_SERVICE_ERROR, LJD_SERVICE_ERROR_CONFLICT,
                   _("Job %lld has no “%s” rule to disarm"), (long long) id, name);
      return NULL;
    }

  guard = lp_guard_copy (lp_job_get_guard (job));
  if (guard->disarmed & (1u << rule))
    return g_steal_pointer (&job);

  was_counting = lp_guard_disarm (guard, rule);

  payload = guard_payload ("disarm", guard);
  json_object_set_string_member (payload, "rule", name);
  json_object_set_string_member (payload, "user", user);
  json_object_set_boolean_member (payload, "was_counting_down", was_counting);
  /* Translators: e.g. "alice chose Keep running: the guard's “Spend limit” no longer acts for this job" */
  message = g_strdup_printf (_("%s chose Keep running: the guard’s “%s” no longer acts for this job"),
                             user, lp_guard_rule_label (rule));

  if (!save_with_event (service, job, guard, g_get_real_time (), LP_EVENT_STATUS, message, payload, error))
    return NULL;

  return ljd_service_get_job (service, id, error);
}

/* The watch */

static gboolean
figures_for (LjdService      *service,
             LpJob           *job,
             const LpGuard   *guard,
             gint64           now,
             LpGuardFigures  *figures,
             GError         **error)
{
  g_autoptr(GError) local_error = NULL;

  *figures = (LpGuardFigures) { 0 };
  figures->gpu_util = NAN;
  figures->estimate_max = lp_job_get_estimate_max (job);

  ljd_service_costs_at (service, job, now, &figures->spend, &figures->projected);

  if (guard->divergence && !ljd_service_is_diverging (service, job, &figures->diverged, error))
    return FALSE;

  if (guard->stall_s > 0)
    figures->stalled_s = ljd_service_silent_s (service, job, now);

  if (guard->gpu_below_percent > 0)
    {
      LjdLowRun run;

      if (!ljd_store_get_low_run (ljd_service_get_store (service), lp_job_get_id (job),
                                  LP_SERIES_GPU_UTIL, guard->gpu_below_percent, &run, &local_error))
        return internal (error, local_error);

      if (run.n_points > 0)
        {
          figures->gpu_util = run.last_value;
          figures->gpu_low_s = ljd_service_usec_to_job_time (service, job, run.last_ts - run.first_ts);
        }
    }

  return TRUE;
}

/* What the rule saw, in words: the start of its events' messages. */
static char *
describe_figures (const LpGuard        *guard,
                  LpGuardRule           rule,
                  const LpGuardFigures *figures)
{
  double value = NAN, threshold = NAN;

  lp_guard_rule_holds (guard, rule, figures, &value, &threshold);

  switch (rule)
    {
    case LP_GUARD_RULE_SPEND:
    case LP_GUARD_RULE_PROJECTED:
      {
        g_autofree char *amount = lp_format_money (value);
        g_autofree char *limit = lp_format_money (threshold);

        return rule == LP_GUARD_RULE_SPEND
          /* Translators: e.g. "spend $3.00 is above the guard's limit of $2.00" */
          ? g_strdup_printf (_("spend %s is above the guard’s limit of %s"), amount, limit)
          /* Translators: e.g. "projected cost $62.10 is above the guard's limit of $60.00" */
          : g_strdup_printf (_("projected cost %s is above the guard’s limit of %s"), amount, limit);
      }
    case LP_GUARD_RULE_DIVERGENCE:
      return g_strdup (_("the training loss is diverging"));
    case LP_GUARD_RULE_STALL:
      {
        g_autofree char *silent = lp_format_duration (figures->stalled_s);

        /* Translators: e.g. "no metrics for 31m 5s" */
        return g_strdup_printf (_("no metrics for %s"), silent);
      }
    case LP_GUARD_RULE_GPU_IDLE:
      {
        g_autofree char *span = lp_format_duration (figures->gpu_low_s);
        g_autofree char *percent = lp_format_percent (guard->gpu_below_percent);

        /* Translators: e.g. "GPU utilization below 20% for 15m 0s" */
        return g_strdup_printf (_("GPU utilization below %s for %s"), percent, span);
      }
    default:
      g_return_val_if_reached (NULL);
    }
}

static void
set_finite (JsonObject *object,
            const char *member,
            double      value)
{
  if (isfinite (value))
    json_object_set_double_member (object, member, value);
}

static JsonObject *
rule_payload (const char           *action,
              const LpGuard        *guard,
              LpGuardRule           rule,
              const LpGuardFigures *figures,
              LpJob                *job)
{
  JsonObject *payload = guard_payload (action, guard);
  double value = NAN, threshold = NAN;
  g_autofree char *cancel_at = NULL;

  lp_guard_rule_holds (guard, rule, figures, &value, &threshold);

  json_object_set_string_member (payload, "rule", lp_guard_rule_to_string (rule));
  set_finite (payload, "value", value);
  set_finite (payload, "threshold", threshold);
  json_object_set_double_member (payload, "cost", figures->spend);
  json_object_set_double_member (payload, "projected_cost", figures->projected);
  if (figures->estimate_max > 0)
    json_object_set_double_member (payload, "estimate_max", figures->estimate_max);
  json_object_set_int_member (payload, "step", lp_job_get_current_step (job));
  json_object_set_int_member (payload, "grace_s", guard->grace_s);
  if (lp_guard_cancel_at (guard) != 0 && (cancel_at = lp_iso8601_from_usec (lp_guard_cancel_at (guard))))
    json_object_set_string_member (payload, "cancel_at", cancel_at);

  return payload;
}

static char *
time_of (gint64 usec)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);

  return dt != NULL ? g_date_time_format (dt, "%H:%M:%S UTC") : g_strdup ("?");
}

/* Judges one running job by its guard, at @now. */
gboolean
ljd_guard_keeper_watch (LjdService  *service,
                        LpJob       *job,
                        gint64       now,
                        GError     **error)
{
  g_autoptr(LpGuard) guard = NULL;
  g_autoptr(JsonObject) payload = NULL;
  g_autofree char *message = NULL;
  g_autofree char *figures_text = NULL;
  g_autofree char *reason = NULL;
  LpGuardFigures figures;
  LpGuardRule rule;
  LpGuardAction action;

  if (lp_job_get_guard (job) == NULL)
    return TRUE;

  guard = lp_guard_copy (lp_job_get_guard (job));
  if (!figures_for (service, job, guard, now, &figures, error))
    return FALSE;

  action = lp_guard_step (guard, &figures, now, &rule);
  if (action == LP_GUARD_ACTION_NONE)
    return TRUE;

  switch (action)
    {
    case LP_GUARD_ACTION_WARN:
      {
        g_autofree char *grace = lp_format_duration (guard->grace_s);
        g_autofree char *at = time_of (lp_guard_cancel_at (guard));

        figures_text = describe_figures (guard, rule, &figures);
        payload = rule_payload ("warn", guard, rule, &figures, job);
        /* Translators: e.g. "Budget guard: spend $3.00 is above the guard's limit of $2.00. The job
         * will be cancelled in 5m 0s, at 21:40:00 UTC, unless that changes or someone chooses Keep running" */
        message = g_strdup_printf (_("Budget guard: %s. The job will be cancelled in %s, at %s, "
                                     "unless that changes or someone chooses Keep running"),
                                   figures_text, grace, at);
        return save_with_event (service, job, guard, now, LP_EVENT_WARNING, message, payload, error);
      }

    case LP_GUARD_ACTION_CLEAR:
      payload = rule_payload ("clear", guard, rule, &figures, job);
      /* Translators: e.g. "Budget guard: “Spend limit” no longer holds; the job keeps running" */
      message = g_strdup_printf (_("Budget guard: “%s” no longer holds; the job keeps running"),
                                 lp_guard_rule_label (rule));
      return save_with_event (service, job, guard, now, LP_EVENT_STATUS, message, payload, error);

    case LP_GUARD_ACTION_CANCEL:
      {
        const char *user = guard->set_by != NULL ? guard->set_by : FALLBACK_USER;

        figures_text = describe_figures (guard, rule, &figures);
        payload = rule_payload ("cancel", guard, rule, &figures, job);
        reason = lp_guard_rule_cancel_reason (rule);
        json_object_set_string_member (payload, "reason", reason);
        /* Translators: e.g. "Budget guard cancels the job for alice: spend $3.10 is above the guard's limit of $2.00" */
        message = g_strdup_printf (_("Budget guard cancels the job for %s: %s"), user, figures_text);

        if (!save_with_event (service, job, guard, now, LP_EVENT_WARNING, message, payload, error))
          return FALSE;

        ljd_service_cancel_for (service, job, reason, user);
        return TRUE;
      }

    case LP_GUARD_ACTION_NONE:
    default:
      return TRUE;
    }
}
