/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Editing the policy of a domain, as `virtmemctl policy set` does it: the
 * changes merged into the policy in the domain's metadata
 * (vmem_domain_def_edit_policy()), the result checked by the policy's rules
 * against the domain's devices, and written with only the fields that are
 * set (vmem_policy_def_format()), so that the others stay defaults.  One
 * table: the policy before, the changes, the policy written and the codes
 * of the findings.  Every policy written must be valid by
 * schemas/virtmem-policy.rng.
 */
#include "config.h"

#include <libxml/relaxng.h>

#include "vmem-domain.h"
#include "vmem-xml.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlRelaxNG, xmlRelaxNGFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlRelaxNGParserCtxt, xmlRelaxNGFreeParserCtxt)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlRelaxNGValidCtxt, xmlRelaxNGFreeValidCtxt)

#define MIB_KIB G_GUINT64_CONSTANT(1024)
#define GIB_KIB (1024 * MIB_KIB)

#define NS "xmlns:virtmem=\"http://virtmem.org/xmlns/policy/1\""
#define POLICY "<virtmem:policy xmlns:virtmem='http://virtmem.org/xmlns/policy/1'"

/* Two virtio-mem devices of 2 GiB in 2 MiB blocks (4 GiB together), the
 * agent channel; %s is the inside of <metadata>, %s the devices */
static const char domain_template[] =
	"<domain type='kvm'><name>vm</name><memory unit='MiB'>5120</memory>"
	"<maxMemory slots='4' unit='MiB'>16384</maxMemory>"
	"<cpu><numa><cell id='0' cpus='0' memory='512' unit='MiB'/>"
	"<cell id='1' cpus='1' memory='512' unit='MiB'/></numa></cpu>"
	"<metadata>%s</metadata><devices>%s"
	"<channel type='unix'><target type='virtio' name='org.virtmem.agent.0'/></channel>"
	"</devices></domain>";

static const char two_devices[] =
	"<memory model='virtio-mem'><target><size unit='GiB'>2</size><node>0</node>"
	"<block unit='MiB'>2</block></target></memory>"
	"<memory model='virtio-mem'><target><size unit='GiB'>2</size><node>1</node>"
	"<block unit='MiB'>2</block></target></memory>";

typedef struct {
	const char *name;
	const char *before; /* the inside of <metadata> */
	gboolean no_devices;
	VmemPolicyDef changes;
	const char *after; /* the policy written, NULL: as before */
	const char *codes; /* of the findings, comma-separated, in order */
} EditCase;

