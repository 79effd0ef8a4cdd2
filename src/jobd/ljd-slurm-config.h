/* ljd-slurm-config.h: a Slurm job's config, and the batch job it becomes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Its plain strings borrow from the config object it was parsed from. */
typedef struct
{
  const char *script;
  GStrv       argv;
  const char *cwd;
  const char *partition;
  const char *account;
  const char *qos;
  gint64      gpus;
  gint64      cpus;
  gint64      memory_mb;
  gint64      time_limit_min;
  GStrv       env_names;
  GStrv       env_values;
} LjdSlurmConfig;

void      ljd_slurm_config_clear          (LjdSlurmConfig       *config);
gboolean  ljd_slurm_config_parse          (JsonObject           *object,
                                           LjdSlurmConfig       *config,
                                           GError              **error);
char     *ljd_slurm_config_batch_script   (const LjdSlurmConfig *config,
                                           gint64                job_id);
char     *ljd_slurm_config_output_pattern (const LjdSlurmConfig *config,
                                           gint64                job_id);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LjdSlurmConfig, ljd_slurm_config_clear)

G_END_DECLS
