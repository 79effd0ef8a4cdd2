/* lp-guard.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "lp-format.h"
#include "lp-guard.h"
#include "lp-json.h"
#include "lp-types.h"

/* Also the order rules are judged in: money first, as it is what the
 * guard is for, then the conditions that waste it. */
static const char *rule_names[] = {
  "spend", "projected", "divergence", "stall", "gpu_idle",
};

G_STATIC_ASSERT (G_N_ELEMENTS (rule_names) == LP_N_GUARD_RULES);

#define CANCEL_REASON_PREFIX "auto_"

G_DEFINE_BOXED_TYPE (LpGuard, lp_guard, lp_guard_copy, lp_guard_free)

LpGuard *
lp_guard_new (void)
{
  LpGuard *guard = g_new0 (LpGuard, 1);

  guard->grace_s = LP_GUARD_GRACE_DEFAULT_S;
  guard->warned = -1;

  return guard;
}

LpGuard *
lp_guard_copy (const LpGuard *guard)
{
  LpGuard *copy;

  g_return_val_if_fail (guard != NULL, NULL);

  copy = g_memdup2 (guard, sizeof *guard);
  copy->set_by = g_strdup (guard->set_by);

  return copy;
}

void
lp_guard_free (LpGuard *guard)
{
  if (guard == NULL)
    return;

  g_free (guard->set_by);
  g_free (guard);
}

gboolean
lp_guard_rule_is_set (const LpGuard *guard,
                      LpGuardRule    rule)
{
  g_return_val_if_fail (guard != NULL, FALSE);

  switch (rule)
    {
    case LP_GUARD_RULE_SPEND:      return guard->spend.kind != LP_GUARD_LIMIT_OFF;
    case LP_GUARD_RULE_PROJECTED:  return guard->projected.kind != LP_GUARD_LIMIT_OFF;
    case LP_GUARD_RULE_DIVERGENCE: return guard->divergence;
    case LP_GUARD_RULE_STALL:      return guard->stall_s > 0;
    case LP_GUARD_RULE_GPU_IDLE:   return guard->gpu_below_percent > 0;
    default:                       g_return_val_if_reached (FALSE);
    }
}

gboolean
lp_guard_is_empty (const LpGuard *guard)
{
  if (guard == NULL)
    return TRUE;

  for (guint i = 0; i < LP_N_GUARD_RULES; i++)
    if (lp_guard_rule_is_set (guard, i))
      return FALSE;

  return TRUE;
}

static gboolean
limit_equal (const LpGuardLimit *a,
             const LpGuardLimit *b)
{
  return a->kind == b->kind && (a->kind == LP_GUARD_LIMIT_OFF || a->value == b->value);
}

/* Rules, author and state alike; NULL equals only NULL. */
gboolean
lp_guard_equal (const LpGuard *a,
                const LpGuard *b)
{
  if (a == NULL || b == NULL)
    return a == b;

  return limit_equal (&a->spend, &b->spend) &&
         limit_equal (&a->projected, &b->projected) &&
         a->divergence == b->divergence &&
         a->stall_s == b->stall_s &&
         a->gpu_below_percent == b->gpu_below_percent &&
         a->gpu_below_s == b->gpu_below_s &&
         a->grace_s == b->grace_s &&
         g_strcmp0 (a->set_by, b->set_by) == 0 &&
         a->set_at == b->set_at &&
         a->warned == b->warned &&
         a->warned_at == b->warned_at &&
         a->disarmed == b->disarmed;
}

const char *
lp_guard_rule_to_string (LpGuardRule rule)
{
  g_return_val_if_fail ((guint) rule < LP_N_GUARD_RULES, NULL);

  return rule_names[rule];
}

gboolean
lp_guard_rule_from_string (const char  *str,
                           LpGuardRule *rule)
{
  if (str == NULL)
    return FALSE;

  for (guint i = 0; i < LP_N_GUARD_RULES; i++)
    if (g_str_equal (str, rule_names[i]))
      {
        *rule = i;
        return TRUE;
      }

  return FALSE;
}

/* "auto_spend": the job's cancel_reason when a rule cancelled it. */
char *
lp_guard_rule_cancel_reason (LpGuardRule rule)
{
  g_return_val_if_fail ((guint) rule < LP_N_GUARD_RULES, NULL);

  return g_strconcat (CANCEL_REASON_PREFIX, rule_names[rule], NULL);
}