static const EditCase cases[] = {
	/* merging */
	{"new-policy",
	 "",
	 FALSE,
	 {.has_mode = TRUE, .mode = VMEM_POLICY_MODE_AUTO},
	 "<virtmem:policy " NS " mode=\"auto\"/>",
	 ""},
	{"keep-others",
	 POLICY " mode='auto'><virtmem:min unit='MiB'>512</virtmem:min></virtmem:policy>",
	 FALSE,
	 {.has_max = TRUE, .max_kib = 2 * GIB_KIB},
	 "<virtmem:policy " NS " mode=\"auto\"><virtmem:min unit=\"KiB\">524288</virtmem:min>"
	 "<virtmem:max unit=\"KiB\">2097152</virtmem:max></virtmem:policy>",
	 ""},
	{"replace-value",
	 POLICY "><virtmem:min unit='GiB'>1</virtmem:min></virtmem:policy>",
	 FALSE,
	 {.has_min = TRUE, .min_kib = 512 * MIB_KIB},
	 "<virtmem:policy " NS "><virtmem:min unit=\"KiB\">524288</virtmem:min></virtmem:policy>",
	 ""},
	{"full-policy",
	 POLICY
	 " mode='manual'><virtmem:min unit='MiB'>256</virtmem:min>"
	 "<virtmem:max unit='GiB'>3</virtmem:max><virtmem:buffer percent='25'/>"
	 "<virtmem:step unit='MiB'>256</virtmem:step><virtmem:cooldown grow='2' shrink='60'/>"
	 "<virtmem:priority>7</virtmem:priority><virtmem:save squeeze='no'/></virtmem:policy>",
	 FALSE,
	 {.has_priority = TRUE, .priority = 3, .has_mode = TRUE, .mode = VMEM_POLICY_MODE_OFF},
	 "<virtmem:policy " NS " mode=\"off\"><virtmem:min unit=\"KiB\">262144</virtmem:min>"
	 "<virtmem:max unit=\"KiB\">3145728</virtmem:max><virtmem:buffer percent=\"25\"/>"
	 "<virtmem:step unit=\"KiB\">262144</virtmem:step>"
	 "<virtmem:cooldown grow=\"2\" shrink=\"60\"/><virtmem:priority>3</virtmem:priority>"
	 "<virtmem:save squeeze=\"no\"/></virtmem:policy>",
	 ""},
	{"one-cooldown",
	 POLICY "><virtmem:cooldown grow='5'/></virtmem:policy>",
	 FALSE,
	 {.has_cooldown_shrink = TRUE, .cooldown_shrink_s = 90},
	 "<virtmem:policy " NS "><virtmem:cooldown grow=\"5\" shrink=\"90\"/></virtmem:policy>",
	 ""},
	{"squeeze",
	 "",
	 FALSE,
	 {.has_squeeze = TRUE, .squeeze = FALSE},
	 "<virtmem:policy " NS "><virtmem:save squeeze=\"no\"/></virtmem:policy>",
	 ""},
	{"same-value",
	 POLICY "><virtmem:priority>5</virtmem:priority></virtmem:policy>",
	 FALSE,
	 {.has_priority = TRUE, .priority = 5},
	 "<virtmem:policy " NS "><virtmem:priority>5</virtmem:priority></virtmem:policy>",
	 ""},
	/* a malformed value already there is dropped (it counted as the
	 * default); `set` refuses unless it is replaced */
	{"malformed-before",
	 POLICY " mode='sometimes'><virtmem:priority>7</virtmem:priority></virtmem:policy>",
	 FALSE,
	 {.has_buffer = TRUE, .buffer_percent = 30},
	 "<virtmem:policy " NS "><virtmem:buffer percent=\"30\"/>"
	 "<virtmem:priority>7</virtmem:priority></virtmem:policy>",
	 ""},
	/* the rules, on the result */
	{"min-above-max",
	 "",
	 FALSE,
	 {.has_min = TRUE, .min_kib = 3 * GIB_KIB, .has_max = TRUE, .max_kib = 2 * GIB_KIB},
	 NULL,
	 "policy-min-above-max"},
	{"min-above-max-before",
	 POLICY "><virtmem:max unit='GiB'>1</virtmem:max></virtmem:policy>",
	 FALSE,
	 {.has_min = TRUE, .min_kib = 2 * GIB_KIB},
	 NULL,
	 "policy-min-above-max"},
	{"max-below-min-before",
	 POLICY "><virtmem:min unit='GiB'>2</virtmem:min></virtmem:policy>",
	 FALSE,
	 {.has_max = TRUE, .max_kib = 1 * GIB_KIB},
	 NULL,
	 "policy-min-above-max"},
	{"min-above-devices",
	 "",
	 FALSE,
	 {.has_min = TRUE, .min_kib = 5 * GIB_KIB},
	 NULL,
	 "policy-min-above-max"},
	{"max-above-devices",
	 "",
	 FALSE,
	 {.has_max = TRUE, .max_kib = 5 * GIB_KIB},
	 NULL,
	 "policy-max-above-total"},
	{"max-at-devices",
	 "",
	 FALSE,
	 {.has_max = TRUE, .max_kib = 4 * GIB_KIB},
	 "<virtmem:policy " NS "><virtmem:max unit=\"KiB\">4194304</virtmem:max></virtmem:policy>",
	 ""},
	{"unaligned",
	 "",
	 FALSE,
	 {.has_min = TRUE, .min_kib = 3 * MIB_KIB, .has_step = TRUE, .step_kib = 1000},
	 NULL,
	 "policy-unaligned,policy-unaligned"},
	{"step-zero", "", FALSE, {.has_step = TRUE, .step_kib = 0}, NULL, "policy-step-zero"},
	{"buffer-range",
	 "",
	 FALSE,
	 {.has_buffer = TRUE, .buffer_percent = 91},
	 NULL,
	 "policy-buffer-range"},
	{"buffer-max",
	 "",
	 FALSE,
	 {.has_buffer = TRUE, .buffer_percent = 90},
	 "<virtmem:policy " NS "><virtmem:buffer percent=\"90\"/></virtmem:policy>",
	 ""},
	{"cooldown-grow-range",
	 "",
	 FALSE,
	 {.has_cooldown_grow = TRUE, .cooldown_grow_s = 86401},
	 NULL,
	 "policy-cooldown-range"},
	/* SetPolicy() takes any uint32 */
	{"cooldown-shrink-range",
	 "",
	 FALSE,
	 {.has_cooldown_shrink = TRUE, .cooldown_shrink_s = G_MAXUINT32},
	 NULL,
	 "policy-cooldown-range"},
	{"cooldown-both-range",
	 POLICY "><virtmem:cooldown grow='5'/></virtmem:policy>",
	 FALSE,
	 {.has_cooldown_grow = TRUE,
	  .cooldown_grow_s = 100000,
	  .has_cooldown_shrink = TRUE,
	  .cooldown_shrink_s = 86401},
	 NULL,
	 "policy-cooldown-range,policy-cooldown-range"},
	{"cooldown-max",
	 "",
	 FALSE,
	 {.has_cooldown_grow = TRUE,
	  .cooldown_grow_s = 86400,
	  .has_cooldown_shrink = TRUE,
	  .cooldown_shrink_s = 86400},
	 "<virtmem:policy " NS
	 "><virtmem:cooldown grow=\"86400\" shrink=\"86400\"/></virtmem:policy>",
	 ""},
	{"cooldown-zero",
	 "",
	 FALSE,
	 {.has_cooldown_shrink = TRUE, .cooldown_shrink_s = 0},
	 "<virtmem:policy " NS "><virtmem:cooldown shrink=\"0\"/></virtmem:policy>",
	 ""},
	{"priority-zero",
	 "",
	 FALSE,
	 {.has_priority = TRUE, .priority = 0},
	 NULL,
	 "policy-priority-range"},
	{"priority-eleven",
	 "",
	 FALSE,
	 {.has_priority = TRUE, .priority = 11},
	 NULL,
	 "policy-priority-range"},
	{"no-devices",
	 "",
	 TRUE,
	 {.has_mode = TRUE, .mode = VMEM_POLICY_MODE_AUTO},
	 "<virtmem:policy " NS " mode=\"auto\"/>",
	 "policy-without-devices"},
	{"no-devices-off",
	 "",
	 TRUE,
	 {.has_mode = TRUE, .mode = VMEM_POLICY_MODE_OFF},
	 "<virtmem:policy " NS " mode=\"off\"/>",
	 ""},
};

