/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-test-run.h"

#include <string.h>
#include <sys/wait.h>

/**
 * vmem_test_run:
 * @dir: (nullable): the working directory, %NULL for the test's
 * @locale: (nullable): LC_ALL for the program, %NULL to keep the test's
 * @argv: the program and its arguments
 *
 * Runs @argv to its end; the output and the exit status go to @r, and
 * into the test's log.
 */
void
vmem_test_run(VmemTestRun *r, const char *dir, const char *locale, const char *const *argv)
{
	g_auto(GStrv) envp = g_get_environ();
	g_autoptr(GError) error = NULL;
	g_autofree char *line = g_strjoinv(" ", (char **)argv);
	int status = -1;

	if (locale != NULL)
		envp = g_environ_setenv(envp, "LC_ALL", locale, TRUE);
	g_spawn_sync(dir, (char **)argv, envp, G_SPAWN_SEARCH_PATH, NULL, NULL, &r->out, &r->err,
		     &status, &error);
	g_assert_no_error(error);
	g_assert_true(WIFEXITED(status));
	r->status = WEXITSTATUS(status);
	g_test_message("%s -> %d\n%s%s", line, r->status, r->out, r->err);
}

void
vmem_test_run_clear(VmemTestRun *r)
{
	g_clear_pointer(&r->out, g_free);
	g_clear_pointer(&r->err, g_free);
}

/**
 * vmem_test_under_valgrind:
 *
 * Whether this test runs under valgrind (meson's valgrind setup), where
 * it, and the programs it runs (which inherit valgrind's preload), are
 * many times slower: time bounds scale by 10, as meson's timeouts do.
 */
gboolean
vmem_test_under_valgrind(void)
{
	/* valgrind preloads its vgpreload_*.so into the program it runs */
	const char *preload = g_getenv("LD_PRELOAD");

	return preload != NULL && strstr(preload, "vgpreload") != NULL;
}
