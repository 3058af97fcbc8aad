/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The constants of the agent protocol (schemas/agent-protocol.md) that the
 * guest agent and the host side share.  Plain C, no GLib: the agent in the
 * guest includes it too.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* The virtio-serial port the agent talks on */
#define VMEM_AGENT_PORT_NAME "org.virtmem.agent.0"

/* The protocol version both ends speak */
#define VMEM_AGENT_PROTOCOL_VERSION 1

/* The report interval a host may ask for, milliseconds */
#define VMEM_AGENT_INTERVAL_MIN_MS 100
#define VMEM_AGENT_INTERVAL_MAX_MS 3600000

/* Between reports, the agent looks at the memory in use (MemTotal -
 * MemAvailable) this often and reports at once (reason "rising") when it
 * has risen by MemTotal / VMEM_AGENT_WATCH_RISE_DIVISOR since the last
 * report: a guest whose use rises fast is seen within this time, not at
 * the next periodic report.  A read of /proc/meminfo costs a TCG guest
 * some 0.8 ms (a KVM guest some 20 µs): every 250 ms it is 0.3 % of a
 * TCG guest's CPU.  The simulator's agent (src/policy/vmem-simulate.c)
 * watches the same. */
#define VMEM_AGENT_WATCH_MS 250
#define VMEM_AGENT_WATCH_RISE_DIVISOR 16

/* Whether the memory in use rose enough since the last report for the
 * watch to report now: @used_then at the last report, @used_now and
 * @total_now now, all in one unit. */
static inline bool
vmem_agent_watch_rose(uint64_t used_then, uint64_t used_now, uint64_t total_now)
{
	return used_now > used_then + total_now / VMEM_AGENT_WATCH_RISE_DIVISOR;
}
