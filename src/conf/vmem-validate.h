/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Findings of the configuration doctor, and the validation pass over a
 * parsed domain (see docs/validation.md for every rule).
 */
#pragma once

#include <glib.h>

#include "vmem-policy.h"

G_BEGIN_DECLS

/* The longest message or location of a finding, in bytes: a message quotes
 * values through vmem_excerpt(), so only a bug comes near it. */
#define VMEM_FINDING_MESSAGE_MAX 1024
/* The most findings of one document: hostile input could have millions. */
#define VMEM_FINDINGS_MAX 1000

typedef enum {
	VMEM_SEVERITY_WARNING,
	VMEM_SEVERITY_ERROR,
} VmemSeverity;

/**
 * VmemFinding:
 * @severity: an error (libvirt, QEMU or the guest would fail) or a warning
 * @code: a stable code such as `block-not-power-of-two`
 * @location: where, XPath-like: `/domain/devices/memory[2]/target/block`
 * @message: a translated sentence naming the bad value and what is right
 */
typedef struct {
	VmemSeverity severity;
	char *code;
	char *location;
	char *message;
} VmemFinding;

void vmem_finding_free(VmemFinding *finding);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemFinding, vmem_finding_free)

GPtrArray *vmem_findings_new(void);
void vmem_findings_add(GPtrArray *findings, VmemSeverity severity, const char *code,
		       const char *location, const char *format, ...) G_GNUC_PRINTF(5, 6);
gboolean vmem_findings_has_error(GPtrArray *findings);
gboolean vmem_findings_is_full(GPtrArray *findings);
const char *vmem_severity_to_string(VmemSeverity severity);
char *vmem_finding_to_string(const VmemFinding *finding);

typedef struct _VmemDomainDef VmemDomainDef;

void vmem_domain_def_validate(const VmemDomainDef *domain, GPtrArray *findings);
VmemPolicyDef *vmem_domain_def_edit_policy(VmemDomainDef *domain, const VmemPolicyDef *changes,
					   GPtrArray *findings);
VmemDomainDef *vmem_validate_xml(const char *xml, gsize len, GPtrArray *findings, GError **error);

G_END_DECLS
