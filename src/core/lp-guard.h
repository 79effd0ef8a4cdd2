/* lp-guard.h: a job's budget guard, the rules that cancel it for its user
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A guard holds up to five rules. Each rule that starts to hold first
 * warns, then cancels the job once its grace period has passed, unless
 * the rule stopped holding or its user disarmed it ("Keep running").
 * Both tiers use this: the service to act, the app to show and edit.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  LP_GUARD_RULE_SPEND,        /* the spend so far passes a limit */
  LP_GUARD_RULE_PROJECTED,    /* the projected final cost passes a limit */
  LP_GUARD_RULE_DIVERGENCE,   /* the training loss diverges */
  LP_GUARD_RULE_STALL,        /* no metrics for a while */
  LP_GUARD_RULE_GPU_IDLE,     /* the GPU stays below a utilisation */
} LpGuardRule;

#define LP_N_GUARD_RULES (LP_GUARD_RULE_GPU_IDLE + 1)

typedef enum {
  LP_GUARD_LIMIT_OFF,
  LP_GUARD_LIMIT_AMOUNT,      /* USD */
  LP_GUARD_LIMIT_PERCENT,     /* percent over the estimate's maximum */
} LpGuardLimitKind;

typedef struct
{
  LpGuardLimitKind kind;
  double           value;
} LpGuardLimit;

/* What the grace period, the stall and the idle GPU may be set to. */
#define LP_GUARD_GRACE_MIN_S     1
#define LP_GUARD_GRACE_MAX_S     (24 * 3600)
#define LP_GUARD_GRACE_DEFAULT_S (5 * 60)
#define LP_GUARD_SPAN_MIN_S      60
#define LP_GUARD_SPAN_MAX_S      (7 * 24 * 3600)
#define LP_GUARD_PERCENT_MAX     1000.0

typedef struct _LpGuard LpGuard;

struct _LpGuard
{
  /* The rules. */
  LpGuardLimit spend;
  LpGuardLimit projected;
  gboolean     divergence;
  gint64       stall_s;            /* of the job's own time; 0: off */
  double       gpu_below_percent;  /* 0: off */
  gint64       gpu_below_s;        /* of the job's own time */
  gint64       grace_s;            /* real time, for a person to answer */

  /* Who set them and when (µs since the epoch): the service's to fill. */
  char        *set_by;
  gint64       set_at;

  /* Where the rules stand: the service's to keep. */
  gint         warned;             /* the LpGuardRule counting down, or -1 */
  gint64       warned_at;          /* µs since the epoch */
  guint        disarmed;           /* 1 << LpGuardRule, by "Keep running" */
};

/* What the rules are judged on, in the units the API serves. */
typedef struct
{
  double   spend;
  double   projected;
  double   estimate_max;           /* 0: the job has no estimate */
  gboolean diverged;               /* the early warning's rule holds */
  gint64   stalled_s;              /* without metrics while training */
  gint64   gpu_low_s;              /* continuously below gpu_below_percent */
  double   gpu_util;               /* the latest reading, or NAN */
} LpGuardFigures;

typedef enum {
  LP_GUARD_ACTION_NONE,
  LP_GUARD_ACTION_WARN,            /* a rule began to hold: its grace starts */
  LP_GUARD_ACTION_CLEAR,           /* the rule counting down stopped holding */
  LP_GUARD_ACTION_CANCEL,          /* its grace is over: cancel the job */
} LpGuardAction;

GType        lp_guard_get_type           (void) G_GNUC_CONST;
#define LP_TYPE_GUARD (lp_guard_get_type ())

LpGuard     *lp_guard_new                (void);
LpGuard     *lp_guard_copy               (const LpGuard        *guard);
void         lp_guard_free               (LpGuard              *guard);

gboolean     lp_guard_is_empty           (const LpGuard        *guard);
gboolean     lp_guard_equal              (const LpGuard        *a,
                                          const LpGuard        *b);

const char  *lp_guard_rule_to_string     (LpGuardRule           rule);
gboolean     lp_guard_rule_from_string   (const char           *str,
                                          LpGuardRule          *rule);
char        *lp_guard_rule_cancel_reason (LpGuardRule           rule);
gboolean     lp_guard_rule_from_cancel_reason (const char      *reason,
                                          LpGuardRule          *rule);
const char  *lp_guard_rule_label         (LpGuardRule           rule);

double       lp_guard_limit_threshold    (const LpGuardLimit   *limit,
                                          double                estimate_max);
gboolean     lp_guard_rule_is_set        (const LpGuard        *guard,
                                          LpGuardRule           rule);
gboolean     lp_guard_rule_holds         (const LpGuard        *guard,
                                          LpGuardRule           rule,
                                          const LpGuardFigures *figures,
                                          double               *value,
                                          double               *threshold);
LpGuardAction lp_guard_step              (LpGuard              *guard,
                                          const LpGuardFigures *figures,
                                          gint64                now,
                                          LpGuardRule          *rule);
gboolean     lp_guard_disarm             (LpGuard              *guard,
                                          LpGuardRule           rule);
gint64       lp_guard_cancel_at          (const LpGuard        *guard);

char        *lp_guard_describe_rule      (const LpGuard        *guard,
                                          LpGuardRule           rule);
char        *lp_guard_describe           (const LpGuard        *guard);

LpGuard     *lp_guard_new_from_request   (JsonObject           *object,
                                          double                estimate_max,
                                          GError              **error);
LpGuard     *lp_guard_new_from_json      (JsonObject           *object,
                                          GError              **error);
void         lp_guard_to_json            (const LpGuard        *guard,
                                          JsonBuilder          *builder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpGuard, lp_guard_free)

G_END_DECLS
