/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every virtmem policy in the fixtures (tests/xml/NAME.xml and the
 * normalized NAME.out.xml) is checked against schemas/virtmem-policy.rng
 * with libxml2's RelaxNG validator, and so is every example in docs/.  A
 * policy must be schema-invalid exactly when its fixture's .err reports a
 * malformed or out-of-range policy value, or a child of the policy that is
 * unknown or given twice.  `meson install` installs the schemas.
 */
#include "config.h"

#include <json-c/json.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "vmem-policy.h"
#include "vmem-xml.h"

/* Only this test validates with RelaxNG, so its cleanups are here. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlRelaxNG, xmlRelaxNGFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlRelaxNGParserCtxt, xmlRelaxNGFreeParserCtxt)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlRelaxNGValidCtxt, xmlRelaxNGFreeValidCtxt)

/* Findings the schema catches by itself */
static const char *const schema_codes[] = {
	"invalid-value",
	"invalid-size",
	"invalid-number",
	"policy-buffer-range",
	"policy-priority-range",
	"policy-cooldown-range",
	NULL,
};

/* Warnings about the policy's children that the schema refuses, too: an
 * element it does not know, or one it knows given twice */
static const char *const schema_child_warnings[] = {
	"policy-unknown-element",
	"policy-duplicate",
	NULL,
};

static xmlRelaxNG *
load_schema(void)
{
	g_autofree char *path =
		g_test_build_filename(G_TEST_DIST, "..", "schemas", "virtmem-policy.rng", NULL);
	g_autoptr(xmlRelaxNGParserCtxt) parser = xmlRelaxNGNewParserCtxt(path);
	xmlRelaxNG *schema;

	g_assert_nonnull(parser);
	schema = xmlRelaxNGParse(parser);
	g_assert_nonnull(schema);
	return schema;
}

/* Whether the fixture's expected findings say the policy is malformed */
static gboolean
expect_invalid(const char *xml_path)
{
	g_autofree char *base = g_strndup(xml_path, strlen(xml_path) - strlen(".xml"));
	g_autofree char *err_path = g_strconcat(base, ".err", NULL);
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;

	if (g_str_has_suffix(xml_path, ".out.xml") ||
	    !g_file_get_contents(err_path, &text, NULL, NULL))
		return FALSE;
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		for (guint j = 0; schema_codes[j] != NULL; j++) {
			g_autofree char *prefix =
				g_strdup_printf("error[%s] " VMEM_POLICY_LOCATION, schema_codes[j]);

			if (g_str_has_prefix(lines[i], prefix))
				return TRUE;
		}
		for (guint j = 0; schema_child_warnings[j] != NULL; j++) {
			g_autofree char *prefix = g_strdup_printf(
				"warning[%s] " VMEM_POLICY_LOCATION "/", schema_child_warnings[j]);

			if (g_str_has_prefix(lines[i], prefix))
				return TRUE;
		}
	}
	return FALSE;
}

static gboolean
validate_policy(xmlRelaxNG *schema, xmlNode *policy)
{
	g_autoptr(xmlDoc) doc = xmlNewDoc((const xmlChar *)"1.0");
	g_autoptr(xmlRelaxNGValidCtxt) ctxt = xmlRelaxNGNewValidCtxt(schema);
	int rc;

	xmlDocSetRootElement(doc, xmlDocCopyNode(policy, doc, 1));
	xmlRelaxNGSetValidStructuredErrors(ctxt, NULL, NULL);
	rc = xmlRelaxNGValidateDoc(ctxt, doc);
	g_assert_cmpint(rc, >=, 0);
	return rc == 0;
}

static void
test_fixtures(void)
{
	g_autofree char *dir_path = g_test_build_filename(G_TEST_DIST, "xml", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) dir = g_dir_open(dir_path, 0, &error);
	g_autoptr(xmlRelaxNG) schema = load_schema();
	guint n_valid = 0, n_invalid = 0;
	const char *name;

	g_assert_no_error(error);
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *path = g_build_filename(dir_path, name, NULL);
		g_autoptr(xmlDoc) doc = NULL;
		xmlNode *policy;
		gboolean invalid;

		if (!g_str_has_suffix(name, ".xml"))
			continue;
		doc = xmlReadFile(path, NULL,
				  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
		if (doc == NULL || xmlDocGetRootElement(doc) == NULL) {
			/* only the fixtures about broken XML */
			g_assert_true(g_str_has_prefix(name, "err-"));
			continue;
		}
		policy = vmem_policy_xml_find(xmlDocGetRootElement(doc));
		if (policy != NULL) {
			invalid = expect_invalid(path);
			g_test_message("%s: policy expected %s", name,
				       invalid ? "invalid" : "valid");
			g_assert_cmpint(validate_policy(schema, policy), ==, !invalid);
			if (invalid)
				n_invalid++;
			else
				n_valid++;
		}
	}
	/* the corpus really has policies of both kinds */
	g_assert_cmpuint(n_valid, >=, 15);
	g_assert_cmpuint(n_invalid, >=, 5);
}

/* The policy examples of the documentation are valid too. */
static void
test_doc_examples(void)
{
	static const char *const docs[] = {"virtmemctl.rst", "validation.md"};
	g_autoptr(xmlRelaxNG) schema = load_schema();
	guint n_examples = 0;

	for (guint i = 0; i < G_N_ELEMENTS(docs); i++) {
		g_autofree char *path =
			g_test_build_filename(G_TEST_DIST, "..", "docs", docs[i], NULL);
		g_autoptr(GError) error = NULL;
		g_autofree char *text = NULL;
		const char *p;

		g_assert_true(g_file_get_contents(path, &text, NULL, &error));
		for (p = strstr(text, "<virtmem:policy "); p != NULL;
		     p = strstr(p + 1, "<virtmem:policy ")) {
			const char *end = strstr(p, "</virtmem:policy>");
			g_autofree char *example = NULL;
			g_autoptr(xmlDoc) doc = NULL;

			g_assert_nonnull(end);
			example = g_strndup(p, (gsize)(end - p) + strlen("</virtmem:policy>"));
			doc = xmlReadMemory(example, (int)strlen(example), NULL, NULL,
					    XML_PARSE_NONET);
			g_assert_nonnull(doc);
			g_assert_true(validate_policy(schema, xmlDocGetRootElement(doc)));
			n_examples++;
		}
	}
	g_assert_cmpuint(n_examples, >=, 2);
}

/* `meson install` puts the schemas in DATADIR/virtmem/schemas (meson's
 * record of what it installs is in the build directory). */
static void
test_installed(void)
{
	static const char *const schemas[] = {"virtmem-policy.rng", "agent-protocol.schema.json"};
	g_autofree char *path = g_test_build_filename(G_TEST_BUILT, "..", "meson-info",
						      "intro-installed.json", NULL);
	json_object *installed = json_object_from_file(path);

	g_assert_nonnull(installed);
	for (guint i = 0; i < G_N_ELEMENTS(schemas); i++) {
		g_autofree char *source = g_build_filename("schemas", schemas[i], NULL);
		g_autofree char *target = g_build_filename("virtmem", "schemas", schemas[i], NULL);
		gboolean found = FALSE;

		json_object_object_foreach(installed, from, to)
		{
			if (g_str_has_suffix(from, source) &&
			    g_str_has_suffix(json_object_get_string(to), target))
				found = TRUE;
		}
		g_assert_true(found);
	}
	json_object_put(installed);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/policy-schema/fixtures", test_fixtures);
	g_test_add_func("/policy-schema/doc-examples", test_doc_examples);
	g_test_add_func("/policy-schema/installed", test_installed);
	return g_test_run();
}