gboolean
lp_guard_rule_from_cancel_reason (const char  *reason,
                                  LpGuardRule *rule)
{
  return reason != NULL && g_str_has_prefix (reason, CANCEL_REASON_PREFIX) &&
         lp_guard_rule_from_string (reason + strlen (CANCEL_REASON_PREFIX), rule);
}

const char *
lp_guard_rule_label (LpGuardRule rule)
{
  switch (rule)
    {
    case LP_GUARD_RULE_SPEND:      return _("Spend limit");
    case LP_GUARD_RULE_PROJECTED:  return _("Projected cost limit");
    case LP_GUARD_RULE_DIVERGENCE: return _("Loss diverges");
    case LP_GUARD_RULE_STALL:      return _("Run stalls");
    case LP_GUARD_RULE_GPU_IDLE:   return _("GPU idle");
    default:                       g_return_val_if_reached (NULL);
    }
}

/* The amount @limit stands for, or NAN when it is off or is relative to
 * an estimate the job does not have. */
double
lp_guard_limit_threshold (const LpGuardLimit *limit,
                          double              estimate_max)
{
  switch (limit->kind)
    {
    case LP_GUARD_LIMIT_AMOUNT:
      return limit->value;
    case LP_GUARD_LIMIT_PERCENT:
      return estimate_max > 0 ? estimate_max * (1 + limit->value / 100) : NAN;
    case LP_GUARD_LIMIT_OFF:
    default:
      return NAN;
    }
}

static gboolean
over_limit (const LpGuardLimit *limit,
            double              amount,
            double              estimate_max,
            double             *value,
            double             *threshold)
{
  *threshold = lp_guard_limit_threshold (limit, estimate_max);
  *value = amount;

  return isfinite (*threshold) && amount > *threshold;
}

/* Whether @rule is set and holds for @figures; @value and @threshold are
 * the figures that say so (NAN where a rule has none), for its events. */
gboolean
lp_guard_rule_holds (const LpGuard        *guard,
                     LpGuardRule           rule,
                     const LpGuardFigures *figures,
                     double               *value,
                     double               *threshold)
{
  double v = NAN, t = NAN;
  gboolean holds = FALSE;

  g_return_val_if_fail (guard != NULL && figures != NULL, FALSE);

  if (lp_guard_rule_is_set (guard, rule))
    switch (rule)
      {
      case LP_GUARD_RULE_SPEND:
        holds = over_limit (&guard->spend, figures->spend, figures->estimate_max, &v, &t);
        break;
      case LP_GUARD_RULE_PROJECTED:
        holds = over_limit (&guard->projected, figures->projected, figures->estimate_max, &v, &t);
        break;
      case LP_GUARD_RULE_DIVERGENCE:
        holds = figures->diverged;
        break;
      case LP_GUARD_RULE_STALL:
        v = figures->stalled_s;
        t = guard->stall_s;
        holds = figures->stalled_s >= guard->stall_s;
        break;
      case LP_GUARD_RULE_GPU_IDLE:
        v = figures->gpu_util;
        t = guard->gpu_below_percent;
        holds = figures->gpu_low_s >= guard->gpu_below_s;
        break;
      default:
        g_return_val_if_reached (FALSE);
      }

  if (value != NULL)
    *value = v;
  if (threshold != NULL)
    *threshold = t;

  return holds;
}

/* Moves @guard on to @now (µs since the epoch). One rule counts down at a
 * time: it cancels when its grace is over, unless it stopped holding, in
 * which case the next rule that holds may start its own. @rule is the
 * rule the action is about. */
LpGuardAction
lp_guard_step (LpGuard              *guard,
               const LpGuardFigures *figures,
               gint64                now,
               LpGuardRule          *rule)
{
  g_return_val_if_fail (guard != NULL && figures != NULL && rule != NULL, LP_GUARD_ACTION_NONE);

  if (guard->warned >= 0)
    {
      *rule = guard->warned;

      if (!lp_guard_rule_holds (guard, *rule, figures, NULL, NULL))
        {
          guard->warned = -1;
          guard->warned_at = 0;
          return LP_GUARD_ACTION_CLEAR;
        }

      return now >= lp_guard_cancel_at (guard) ? LP_GUARD_ACTION_CANCEL : LP_GUARD_ACTION_NONE;
    }

  for (guint i = 0; i < LP_N_GUARD_RULES; i++)
    if (!(guard->disarmed & (1u << i)) && lp_guard_rule_holds (guard, i, figures, NULL, NULL))
      {
        guard->warned = i;
        guard->warned_at = now;
        *rule = i;
        return LP_GUARD_ACTION_WARN;
      }

  return LP_GUARD_ACTION_NONE;
}

