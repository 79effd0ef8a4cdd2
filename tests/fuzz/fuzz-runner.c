/* fuzz-runner.c: runs a fuzz target on files, without libFuzzer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every build runs each target once on its regression inputs (what the
 * fuzzers found so far) and on its seed corpus, so a fixed crash stays
 * fixed whatever the compiler.
 *
 *   fuzz-json-regressions DIR|FILE...
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "fuzz-common.h"

static guint n_inputs;

static void
run_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length;
  guint8 *copy;

  if (!g_file_get_contents (path, &contents, &length, &error))
    g_error ("%s", error->message);

  /* An exact-size copy, so that ASan sees any read past the input. */
  copy = g_memdup2 (contents, length ? length : 1);
  g_print ("%s (%" G_GSIZE_FORMAT " bytes)\n", path, length);
  LLVMFuzzerTestOneInput (copy, length);
  g_free (copy);
  n_inputs++;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char **) a, *(const char **) b);
}

static void
run_path (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      run_file (path);
      return;
    }

  if (!(dir = g_dir_open (path, 0, &error)))
    g_error ("%s", error->message);

  names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (dir)))
    if (name[0] != '.')
      g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    run_path (g_ptr_array_index (names, i));
}

int
main (int    argc,
      char **argv)
{
  if (argc < 2)
    {
      g_printerr ("Usage: %s DIR|FILE...\n", argv[0]);
      return 2;
    }

  for (int i = 1; i < argc; i++)
    run_path (argv[i]);

  if (n_inputs == 0)
    g_error ("no inputs found");

  g_print ("%u inputs, no finding\n", n_inputs);
  return 0;
}
