/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The squeeze before a save or a migration, as virtmemctl offers it: the
 * `--squeeze[=SIZE]` option, running it, and telling what it did.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "virtmemctl-daemon.h"
#include "virtmemctl.h"
#include "vmem-error.h"
#include "vmem-size.h"

/**
 * vmem_ctl_take_squeeze:
 *
 * Takes `--squeeze` and `--squeeze=SIZE` (before any `--`) out of @argv:
 * GOption would take the next argument as the value of an option whose
 * value is optional.
 */
void
vmem_ctl_take_squeeze(int *argc, char **argv, gboolean *ret_squeeze, char **ret_size)
{
	int out = 0;

	for (int i = 0; i < *argc; i++) {
		const char *arg = argv[i];

		if (g_str_equal(arg, "--")) {
			for (; i < *argc; i++)
				argv[out++] = argv[i];
			break;
		}
		if (g_str_equal(arg, "--squeeze")) {
			*ret_squeeze = TRUE;
			continue;
		}
		if (g_str_has_prefix(arg, "--squeeze=")) {
			*ret_squeeze = TRUE;
			g_free(*ret_size);
			*ret_size = g_strdup(arg + strlen("--squeeze="));
			continue;
		}
		argv[out++] = argv[i];
	}
	*argc = out;
	argv[out] = NULL;
}

/* Never called: vmem_ctl_take_squeeze() took --squeeze out before; the
 * option's entry is there for --help. */
gboolean
vmem_ctl_squeeze_help(const char *name, const char *value, gpointer data, GError **error)
{
	return TRUE;
}

/**
 * vmem_ctl_squeeze:
 * @migrate: before a migration (else a save), for the messages
 * @ret_exit: (out): the exit status when it fails
 *
 * Squeezes @domain and says what came of it.  When virtmemd manages
 * @domain, it holds the agent's channel: the squeeze goes by the next
 * report virtmemd publishes.
 *
 * Returns: (transfer full): the squeeze's result, or %NULL when it failed
 */
VmemSqueezeResult *
vmem_ctl_squeeze(VmemCtl *ctl, VmemBackend *backend, const char *domain,
		 const VmemSqueezeOptions *options, GCancellable *cancellable, gboolean migrate,
		 gboolean json, int *ret_exit)
{
	g_autoptr(GAsyncResult) result = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemSqueezeResult) squeeze = NULL;
	g_autoptr(VmemCtlManaged) managed = vmem_ctl_daemon_manages(ctl, backend, domain, NULL);
	VmemSqueezeOptions by_daemon = *options;
	VmemJobAgentFacts facts;
	GAsyncResult *pending = NULL;

	if (managed != NULL) {
		vmem_ctl_managed_wait_facts(managed, options->agent_timeout_ms, &facts);
		by_daemon.facts = &facts;
	}
	vmem_squeeze_async(backend, domain, &by_daemon, cancellable, vmem_ctl_on_done, &pending);
	result = vmem_ctl_run_until_done(&pending);
	squeeze = vmem_squeeze_finish(backend, result, &error);
	if (squeeze == NULL) {
		vmem_ctl_print_error(ctl, error);
		*ret_exit = g_error_matches(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT)
				    ? VMEM_CTL_EXIT_UNSAFE
				    : VMEM_CTL_EXIT_ERROR;
		return NULL;
	}
	if (squeeze->outcome == VMEM_SQUEEZE_SKIPPED) {
		g_printerr(migrate ?
				   /* TRANSLATORS: 1 the program, 2 why (a sentence) */
				   _("%1$s: Not squeezed, migrating as it is. %2$s\n")
				   /* TRANSLATORS: 1 the program, 2 why (a sentence) */
				   : _("%1$s: Not squeezed, saving as it is. %2$s\n"),
			   ctl->prgname, squeeze->reason);
	} else if (squeeze->outcome == VMEM_SQUEEZE_PARTIAL && !json) {
		g_autofree char *after = vmem_size_format(squeeze->plugged_after);
		g_autofree char *target = vmem_size_format(squeeze->target);
		g_autofree char *before = vmem_size_format(squeeze->plugged_before);

		g_printerr(migrate ?
				   /* TRANSLATORS: 1 the program, 2, 3 and 4 sizes, 5 the job's
				      state */
				   _("%1$s: The squeeze did not reach %2$s: the guest went from "
				     "%3$s to %4$s plugged (%5$s); migrating anyway.\n")
				   /* TRANSLATORS: 1 the program, 2, 3 and 4 sizes, 5 the job's
				      state */
				   : _("%1$s: The squeeze did not reach %2$s: the guest went from "
				       "%3$s to %4$s plugged (%5$s); saving anyway.\n"),
			   ctl->prgname, target, before, after,
			   vmem_job_state_to_string(squeeze->state));
	} else if (squeeze->outcome == VMEM_SQUEEZE_CONVERGED && !json) {
		g_autofree char *after = vmem_size_format(squeeze->plugged_after);
		g_autofree char *before = vmem_size_format(squeeze->plugged_before);

		/* TRANSLATORS: 1 a domain, 2 and 3 sizes, 4 seconds */
		g_print(_("%1$s squeezed from %2$s to %3$s plugged in %4$.1f s.\n"), domain, before,
			after, squeeze->elapsed_us / (double)G_USEC_PER_SEC);
	}
	return g_steal_pointer(&squeeze);
}

/* The squeeze in a --json report. */
json_object *
vmem_ctl_squeeze_json(const VmemSqueezeResult *squeeze)
{
	json_object *obj = json_object_new_object();

	json_object_object_add(
		obj, "outcome",
		json_object_new_string(vmem_squeeze_outcome_to_string(squeeze->outcome)));
	json_object_object_add(obj, "reason",
			       squeeze->reason ? json_object_new_string(squeeze->reason) : NULL);
	json_object_object_add(obj, "requested_before",
			       json_object_new_uint64(squeeze->requested_before));
	json_object_object_add(obj, "plugged_before",
			       json_object_new_uint64(squeeze->plugged_before));
	json_object_object_add(obj, "target", json_object_new_uint64(squeeze->target));
	json_object_object_add(obj, "plugged_after",
			       json_object_new_uint64(squeeze->plugged_after));
	json_object_object_add(obj, "elapsed_ms", vmem_ctl_job_elapsed(squeeze->elapsed_us));
	return obj;
}