/* "Keep running": @rule no longer acts for this job. Returns whether it
 * was counting down. */
gboolean
lp_guard_disarm (LpGuard     *guard,
                 LpGuardRule  rule)
{
  g_return_val_if_fail (guard != NULL && (guint) rule < LP_N_GUARD_RULES, FALSE);

  guard->disarmed |= 1u << rule;
  if (guard->warned != (gint) rule)
    return FALSE;

  guard->warned = -1;
  guard->warned_at = 0;
  return TRUE;
}

/* When the rule counting down cancels the job, or 0. */
gint64
lp_guard_cancel_at (const LpGuard *guard)
{
  g_return_val_if_fail (guard != NULL, 0);

  if (guard->warned < 0)
    return 0;

  return guard->warned_at + guard->grace_s * G_USEC_PER_SEC;
}

static char *
describe_limit (const LpGuardLimit *limit,
                gboolean            projected)
{
  if (limit->kind == LP_GUARD_LIMIT_AMOUNT)
    {
      g_autofree char *money = lp_format_money (limit->value);

      /* Translators: a budget guard's rule, e.g. "cancel above $60.00 projected" */
      return projected ? g_strdup_printf (_("cancel above %s projected"), money)
                       /* Translators: a budget guard's rule, e.g. "cancel above $60.00 spent" */
                       : g_strdup_printf (_("cancel above %s spent"), money);
    }

  {
    g_autofree char *percent = lp_format_percent (limit->value);

    /* Translators: a budget guard's rule, e.g. "cancel when projected 10% over the estimate" */
    return projected ? g_strdup_printf (_("cancel when projected %s over the estimate"), percent)
                     /* Translators: a budget guard's rule, e.g. "cancel when spend is 10% over the estimate" */
                     : g_strdup_printf (_("cancel when spend is %s over the estimate"), percent);
  }
}

/* One rule in words, lower case, as it follows "Guard: ". */
char *
lp_guard_describe_rule (const LpGuard *guard,
                        LpGuardRule    rule)
{
  g_return_val_if_fail (guard != NULL, NULL);

  if (!lp_guard_rule_is_set (guard, rule))
    return NULL;

  switch (rule)
    {
    case LP_GUARD_RULE_SPEND:
      return describe_limit (&guard->spend, FALSE);
    case LP_GUARD_RULE_PROJECTED:
      return describe_limit (&guard->projected, TRUE);
    case LP_GUARD_RULE_DIVERGENCE:
      return g_strdup (_("cancel if the loss diverges"));
    case LP_GUARD_RULE_STALL:
      {
        g_autofree char *span = lp_format_duration (guard->stall_s);

        /* Translators: a budget guard's rule, e.g. "cancel after 30m without metrics" */
        return g_strdup_printf (_("cancel after %s without metrics"), span);
      }
    case LP_GUARD_RULE_GPU_IDLE:
      {
        g_autofree char *span = lp_format_duration (guard->gpu_below_s);
        g_autofree char *percent = lp_format_percent (guard->gpu_below_percent);

        /* Translators: a budget guard's rule, e.g. "cancel after 15m of GPU below 20%" */
        return g_strdup_printf (_("cancel after %s of GPU below %s"), span, percent);
      }
    default:
      g_return_val_if_reached (NULL);
    }
}

/* "Guard: cancel above $60.00 projected; cancel if the loss diverges",
 * or NULL without rules. */
char *
lp_guard_describe (const LpGuard *guard)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *rules = NULL;

  if (lp_guard_is_empty (guard))
    return NULL;

  for (guint i = 0; i < LP_N_GUARD_RULES; i++)
    if (lp_guard_rule_is_set (guard, i))
      g_ptr_array_add (parts, lp_guard_describe_rule (guard, i));
  g_ptr_array_add (parts, NULL);

  /* Translators: the separator between a budget guard's rules */
  rules = g_strjoinv (_("; "), (char **) parts->pdata);

  /* Translators: the Job page's line about its budget guard; %s is its rules */
  return g_strdup_printf (_("Guard: %s"), rules);
}

