/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "vmem-excerpt.h"
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
 * Appends a finding to @findings.  The message should quote values through
 * vmem_excerpt(); as a last guard it is cut to %VMEM_FINDING_MESSAGE_MAX
 * bytes and kept on one line (see vmem_text_excerpt()).  After
 * %VMEM_FINDINGS_MAX findings one more, `too-many-findings`, stands for all
 * that follow, with the worst of their severities.
 */
void
vmem_findings_add(GPtrArray *findings, VmemSeverity severity, const char *code,
		  const char *location, const char *format, ...)
{
	VmemFinding *finding;
	g_autofree char *message = NULL;
	va_list args;

	if (findings->len > VMEM_FINDINGS_MAX) {
		/* the last is the note on the findings left out: it keeps the
		 * worst severity of what it stands for */
		VmemFinding *note = g_ptr_array_index(findings, findings->len - 1);

		note->severity = MAX(note->severity, severity);
		return;
	}
	if (findings->len == VMEM_FINDINGS_MAX) {
		finding = g_new0(VmemFinding, 1);
		finding->severity = severity;
		finding->code = g_strdup("too-many-findings");
		finding->location = g_strdup("/");
		finding->message = g_strdup_printf(
			/* TRANSLATORS: %u is a number of findings */
			ngettext("The document has more than %u finding; the others are left out.",
				 "The document has more than %u findings; the others are left out.",
				 VMEM_FINDINGS_MAX),
			VMEM_FINDINGS_MAX);
		g_ptr_array_add(findings, finding);
		return;
	}
	finding = g_new0(VmemFinding, 1);
	finding->severity = severity;
	finding->code = g_strdup(code);
	finding->location = vmem_text_excerpt(location, -1, VMEM_FINDING_MESSAGE_MAX);
	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	finding->message = vmem_text_excerpt(message, -1, VMEM_FINDING_MESSAGE_MAX);
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
 * vmem_findings_is_full:
 * @findings: a list of #VmemFinding
 *
 * Whether @findings holds %VMEM_FINDINGS_MAX findings and the note on the
 * others: a rule that only warns may stop looking.
 *
 * Returns: whether more findings are left out
 */
gboolean
vmem_findings_is_full(GPtrArray *findings)
{
	return findings->len > VMEM_FINDINGS_MAX;
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
