/* ljd-slurm-config.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A job's config is the only part of it that reaches the team's cluster,
 * as a batch job under the service's Slurm user: it is read strictly, and
 * turned into a script that runs argv without any shell reading of it.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "ljd-log-follower.h"
#include "ljd-service.h"
#include "ljd-slurm-config.h"

static const char * const reserved_env[] = {
  "LORA_JOB_ID", "LORA_WEBHOOK_URL", "LORA_WEBHOOK_SECRET", NULL
};

void
ljd_slurm_config_clear (LjdSlurmConfig *config)
{
  g_clear_pointer (&config->argv, g_strfreev);
  g_clear_pointer (&config->env_names, g_strfreev);
  g_clear_pointer (&config->env_values, g_strfreev);
}

static const char * const config_keys[] = {
  "argv", "script", "cwd", "env", "partition", "gpus", "cpus", "memory_mb", "time_limit_min",
  "account", "qos", NULL
};

static gboolean
node_is_string (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_STRING;
}

static gboolean
present (JsonObject *config,
         const char *member)
{
  JsonNode *node = json_object_get_member (config, member);

  return node != NULL && !JSON_NODE_HOLDS_NULL (node);
}

static gboolean
get_count (JsonObject  *config,
           const char  *member,
           gint64       min,
           gint64       max,
           gint64      *value,
           GError     **error)
{
  JsonNode *node = json_object_get_member (config, member);

  *value = 0;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return ljd_service_invalid (error, _("“%s” must be a whole number from %lld to %lld"),
                                member, (long long) min, (long long) max);

  *value = json_node_get_int (node);
  if (*value < min || *value > max)
    return ljd_service_invalid (error, _("“%s” must be a whole number from %lld to %lld"),
                                member, (long long) min, (long long) max);

  return TRUE;
}

/* Partition, account and QOS names as Slurm takes them: letters, digits,
 * "_", "-" and "."; a partition may be a list ("gpu,debug"). */
static gboolean
get_slurm_name (JsonObject  *config,
                const char  *member,
                gboolean     list,
                const char **value,
                GError     **error)
{
  JsonNode *node = json_object_get_member (config, member);
  const char *name;

  *value = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (!node_is_string (node))
    return ljd_service_invalid (error, _("“%s” must be a string"), member);

  name = json_node_get_string (node);
  if (*name == '\0' || strlen (name) > 200)
    return ljd_service_invalid (error, _("“%s” must be 1 to 200 characters"), member);

  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-' && *p != '.' && !(list && *p == ','))
      return ljd_service_invalid (error, _("“%s” must be a Slurm name (letters, digits, “_”, “-” and “.”), not “%s”"),
                                  member, name);

  if (list && (name[0] == ',' || name[strlen (name) - 1] == ',' || strstr (name, ",,") != NULL))
    return ljd_service_invalid (error, _("“%s” must be a name or a list of names separated by commas, not “%s”"),
                                member, name);

  *value = name;
  return TRUE;
}

static gboolean
env_name_is_valid (const char *name)
{
  if (name[0] == '\0' || g_ascii_isdigit (name[0]))
    return FALSE;

  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_')
      return FALSE;

  return TRUE;
}

/* Read strictly: the config becomes a batch job on the team's cluster.
 * @config borrows from @object. */