/* Codecs */

static gboolean
invalid (GError     **error,
         const char  *format,
         ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError     **error,
         const char  *format,
         ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error_literal (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID, message);
  return FALSE;
}

/* A misspelt rule ("stal_s") must not leave the job unguarded unnoticed. */
static gboolean
only_members (JsonObject         *object,
              const char         *where,
              const char * const *known,
              GError            **error)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (const GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (known, l->data))
      {
        g_autofree char *list = g_strjoinv (", ", (char **) known);

        return invalid (error, _("Unknown member “%s” in %s; it takes %s"),
                        (const char *) l->data, where, list);
      }

  return TRUE;
}

static gboolean
read_limit (JsonObject   *parent,
            const char   *member,
            gboolean      strict,
            double        estimate_max,
            LpGuardLimit *limit,
            GError      **error)
{
  static const char * const known[] = { "max_usd", "percent_over_estimate", NULL };
  JsonObject *object = NULL;
  double amount = NAN, percent = NAN;

  limit->kind = LP_GUARD_LIMIT_OFF;
  limit->value = 0;

  if (!lp_json_get_object (parent, member, FALSE, &object, error))
    return FALSE;
  if (object == NULL)
    return TRUE;

  if ((strict && !only_members (object, member, known, error)) ||
      !lp_json_get_double_range (object, "max_usd", FALSE, 0.01, LP_MONEY_MAX, &amount, error) ||
      !lp_json_get_double_range (object, "percent_over_estimate", FALSE, 0, LP_GUARD_PERCENT_MAX,
                                 &percent, error))
    return FALSE;

  if (isnan (amount) == isnan (percent))
    return invalid (error, _("“%s” takes one of “max_usd” and “percent_over_estimate”"), member);

  if (!isnan (amount))
    {
      limit->kind = LP_GUARD_LIMIT_AMOUNT;
      limit->value = amount;
      return TRUE;
    }

  if (strict && !(estimate_max > 0))
    return invalid (error, _("“%s” cannot be a percentage over the estimate: the job has no cost estimate"),
                    member);

  limit->kind = LP_GUARD_LIMIT_PERCENT;
  limit->value = percent;
  return TRUE;
}

static gboolean
read_rules (JsonObject  *object,
            gboolean     strict,
            double       estimate_max,
            LpGuard     *guard,
            GError     **error)
{
  static const char * const known[] = {
    "spend", "projected", "divergence", "stall_s", "gpu_idle", "grace_s", NULL
  };
  static const char * const gpu_known[] = { "below_percent", "for_s", NULL };
  JsonObject *gpu = NULL;

  if ((strict && !only_members (object, "guard", known, error)) ||
      !read_limit (object, "spend", strict, estimate_max, &guard->spend, error) ||
      !read_limit (object, "projected", strict, estimate_max, &guard->projected, error) ||
      !lp_json_get_bool (object, "divergence", FALSE, &guard->divergence, error) ||
      !lp_json_get_int_range (object, "stall_s", FALSE, LP_GUARD_SPAN_MIN_S, LP_GUARD_SPAN_MAX_S,
                              &guard->stall_s, error) ||
      !lp_json_get_int_range (object, "grace_s", FALSE, LP_GUARD_GRACE_MIN_S, LP_GUARD_GRACE_MAX_S,
                              &guard->grace_s, error) ||
      !lp_json_get_object (object, "gpu_idle", FALSE, &gpu, error))
    return FALSE;

  if (gpu != NULL &&
      ((strict && !only_members (gpu, "gpu_idle", gpu_known, error)) ||
       !lp_json_get_double_range (gpu, "below_percent", TRUE, 1, 100, &guard->gpu_below_percent, error) ||
       !lp_json_get_int_range (gpu, "for_s", TRUE, LP_GUARD_SPAN_MIN_S, LP_GUARD_SPAN_MAX_S,
                               &guard->gpu_below_s, error)))
    return FALSE;

  return TRUE;
}

/* A client's rules (a create request's "guard", or the body of a PUT): strict,
 * since a rule dropped for a typo would let a run overspend. A percentage
 * needs an @estimate_max to be over. */