static char *
format_policy(const VmemPolicyDef *policy)
{
	g_autoptr(xmlDoc) doc = xmlNewDoc((const xmlChar *)"1.0");
	g_autoptr(xmlBuffer) buffer = xmlBufferCreate();
	xmlNode *node = vmem_policy_def_format(policy);

	xmlDocSetRootElement(doc, node);
	xmlNodeDump(buffer, doc, node, 0, 0);
	return g_strdup((const char *)xmlBufferContent(buffer));
}

static void
assert_schema_valid(const char *xml)
{
	g_autofree char *path =
		g_test_build_filename(G_TEST_DIST, "..", "schemas", "virtmem-policy.rng", NULL);
	g_autoptr(xmlRelaxNGParserCtxt) parser = xmlRelaxNGNewParserCtxt(path);
	g_autoptr(xmlRelaxNG) schema = xmlRelaxNGParse(parser);
	g_autoptr(xmlRelaxNGValidCtxt) valid = xmlRelaxNGNewValidCtxt(schema);
	g_autoptr(xmlDoc) doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, XML_PARSE_NONET);

	g_assert_nonnull(schema);
	g_assert_nonnull(doc);
	g_assert_cmpint(xmlRelaxNGValidateDoc(valid, doc), ==, 0);
}

static void
test_edit(gconstpointer data)
{
	const EditCase *c = data;
	g_autofree char *xml =
		g_strdup_printf(domain_template, c->before, c->no_devices ? "" : two_devices);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) parse_findings = vmem_findings_new();
	g_autoptr(GPtrArray) findings = vmem_findings_new();
	g_autoptr(VmemDomainDef) domain = NULL;
	g_autoptr(VmemPolicyDef) result = NULL;
	g_autoptr(GString) codes = g_string_new(NULL);
	g_autofree char *written = NULL;

	domain = vmem_domain_def_parse(xml, strlen(xml), parse_findings, &error);
	g_assert_no_error(error);
	result = vmem_domain_def_edit_policy(domain, &c->changes, findings);
	for (guint i = 0; i < findings->len; i++) {
		const VmemFinding *finding = g_ptr_array_index(findings, i);

		g_string_append_printf(codes, "%s%s", i > 0 ? "," : "", finding->code);
	}
	g_assert_cmpstr(codes->str, ==, c->codes);
	written = format_policy(result);
	if (c->after != NULL) {
		g_assert_cmpstr(written, ==, c->after);
		assert_schema_valid(written);
	}
	/* the domain's policy is the result with the defaults filled in */
	g_assert_nonnull(domain->policy);
	g_assert_true(domain->policy->has_mode && domain->policy->has_max &&
		      domain->policy->has_squeeze);
	g_assert_cmpuint(domain->policy->mode, ==,
			 c->changes.has_mode ? c->changes.mode
			 : result->has_mode  ? result->mode
					     : VMEM_POLICY_DEFAULT_MODE);
	if (!result->has_max)
		g_assert_cmpuint(domain->policy->max_kib, ==, c->no_devices ? 0 : 4 * GIB_KIB);
	/* what was changed is what is written; what was not is as before */
	if (c->changes.has_min)
		g_assert_cmpuint(result->min_kib, ==, c->changes.min_kib);
	if (c->changes.has_priority)
		g_assert_cmpuint(result->priority, ==, c->changes.priority);
}