gboolean
ljd_slurm_config_parse (JsonObject      *object,
                        LjdSlurmConfig  *config,
                        GError         **error)
{
  g_autoptr(GList) members = NULL;
  JsonNode *node;

  memset (config, 0, sizeof *config);

  members = json_object_get_members (object);
  for (const GList *l = members; l; l = l->next)
    if (!g_strv_contains (config_keys, l->data) && !ljd_log_follower_is_config_key (l->data))
      {
        g_autofree char *list = g_strjoinv (", ", (char **) config_keys);
        return ljd_service_invalid (error, _("unknown key “%s” (the slurm provider takes %s)"),
                                    (const char *) l->data, list);
      }

  if (present (object, "argv") == present (object, "script"))
    return ljd_service_invalid (error, _("give either “argv” (the command to run, as an array of strings) "
                                         "or “script” (a batch script), not both or neither"));

  if ((node = json_object_get_member (object, "argv")) != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      g_autoptr(GStrvBuilder) argv = g_strv_builder_new ();
      JsonArray *array;

      if (!JSON_NODE_HOLDS_ARRAY (node) || json_array_get_length (array = json_node_get_array (node)) == 0)
        return ljd_service_invalid (error, _("“argv” must be a non-empty array of strings"));

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);

          if (!node_is_string (item))
            return ljd_service_invalid (error, _("“argv” must be an array of strings; item %u is not a string"), i);
          if (strchr (json_node_get_string (item), '\n') != NULL && i == 0)
            return ljd_service_invalid (error, _("“argv” must start with the program to run"));
          g_strv_builder_add (argv, json_node_get_string (item));
        }
      config->argv = g_strv_builder_end (argv);
      if (config->argv[0][0] == '\0')
        return ljd_service_invalid (error, _("“argv” must start with the program to run, not an empty string"));
    }
  else
    {
      node = json_object_get_member (object, "script");
      if (!node_is_string (node))
        return ljd_service_invalid (error, _("“script” must be a string: the batch script's text"));
      config->script = json_node_get_string (node);
      /* Slurm runs the script with the interpreter its first line names. */
      if (!g_str_has_prefix (config->script, "#!"))
        return ljd_service_invalid (error, _("“script” must start with “#!” and its interpreter, "
                                             "for example “#!/bin/bash”"));
    }

  node = json_object_get_member (object, "cwd");
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return ljd_service_invalid (error, _("“cwd” is required: the folder on the cluster's shared file system "
                                         "that the job runs in and writes its output to"));
  if (!node_is_string (node))
    return ljd_service_invalid (error, _("“cwd” must be a string"));
  config->cwd = json_node_get_string (node);
  if (!g_path_is_absolute (config->cwd) || strlen (config->cwd) > 4000 || strpbrk (config->cwd, "\n\r%") != NULL)
    return ljd_service_invalid (error, _("“cwd” must be an absolute path without “%%” or line breaks, not “%s”"),
                                config->cwd);

  if ((node = json_object_get_member (object, "env")) != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
      g_autoptr(GStrvBuilder) values = g_strv_builder_new ();
      g_autoptr(GList) env_members = NULL;
      JsonObject *env;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return ljd_service_invalid (error, _("“env” must be an object of strings"));
      env = json_node_get_object (node);
      env_members = json_object_get_members (env);

      for (const GList *l = env_members; l; l = l->next)
        {
          const char *name = l->data;
          JsonNode *value = json_object_get_member (env, name);

          if (!env_name_is_valid (name))
            return ljd_service_invalid (error, _("“env” has an invalid variable name “%s” (letters, digits and “_”)"),
                                        name);
          if (g_strv_contains (reserved_env, name))
            return ljd_service_invalid (error, _("“env” must not set %s, which the service sets"), name);
          /* Slurm's own, which it sets on the node. */
          if (g_str_has_prefix (name, "SLURM_"))
            return ljd_service_invalid (error, _("“env” must not set %s: names starting with SLURM_ are Slurm's"),
                                        name);
          if (!node_is_string (value))
            return ljd_service_invalid (error, _("“env” must be an object of strings; “%s” is not a string"), name);

          g_strv_builder_add (names, name);
          g_strv_builder_add (values, json_node_get_string (value));
        }

      config->env_names = g_strv_builder_end (names);
      config->env_values = g_strv_builder_end (values);
    }

  if (!get_slurm_name (object, "partition", TRUE, &config->partition, error) ||
      !get_slurm_name (object, "account", FALSE, &config->account, error) ||
      !get_slurm_name (object, "qos", FALSE, &config->qos, error) ||
      !get_count (object, "gpus", 0, 4096, &config->gpus, error) ||
      !get_count (object, "cpus", 1, 1000000, &config->cpus, error) ||
      !get_count (object, "memory_mb", 1, G_GINT64_CONSTANT (1) << 40, &config->memory_mb, error) ||
      /* a year */
      !get_count (object, "time_limit_min", 1, 525600, &config->time_limit_min, error))
    return FALSE;

  /* The follower's own keys (how to read the output). */
  return ljd_log_follower_check_config (object, error);
}

/* The batch script: the job's own, or one that runs argv without any
 * shell reading of it. */
char *
ljd_slurm_config_batch_script (const LjdSlurmConfig *config,
                               gint64                job_id)
{
  g_autoptr(GString) script = NULL;

  if (config->script != NULL)
    return g_strdup (config->script);

  script = g_string_new ("#!/bin/sh\n");
  g_string_append_printf (script, "# lora-jobd job %" G_GINT64_FORMAT "\nexec", job_id);
  for (guint i = 0; config->argv[i] != NULL; i++)
    {
      g_autofree char *quoted = g_shell_quote (config->argv[i]);
      g_string_append_printf (script, " %s", quoted);
    }
  g_string_append_c (script, '\n');

  return g_string_free (g_steal_pointer (&script), FALSE);
}

char *
ljd_slurm_config_output_pattern (const LjdSlurmConfig *config,
                                 gint64                job_id)
{
  g_autofree char *name = g_strdup_printf ("lora-job-%" G_GINT64_FORMAT "-%%j.out", job_id);

  return g_build_filename (config->cwd, name, NULL);
}
