/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-validate.h"

/**
 * vmem_finding_free:
 * @finding: (nullable): a finding
 *
 * Frees @finding.
 */
void
vmem_finding_free(VmemFinding *finding)
{
	if (finding == NULL)
		return;
	g_free(finding->code);
	g_free(finding->location);
	g_free(finding->message);
	g_free(finding);
}

/**
 * vmem_findings_new:
 *
 * Returns: (transfer full): an empty list of #VmemFinding
 */
GPtrArray *
vmem_findings_new(void)
{
	return g_ptr_array_new_with_free_func((GDestroyNotify)vmem_finding_free);
}

/**
 * vmem_findings_add:
 * @findings: the list
 * @severity: error or warning
 * @code: the stable code
 * @location: the XPath-like location
 * @format: printf format of the (already translated) message
 *
 * Appends a finding to @findings.
 */
void
vmem_findings_add(GPtrArray *findings, VmemSeverity severity, const char *code,
		  const char *location, const char *format, ...)
{
	VmemFinding *finding = g_new0(VmemFinding, 1);
	va_list args;

	finding->severity = severity;
	finding->code = g_strdup(code);
	finding->location = g_strdup(location);
	va_start(args, format);
	finding->message = g_strdup_vprintf(format, args);
	va_end(args);
	g_ptr_array_add(findings, finding);
}

/**
 * vmem_findings_has_error:
 * @findings: a list of #VmemFinding
 *
 * Returns: whether any finding is an error
 */
gboolean
vmem_findings_has_error(GPtrArray *findings)
{
	for (guint i = 0; i < findings->len; i++) {
		const VmemFinding *finding = g_ptr_array_index(findings, i);

		if (finding->severity == VMEM_SEVERITY_ERROR)
			return TRUE;
	}
	return FALSE;
}

/**
 * vmem_severity_to_string:
 * @severity: a severity
 *
 * Returns: `error` or `warning` (stable, not translated)
 */
const char *
vmem_severity_to_string(VmemSeverity severity)
{
	return severity == VMEM_SEVERITY_ERROR ? "error" : "warning";
}

/**
 * vmem_finding_to_string:
 * @finding: a finding
 *
 * Formats @finding as one line: `error[code] location: message`.
 *
 * Returns: (transfer full): the line, without newline
 */
char *
vmem_finding_to_string(const VmemFinding *finding)
{
	return g_strdup_printf("%s[%s] %s: %s", vmem_severity_to_string(finding->severity),
			       finding->code, finding->location, finding->message);
}