/* vmem_policy_def_merge() alone: set fields win, unset ones change nothing */
static void
test_merge(void)
{
	VmemPolicyDef policy = {
		.has_min = TRUE, .min_kib = 1, .has_buffer = TRUE, .buffer_percent = 10};
	VmemPolicyDef changes = {.has_buffer = TRUE,
				 .buffer_percent = 0,
				 .has_squeeze = TRUE,
				 .squeeze = FALSE,
				 .max_kib = 99 /* not set: ignored */};

	vmem_policy_def_merge(&policy, &changes);
	g_assert_true(policy.has_min);
	g_assert_cmpuint(policy.min_kib, ==, 1);
	g_assert_true(policy.has_buffer);
	g_assert_cmpuint(policy.buffer_percent, ==, 0);
	g_assert_true(policy.has_squeeze);
	g_assert_false(policy.squeeze);
	g_assert_false(policy.has_max);
	g_assert_cmpuint(policy.max_kib, ==, 0);
	g_assert_false(policy.has_mode || policy.has_step || policy.has_priority ||
		       policy.has_cooldown_grow || policy.has_cooldown_shrink);
}

/* Sizes near 2^64, which only the API can give (XML, SetPolicy() and the
 * command line stop at 8 EiB): rounding them up to whole blocks would wrap
 * around to 0, so the finding suggests them rounded down. */
static void
test_near_2_64(void)
{
	g_autofree char *xml = g_strdup_printf(domain_template, "", two_devices);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) parse_findings = vmem_findings_new();
	g_autoptr(GPtrArray) findings = vmem_findings_new();
	g_autoptr(VmemDomainDef) domain = NULL;
	g_autoptr(VmemPolicyDef) result = NULL;
	VmemPolicyDef changes = {.has_min = TRUE,
				 .min_kib = G_MAXUINT64 - 1,
				 .has_max = TRUE,
				 .max_kib = G_MAXUINT64,
				 .has_step = TRUE,
				 .step_kib = G_MAXUINT64 - 2046};
	guint unaligned = 0;

	domain = vmem_domain_def_parse(xml, strlen(xml), parse_findings, &error);
	g_assert_no_error(error);
	result = vmem_domain_def_edit_policy(domain, &changes, findings);
	for (guint i = 0; i < findings->len; i++) {
		const VmemFinding *finding = g_ptr_array_index(findings, i);

		g_test_message("%s %s: %s", finding->code, finding->location, finding->message);
		if (!g_str_equal(finding->code, "policy-unaligned"))
			continue;
		unaligned++;
		g_assert_null(strstr(finding->message, " 0 B"));
		if (g_str_has_suffix(finding->location, "virtmem:max")) {
			/* rounded down, as always */
			g_assert_nonnull(
				strstr(finding->message, "virtmem uses 18446744073709549568 KiB."));
		} else {
			g_assert_nonnull(
				strstr(finding->message,
				       "would be more than the largest size allowed "
				       "(9007199254740991 KiB); use 18446744073709549568 KiB."));
		}
	}
	g_assert_cmpuint(unaligned, ==, 3);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/policy-edit/merge", test_merge);
	g_test_add_func("/policy-edit/near-2^64", test_near_2_64);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *path = g_strdup_printf("/policy-edit/%s", cases[i].name);

		g_test_add_data_func(path, &cases[i], test_edit);
	}
	return g_test_run();
}