LpGuard *
lp_guard_new_from_request (JsonObject  *object,
                           double       estimate_max,
                           GError     **error)
{
  g_autoptr(LpGuard) guard = lp_guard_new ();

  g_return_val_if_fail (object != NULL, NULL);

  if (!read_rules (object, TRUE, estimate_max, guard, error))
    return NULL;

  return g_steal_pointer (&guard);
}

/* The guard as the service serves and stores it, with its state. */
LpGuard *
lp_guard_new_from_json (JsonObject  *object,
                        GError     **error)
{
  g_autoptr(LpGuard) guard = lp_guard_new ();
  const char *set_by = NULL, *warned = NULL;
  JsonArray *disarmed = NULL;
  LpGuardRule rule;

  g_return_val_if_fail (object != NULL, NULL);

  if (!read_rules (object, FALSE, 0, guard, error) ||
      !lp_json_get_string (object, "set_by", FALSE, &set_by, error) ||
      !lp_json_get_time (object, "set_at", FALSE, &guard->set_at, error) ||
      !lp_json_get_string (object, "warned", FALSE, &warned, error) ||
      !lp_json_get_time (object, "warned_at", FALSE, &guard->warned_at, error) ||
      !lp_json_get_array (object, "disarmed", FALSE, &disarmed, error))
    return NULL;

  guard->set_by = g_strdup (set_by);

  if (warned != NULL)
    {
      if (!lp_guard_rule_from_string (warned, &rule))
        {
          invalid (error, _("“warned” is not a rule: “%s”"), warned);
          return NULL;
        }
      guard->warned = rule;
    }

  for (guint i = 0; disarmed != NULL && i < json_array_get_length (disarmed); i++)
    {
      JsonNode *node = json_array_get_element (disarmed, i);
      const char *name = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
                         ? json_node_get_string (node) : NULL;

      if (!lp_guard_rule_from_string (name, &rule))
        {
          invalid (error, _("“disarmed” holds something that is not a rule"));
          return NULL;
        }
      guard->disarmed |= 1u << rule;
    }

  return g_steal_pointer (&guard);
}

static void
add_limit (JsonBuilder        *builder,
           const char         *member,
           const LpGuardLimit *limit)
{
  if (limit->kind == LP_GUARD_LIMIT_OFF)
    return;

  json_builder_set_member_name (builder, member);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, limit->kind == LP_GUARD_LIMIT_AMOUNT ? "max_usd"
                                                                            : "percent_over_estimate");
  json_builder_add_double_value (builder, limit->value);
  json_builder_end_object (builder);
}

/* An object: the rules that are set, then who set them and their state. */
void
lp_guard_to_json (const LpGuard *guard,
                  JsonBuilder   *builder)
{
  g_return_if_fail (guard != NULL);

  json_builder_begin_object (builder);

  add_limit (builder, "spend", &guard->spend);
  add_limit (builder, "projected", &guard->projected);
  if (guard->divergence)
    {
      json_builder_set_member_name (builder, "divergence");
      json_builder_add_boolean_value (builder, TRUE);
    }
  if (guard->stall_s > 0)
    {
      json_builder_set_member_name (builder, "stall_s");
      json_builder_add_int_value (builder, guard->stall_s);
    }
  if (guard->gpu_below_percent > 0)
    {
      json_builder_set_member_name (builder, "gpu_idle");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "below_percent");
      json_builder_add_double_value (builder, guard->gpu_below_percent);
      json_builder_set_member_name (builder, "for_s");
      json_builder_add_int_value (builder, guard->gpu_below_s);
      json_builder_end_object (builder);
    }
  json_builder_set_member_name (builder, "grace_s");
  json_builder_add_int_value (builder, guard->grace_s);

  lp_json_add_string_or_null (builder, "set_by", guard->set_by);
  lp_json_add_time (builder, "set_at", guard->set_at);
  lp_json_add_string_or_null (builder, "warned",
                              guard->warned >= 0 ? rule_names[guard->warned] : NULL);
  lp_json_add_time (builder, "warned_at", guard->warned_at);
  lp_json_add_time (builder, "cancel_at", lp_guard_cancel_at (guard));

  json_builder_set_member_name (builder, "disarmed");
  json_builder_begin_array (builder);
  for (guint i = 0; i < LP_N_GUARD_RULES; i++)
    if (guard->disarmed & (1u << i))
      json_builder_add_string_value (builder, rule_names[i]);
  json_builder_end_array (builder);

  json_builder_end_object (builder);
}
