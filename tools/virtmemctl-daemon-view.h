/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemd's view as its D-Bus properties tell it, formatted for people
 * and as JSON: what `virtmemctl status` prints, and the guest's figures
 * that `agent` and `show` take from the daemon while it holds the agent's
 * channel.  Pure: a{sv} of properties in, text out; the bus is
 * virtmemctl-daemon.c's.
 */
#pragma once

#include <glib.h>
#include <json-c/json.h>

#include "vmem-job.h"

G_BEGIN_DECLS

gboolean vmem_ctl_daemon_uri_matches(const char *daemon_uri, const char *uri);
GVariant *vmem_ctl_daemon_find_domain(GVariant *objects, const char *domain, char **ret_path);

void vmem_ctl_daemon_get_sizes(GVariant *domain, guint64 *ret_requested, guint64 *ret_plugged);
gboolean vmem_ctl_daemon_job_state_from_string(const char *text, VmemJobState *ret_state);
void vmem_ctl_daemon_guest_facts(GVariant *domain, VmemJobAgentFacts *ret_facts);

json_object *vmem_ctl_daemon_manager_to_json(GVariant *manager);
json_object *vmem_ctl_daemon_domain_to_json(GVariant *domain);
json_object *vmem_ctl_daemon_guest_to_json(GVariant *domain);
char *vmem_ctl_daemon_format_manager(GVariant *manager);
char *vmem_ctl_daemon_format_domain(GVariant *domain);
char *vmem_ctl_daemon_format_guest(GVariant *domain);

G_END_DECLS
