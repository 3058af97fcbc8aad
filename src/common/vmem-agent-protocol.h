/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The constants of the agent protocol (schemas/agent-protocol.md) that the
 * guest agent and the host side share.  Plain C, no GLib: the agent in the
 * guest includes it too.
 */
#pragma once

/* The virtio-serial port the agent talks on */
#define VMEM_AGENT_PORT_NAME "org.virtmem.agent.0"

/* The protocol version both ends speak */
#define VMEM_AGENT_PROTOCOL_VERSION 1

/* The report interval a host may ask for, milliseconds */
#define VMEM_AGENT_INTERVAL_MIN_MS 100
#define VMEM_AGENT_INTERVAL_MAX_MS 3600000
