/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hardened JSON layer (src/common/vmem-json.c): every rejection of
 * vmem_json_parse(), every getter's type and range errors, and that errors
 * name the member, quote at most a short excerpt and leave ret_* alone.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "vmem-error.h"
#include "vmem-json.h"

/* Longest message an error about one value may be: the excerpts are capped. */
#define MESSAGE_MAX 300

static void
assert_invalid(const GError *error, const char *part)
{
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
	g_test_message("%s", error->message);
	g_assert_true(g_utf8_validate(error->message, -1, NULL));
	g_assert_cmpuint(strlen(error->message), <=, MESSAGE_MAX);
	if (strstr(error->message, part) == NULL)
		g_error("\"%s\" is not in \"%s\"", part, error->message);
}

typedef struct {
	const char *name;
	const char *text;
	gssize len; /* -1: strlen(text) */
	gsize max_len;
	guint max_depth;
	VmemJsonParseFlags flags;
	const char *expect; /* part of the error, or NULL when it parses */
} ParseCase;

/* clang-format off */
static const ParseCase parse_cases[] = {
	{"object", "{\"a\": [1, {\"b\": null}], \"c\": \"d\"}", -1, 100, 4, VMEM_JSON_PARSE_OBJECT, NULL},
	{"array", "[1, 2]", -1, 100, 2, VMEM_JSON_PARSE_DEFAULT, NULL},
	{"scalar-at-end", "12", -1, 100, 1, VMEM_JSON_PARSE_DEFAULT, NULL},
	{"literal-at-end", "true", -1, 100, 1, VMEM_JSON_PARSE_DEFAULT, NULL},
	{"string", "\"x\"", -1, 100, 1, VMEM_JSON_PARSE_DEFAULT, NULL},
	{"surrounding-space", " \t{}\r\n ", -1, 100, 1, VMEM_JSON_PARSE_OBJECT, NULL},
	{"not-nul-terminated", "{}garbage", 2, 100, 1, VMEM_JSON_PARSE_OBJECT, NULL},
	{"at-length-limit", "{\"a\":1}", -1, 7, 2, VMEM_JSON_PARSE_OBJECT, NULL},
	{"at-depth-limit", "[[[1]]]", -1, 100, 4, VMEM_JSON_PARSE_DEFAULT, NULL},
	{"too-long", "{\"a\":1} ", -1, 7, 8, VMEM_JSON_PARSE_OBJECT,
	 "is 8 bytes long, more than the limit of 7 bytes"},
	{"empty", "", -1, 100, 8, VMEM_JSON_PARSE_DEFAULT, "is empty"},
	{"only-space", " \t\r\n", -1, 100, 8, VMEM_JSON_PARSE_DEFAULT, "is empty"},
	{"nul-byte", "{\"a\"\0:1}", 8, 100, 8, VMEM_JSON_PARSE_OBJECT, "NUL byte at offset 4"},
	{"nul-after-value", "{}\0", 3, 100, 8, VMEM_JSON_PARSE_OBJECT, "NUL byte at offset 2"},
	{"invalid-utf8", "{\"a\": \"\xff\"}", -1, 100, 8, VMEM_JSON_PARSE_OBJECT,
	 "not valid UTF-8 at offset 7"},
	/* json-c lets these two through */
	{"overlong-utf8", "{\"a\": \"\xc0\xb8\"}", -1, 100, 8, VMEM_JSON_PARSE_OBJECT,
	 "not valid UTF-8 at offset 7"},
	{"surrogate-utf8", "{\"a\": \"\xed\xa0\x80\"}", -1, 100, 8, VMEM_JSON_PARSE_OBJECT,
	 "not valid UTF-8 at offset 7"},
	{"cut-utf8", "{\"a\": \"\xe2\x82", -1, 100, 8, VMEM_JSON_PARSE_OBJECT,
	 "not valid UTF-8 at offset 7"},
	{"syntax", "{\"a\": 1 \"b\": 2}", -1, 100, 8, VMEM_JSON_PARSE_OBJECT,
	 "syntax error at offset 8: “\"b\": 2}”"},
	{"single-quoted-value", "{\"a\": 'b'}", -1, 100, 8, VMEM_JSON_PARSE_OBJECT,
	 "syntax error at offset 6"},
	{"trailing-comma", "{\"a\": 1,}", -1, 100, 8, VMEM_JSON_PARSE_OBJECT, "syntax error"},
	{"comment", "/* c */ {}", -1, 100, 8, VMEM_JSON_PARSE_OBJECT, "syntax error at offset 0"},
	{"leading-zero", "{\"a\": 01}", -1, 100, 8, VMEM_JSON_PARSE_OBJECT, "syntax error"},
	{"truncated-object", "{\"a\": {\"b\": 1}", -1, 100, 8, VMEM_JSON_PARSE_OBJECT,
	 "ends inside a value, so it is truncated"},
	{"truncated-string", "{\"a\": \"bc", -1, 100, 8, VMEM_JSON_PARSE_OBJECT, "truncated"},
	{"truncated-literal", "tru", -1, 100, 8, VMEM_JSON_PARSE_DEFAULT, "truncated"},
	{"too-deep", "[[[[1]]]]", -1, 100, 4, VMEM_JSON_PARSE_DEFAULT,
	 "The JSON text nests deeper than 4 levels."},
	{"too-deep-objects", "{\"a\": {\"b\": 1}}", -1, 100, 2, VMEM_JSON_PARSE_OBJECT,
	 "deeper than 2 levels"},
	{"trailing-data", "{\"a\": 1} x", -1, 100, 8, VMEM_JSON_PARSE_OBJECT,
	 "Data follows the JSON value at offset 9: “x”"},
	{"second-value", "{}{}", -1, 100, 8, VMEM_JSON_PARSE_OBJECT, "at offset 2: “{}”"},
	{"extra-brace", "{\"a\": 1}}", -1, 100, 8, VMEM_JSON_PARSE_OBJECT, "at offset 8"},
	{"form-feed-after", "{}\f", -1, 100, 8, VMEM_JSON_PARSE_OBJECT, "at offset 2"},
	{"nan", "{\"a\": {\"b\": [1, NaN]}}", -1, 100, 8, VMEM_JSON_PARSE_OBJECT,
	 "The value at /a/b/1 is NaN, not a finite number"},
	{"infinity", "{\"a\": Infinity}", -1, 100, 8, VMEM_JSON_PARSE_OBJECT,
	 "/a is Infinity"},
	{"minus-infinity", "[-Infinity]", -1, 100, 8, VMEM_JSON_PARSE_DEFAULT,
	 "/0 is -Infinity"},
	{"overflow", "{\"x\": 1e999}", -1, 100, 8, VMEM_JSON_PARSE_OBJECT, "/x is 1e999"},
	{"nan-key-escaped", "{\"a/b~c\": NaN}", -1, 100, 8, VMEM_JSON_PARSE_OBJECT,
	 "/a~1b~0c is NaN"},
	{"nan-alone", "NaN", -1, 100, 8, VMEM_JSON_PARSE_DEFAULT,
	 "The JSON text is NaN, not a finite number"},
	{"bare-null", "null", -1, 100, 8, VMEM_JSON_PARSE_DEFAULT, "bare null"},
	{"null-not-object", "null", -1, 100, 8, VMEM_JSON_PARSE_OBJECT,
	 "is not a JSON object: “null”"},
	{"array-not-object", " [1, 2]", -1, 100, 8, VMEM_JSON_PARSE_OBJECT,
	 "is not a JSON object: “[1, 2]”"},
	{"number-not-object", "1", -1, 100, 8, VMEM_JSON_PARSE_OBJECT, "not a JSON object"},
	{"string-not-object", "\"{}\"", -1, 100, 8, VMEM_JSON_PARSE_OBJECT, "not a JSON object"},
};
/* clang-format on */

static void
test_parse(gconstpointer data)
{
	const ParseCase *c = data;
	gsize len = c->len < 0 ? strlen(c->text) : (gsize)c->len;
	g_autoptr(GError) error = NULL;
	g_autoptr(json_object) root = NULL;

	/* an exact copy, so that a read past len is a read past the buffer */
	g_autofree char *copy = g_memdup2(c->text, MAX(len, 1));

	root = vmem_json_parse(copy, len, c->max_len, c->max_depth, c->flags, &error);
	if (c->expect == NULL) {
		g_assert_no_error(error);
		g_assert_nonnull(root);
		return;
	}
	g_assert_null(root);
	assert_invalid(error, c->expect);
}

/* Errors quote a short excerpt of long input, never all of it. */
static void
test_parse_excerpt_capped(void)
{
	g_autoptr(GString) text = g_string_new("{\"a\": 1} ");
	g_autoptr(GError) error = NULL;
	g_autoptr(json_object) root = NULL;

	for (guint i = 0; i < 1000; i++)
		g_string_append(text, "xyz\x01\xe2\x80\xae");
	root = vmem_json_parse(text->str, text->len, 100000, 2, VMEM_JSON_PARSE_OBJECT, &error);
	g_assert_null(root);
	assert_invalid(error, "Data follows the JSON value at offset 9: “xyz?");
	g_assert_nonnull(strstr(error->message, "…”."));
	/* neither the control character nor the right-to-left override */
	g_assert_null(strchr(error->message, '\x01'));
	g_assert_null(strstr(error->message, "\xe2\x80\xae"));
}

static void
test_excerpt(void)
{
	g_autofree char *longer = g_strnfill(VMEM_JSON_EXCERPT_MAX + 10, 'a');
	g_autofree char *exact = g_strnfill(VMEM_JSON_EXCERPT_MAX, 'a');
	g_autofree char *wide = NULL;
	g_autofree char *s = NULL;
	GString *w = g_string_new(NULL);

	s = vmem_json_excerpt("short", 5);
	g_assert_cmpstr(s, ==, "short");
	g_clear_pointer(&s, g_free);
	s = vmem_json_excerpt(exact, strlen(exact));
	g_assert_cmpstr(s, ==, exact);
	g_clear_pointer(&s, g_free);
	s = vmem_json_excerpt(longer, strlen(longer));
	g_assert_true(g_str_has_suffix(s, "a…"));
	g_assert_cmpuint(strlen(s), ==, VMEM_JSON_EXCERPT_MAX + strlen("…"));
	g_clear_pointer(&s, g_free);
	/* control and format characters, then a NUL and an invalid byte */
	s = vmem_json_excerpt("a\tb\x7f"
			      "c\xe2\x80\xae"
			      "d\0e\xff",
			      12);
	g_assert_cmpstr(s, ==,
			"a?b?c?d\xef\xbf\xbd"
			"e\xef\xbf\xbd");
	g_clear_pointer(&s, g_free);
	/* the cut does not split a character */
	for (guint i = 0; i < VMEM_JSON_EXCERPT_MAX; i++)
		g_string_append(w, "é");
	wide = g_string_free(w, FALSE);
	s = vmem_json_excerpt(wide, strlen(wide) - 1);
	g_assert_true(g_utf8_validate(s, -1, NULL));
	g_assert_null(strstr(s, "\xef\xbf\xbd"));
	g_assert_true(g_str_has_suffix(s, "é…"));
}

static json_object *
parse_object(const char *text)
{
	g_autoptr(GError) error = NULL;
	json_object *obj =
		vmem_json_parse(text, strlen(text), 65536, 4, VMEM_JSON_PARSE_OBJECT, &error);

	g_assert_no_error(error);
	return obj;
}

#define MEMBERS                                                                                    \
	"{\"zero\": 0, \"one\": 1, \"minus\": -1, \"int64-max\": 9223372036854775807, "            \
	"\"int64-min\": -9223372036854775808, \"above-int64\": 9223372036854775808, "              \
	"\"uint64-max\": 18446744073709551615, \"huge\": 99999999999999999999999, "                \
	"\"half\": 0.5, \"exp\": 1e3, \"str\": \"abc\", \"num-str\": \"1\", \"null\": null, "      \
	"\"true\": true, \"obj\": {\"x\": 1}, \"arr\": [\"a\", 2, null, {}], \"empty\": [], "      \
	"\"ctl\": \"a\\u0001b\", \"nul\": \"a\\u0000b\", \"del\": \"a\\u007f\", "                  \
	"\"utf8\": \"h\\u00e9\\ud83d\\ude00\"}"

static void
test_get_int64(void)
{
	g_autoptr(json_object) obj = parse_object(MEMBERS);
	const struct {
		const char *key;
		VmemJsonGetFlags flags;
		gint64 min, max;
		gint64 expect;
		const char *error; /* NULL: reads expect */
	} cases[] = {
		{"one", 0, 0, 10, 1, NULL},
		{"minus", 0, -1, 0, -1, NULL},
		{"int64-max", 0, G_MININT64, G_MAXINT64, G_MAXINT64, NULL},
		{"int64-min", 0, G_MININT64, G_MAXINT64, G_MININT64, NULL},
		{"one", 0, 2, 10, 0, "The member \"one\" is 1, not between 2 and 10."},
		{"one", 0, -5, 0, 0, "The member \"one\" is 1, not between -5 and 0."},
		{"minus", 0, 0, 10, 0, "\"minus\" is -1, not between 0 and 10"},
		{"above-int64", 0, G_MININT64, G_MAXINT64, 0,
		 "\"above-int64\" is 9223372036854775808, not between"},
		{"half", 0, 0, 10, 0, "The member \"half\" is 0.5, not an integer."},
		{"exp", 0, 0, 10000, 0, "\"exp\" is 1e3, not an integer"},
		{"num-str", 0, 0, 10, 0, "\"num-str\" is \"1\", not an integer"},
		{"null", 0, 0, 10, 0, "\"null\" is null, not an integer"},
		{"null", VMEM_JSON_OPTIONAL, 0, 10, 0, "\"null\" is null, not an integer"},
		{"missing", 0, 0, 10, 0, "The member \"missing\" is missing."},
		{"missing", VMEM_JSON_NULLABLE, 0, 10, 0, "\"missing\" is missing"},
		{"missing", VMEM_JSON_OPTIONAL, 0, 10, 42, NULL},
		{"null", VMEM_JSON_NULLABLE, 0, 10, 42, NULL},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		gint64 value = 42;
		gboolean ok = vmem_json_get_int64(obj, cases[i].key, cases[i].flags, cases[i].min,
						  cases[i].max, &value, &error);

		if (cases[i].error == NULL) {
			g_assert_no_error(error);
			g_assert_true(ok);
			g_assert_cmpint(value, ==, cases[i].expect);
			continue;
		}
		g_assert_false(ok);
		assert_invalid(error, cases[i].error);
		g_assert_cmpint(value, ==, 42);
	}
}

static void
test_get_uint64(void)
{
	g_autoptr(json_object) obj = parse_object(MEMBERS);
	const struct {
		const char *key;
		VmemJsonGetFlags flags;
		guint64 min, max;
		guint64 expect;
		const char *error;
	} cases[] = {
		{"zero", 0, 0, 10, 0, NULL},
		{"one", 0, 1, 1, 1, NULL},
		{"above-int64", 0, 0, G_MAXUINT64, G_GUINT64_CONSTANT(9223372036854775808), NULL},
		{"uint64-max", 0, 0, G_MAXUINT64, G_MAXUINT64, NULL},
		/* json-c saturates what is larger still */
		{"huge", 0, 0, G_MAXUINT64, G_MAXUINT64, NULL},
		{"huge", 0, 0, G_MAXINT64, 0,
		 "\"huge\" is 18446744073709551615, not between 0 and"},
		{"zero", 0, 1, 10, 0, "The member \"zero\" is 0, not between 1 and 10."},
		{"one", 0, 0, 0, 0, "\"one\" is 1, not between 0 and 0"},
		{"minus", 0, 0, G_MAXUINT64, 0,
		 "\"minus\" is -1, not between 0 and 18446744073709551615"},
		{"int64-min", 0, 0, G_MAXUINT64, 0, "\"int64-min\" is -9223372036854775808"},
		{"half", 0, 0, 10, 0, "\"half\" is 0.5, not an integer"},
		{"true", 0, 0, 10, 0, "\"true\" is true, not an integer"},
		{"obj", 0, 0, 10, 0, "\"obj\" is {\"x\":1}, not an integer"},
		{"missing", 0, 0, 10, 0, "\"missing\" is missing"},
		{"missing", VMEM_JSON_OPTIONAL, 0, 10, 42, NULL},
		{"null", VMEM_JSON_OPTIONAL | VMEM_JSON_NULLABLE, 0, 10, 42, NULL},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		guint64 value = 42;
		gboolean ok = vmem_json_get_uint64(obj, cases[i].key, cases[i].flags, cases[i].min,
						   cases[i].max, &value, &error);

		if (cases[i].error == NULL) {
			g_assert_no_error(error);
			g_assert_true(ok);
			g_assert_cmpuint(value, ==, cases[i].expect);
			continue;
		}
		g_assert_false(ok);
		assert_invalid(error, cases[i].error);
		g_assert_cmpuint(value, ==, 42);
	}
}

static void
test_get_double(void)
{
	g_autoptr(json_object) obj = parse_object(MEMBERS);
	const struct {
		const char *key;
		double min, max;
		double expect;
		const char *error;
	} cases[] = {
		{"half", 0, 1, 0.5, NULL},
		{"one", 0, 1, 1, NULL},
		{"exp", 0, 1000, 1000, NULL},
		{"half", 0.75, 1, 0, "The member \"half\" is 0.5, not between 0.75 and 1."},
		{"exp", 0, 100, 0, "\"exp\" is 1e3, not between 0 and 100"},
		{"minus", 0, 100, 0, "\"minus\" is -1, not between 0 and 100"},
		{"str", 0, 100, 0, "\"str\" is \"abc\", not a number"},
		{"null", 0, 100, 0, "\"null\" is null, not a number"},
		{"missing", 0, 100, 0, "\"missing\" is missing"},
	};
	g_autoptr(json_object) nan = json_object_new_object();
	g_autoptr(GError) error = NULL;
	double value = 42;

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) case_error = NULL;
		gboolean ok = vmem_json_get_double(obj, cases[i].key, 0, cases[i].min, cases[i].max,
						   &value, &case_error);

		if (cases[i].error == NULL) {
			g_assert_no_error(case_error);
			g_assert_true(ok);
			g_assert_cmpfloat(value, ==, cases[i].expect);
			value = 42;
			continue;
		}
		g_assert_false(ok);
		assert_invalid(case_error, cases[i].error);
		g_assert_cmpfloat(value, ==, 42);
	}
	/* vmem_json_parse() refuses NaN, but a value built otherwise may hold one */
	json_object_object_add(nan, "nan", json_object_new_double(NAN));
	json_object_object_add(nan, "inf", json_object_new_double(INFINITY));
	g_assert_false(
		vmem_json_get_double(nan, "nan", 0, -G_MAXDOUBLE, G_MAXDOUBLE, &value, &error));
	assert_invalid(error, "The member \"nan\" is NaN, not between");
	g_clear_error(&error);
	g_assert_false(
		vmem_json_get_double(nan, "inf", 0, -G_MAXDOUBLE, G_MAXDOUBLE, &value, &error));
	assert_invalid(error, "\"inf\" is Infinity");
	g_assert_cmpfloat(value, ==, 42);
}

static void
test_get_bool(void)
{
	g_autoptr(json_object) obj = parse_object(MEMBERS);
	g_autoptr(GError) error = NULL;
	gboolean value = 42;

	g_assert_true(vmem_json_get_bool(obj, "true", 0, &value, &error));
	g_assert_no_error(error);
	g_assert_true(value);
	value = 42;
	g_assert_true(vmem_json_get_bool(obj, "missing", VMEM_JSON_OPTIONAL, &value, &error));
	g_assert_true(vmem_json_get_bool(obj, "null", VMEM_JSON_NULLABLE, &value, &error));
	g_assert_cmpint(value, ==, 42);
	g_assert_false(vmem_json_get_bool(obj, "one", 0, &value, &error));
	assert_invalid(error, "The member \"one\" is 1, not true or false.");
	g_clear_error(&error);
	g_assert_false(vmem_json_get_bool(obj, "str", 0, &value, &error));
	assert_invalid(error, "\"str\" is \"abc\", not true or false");
	g_clear_error(&error);
	g_assert_false(vmem_json_get_bool(obj, "missing", 0, &value, &error));
	assert_invalid(error, "\"missing\" is missing");
	g_assert_cmpint(value, ==, 42);
}

static void
test_get_string(void)
{
	g_autoptr(json_object) obj = parse_object(MEMBERS);
	const char *const unset = "unset";
	const struct {
		const char *key;
		VmemJsonGetFlags flags;
		gsize max_len;
		const char *expect;
		const char *error;
	} cases[] = {
		{"str", 0, VMEM_JSON_NO_LIMIT, "abc", NULL},
		{"str", 0, 3, "abc", NULL},
		{"utf8", VMEM_JSON_NO_CONTROL, 7, "h\xc3\xa9\xf0\x9f\x98\x80", NULL},
		{"ctl", 0, VMEM_JSON_NO_LIMIT,
		 "a\x01"
		 "b",
		 NULL},
		{"del", 0, VMEM_JSON_NO_LIMIT, "a\x7f", NULL},
		{"missing", VMEM_JSON_OPTIONAL, 10, NULL, NULL},
		{"null", VMEM_JSON_NULLABLE, 10, NULL, NULL},
		{"str", 0, 2, NULL,
		 "The member \"str\" is a string of 3 bytes, more than the limit of 2 bytes: "
		 "\"abc\"."},
		{"utf8", 0, 6, NULL, "a string of 7 bytes"},
		{"ctl", VMEM_JSON_NO_CONTROL, 10, NULL,
		 "The member \"ctl\" is \"a\\u0001b\", which contains a control character."},
		/* quoted with DEL shown as "?" */
		{"del", VMEM_JSON_NO_CONTROL, 10, NULL,
		 "\"del\" is \"a?\", which contains a control character"},
		{"nul", VMEM_JSON_NO_CONTROL, 10, NULL, "which contains a control character"},
		{"nul", 0, 10, NULL,
		 "The member \"nul\" is \"a\\u0000b\", which contains a NUL character."},
		{"one", 0, 10, NULL, "The member \"one\" is 1, not a string."},
		{"null", 0, 10, NULL, "\"null\" is null, not a string"},
		{"null", VMEM_JSON_OPTIONAL, 10, NULL, "\"null\" is null, not a string"},
		{"missing", 0, 10, NULL, "The member \"missing\" is missing."},
	};
	g_autoptr(json_object) built = json_object_new_object();
	g_autoptr(GError) error = NULL;
	g_autofree char *lots = g_strnfill(5000, 'x');
	const char *value = unset;

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) case_error = NULL;
		gboolean ok = vmem_json_get_string(obj, cases[i].key, cases[i].flags,
						   cases[i].max_len, &value, &case_error);

		if (cases[i].error == NULL) {
			g_assert_no_error(case_error);
			g_assert_true(ok);
			g_assert_cmpstr(value, ==, cases[i].expect);
			value = unset;
			continue;
		}
		g_assert_false(ok);
		assert_invalid(case_error, cases[i].error);
		g_assert_true(value == unset);
	}
	/* what json-c builds but vmem_json_parse() would refuse */
	json_object_object_add(built, "overlong", json_object_new_string_len("a\xc0\xb8", 3));
	json_object_object_add(built, "long", json_object_new_string(lots));
	g_assert_false(
		vmem_json_get_string(built, "overlong", 0, VMEM_JSON_NO_LIMIT, &value, &error));
	assert_invalid(error, "The member \"overlong\" is \"a\xef\xbf\xbd\xef\xbf\xbd\", which is "
			      "not valid UTF-8.");
	g_clear_error(&error);
	g_assert_false(vmem_json_get_string(built, "long", 0, 128, &value, &error));
	assert_invalid(error, "a string of 5000 bytes, more than the limit of 128 bytes: \"xxx");
	g_assert_true(value == unset);
}

static void
test_get_object_array(void)
{
	g_autoptr(json_object) obj = parse_object(MEMBERS);
	g_autoptr(GError) error = NULL;
	json_object *const unset = (json_object *)obj;
	json_object *value = unset;

	g_assert_true(vmem_json_get_object(obj, "obj", 0, &value, &error));
	g_assert_no_error(error);
	g_assert_true(json_object_is_type(value, json_type_object));
	g_assert_true(vmem_json_get_object(obj, "missing", VMEM_JSON_OPTIONAL, &value, &error));
	g_assert_null(value);
	value = unset;
	g_assert_false(vmem_json_get_object(obj, "arr", 0, &value, &error));
	assert_invalid(error, "The member \"arr\" is [\"a\",2,null,{}], not an object.");
	g_clear_error(&error);
	g_assert_false(vmem_json_get_object(obj, "null", VMEM_JSON_OPTIONAL, &value, &error));
	assert_invalid(error, "\"null\" is null, not an object");
	g_clear_error(&error);
	g_assert_true(value == unset);

	g_assert_true(vmem_json_get_array(obj, "arr", 0, 4, &value, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(json_object_array_length(value), ==, 4);
	g_assert_true(vmem_json_get_array(obj, "empty", 0, 0, &value, &error));
	g_assert_cmpuint(json_object_array_length(value), ==, 0);
	value = unset;
	g_assert_false(vmem_json_get_array(obj, "arr", 0, 3, &value, &error));
	assert_invalid(error, "The member \"arr\" has 4 entries, more than the limit of 3.");
	g_clear_error(&error);
	g_assert_false(vmem_json_get_array(obj, "obj", 0, VMEM_JSON_NO_LIMIT, &value, &error));
	assert_invalid(error, "The member \"obj\" is {\"x\":1}, not an array.");
	g_clear_error(&error);
	g_assert_false(vmem_json_get_array(obj, "missing", 0, VMEM_JSON_NO_LIMIT, &value, &error));
	assert_invalid(error, "\"missing\" is missing");
	g_assert_true(value == unset);
}

static void
test_array_entries(void)
{
	g_autoptr(json_object) obj = parse_object(MEMBERS);
	g_autoptr(GError) error = NULL;
	json_object *arr = NULL;
	json_object *entry = NULL;
	const char *s = "unset";

	g_assert_true(vmem_json_get_array(obj, "arr", 0, VMEM_JSON_NO_LIMIT, &arr, &error));
	g_assert_true(vmem_json_array_get_string(arr, "arr", 0, 0, 1, &s, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(s, ==, "a");
	g_assert_true(vmem_json_array_get_string(arr, "arr", 2, VMEM_JSON_NULLABLE, 1, &s, &error));
	g_assert_null(s);
	s = "unset";
	g_assert_false(vmem_json_array_get_string(arr, "arr", 0, 0, 0, &s, &error));
	assert_invalid(error, "The member \"arr\"[0] is a string of 1 byte, more than the limit "
			      "of 0 bytes");
	g_clear_error(&error);
	g_assert_false(vmem_json_array_get_string(arr, "arr", 1, 0, 10, &s, &error));
	assert_invalid(error, "The member \"arr\"[1] is 2, not a string.");
	g_clear_error(&error);
	/* an entry may be null only when NULLABLE says so; OPTIONAL does not count */
	g_assert_false(
		vmem_json_array_get_string(arr, "arr", 2, VMEM_JSON_OPTIONAL, 10, &s, &error));
	assert_invalid(error, "\"arr\"[2] is null, not a string");
	g_clear_error(&error);
	g_assert_false(
		vmem_json_array_get_string(arr, "arr", 4, VMEM_JSON_OPTIONAL, 10, &s, &error));
	assert_invalid(error, "The member \"arr\"[4] is missing.");
	g_clear_error(&error);
	g_assert_cmpstr(s, ==, "unset");

	g_assert_true(vmem_json_array_get_object(arr, "arr", 3, &entry, &error));
	g_assert_no_error(error);
	g_assert_true(json_object_is_type(entry, json_type_object));
	entry = NULL;
	g_assert_false(vmem_json_array_get_object(arr, "arr", 0, &entry, &error));
	assert_invalid(error, "The member \"arr\"[0] is \"a\", not an object.");
	g_clear_error(&error);
	g_assert_false(vmem_json_array_get_object(arr, "arr", 2, &entry, &error));
	assert_invalid(error, "\"arr\"[2] is null, not an object");
	g_assert_null(entry);
}

/* A value that is not an object has no members; nothing crashes. */
static void
test_not_an_object(void)
{
	g_autoptr(json_object) arr = json_object_new_array();
	g_autoptr(GError) error = NULL;
	guint64 value = 7;
	const char *s = NULL;

	g_assert_false(vmem_json_get_uint64(arr, "size", 0, 0, 10, &value, &error));
	assert_invalid(error, "\"size\" is missing");
	g_clear_error(&error);
	g_assert_false(vmem_json_get_string(NULL, "id", 0, VMEM_JSON_NO_LIMIT, &s, &error));
	assert_invalid(error, "\"id\" is missing");
	g_clear_error(&error);
	g_assert_true(vmem_json_get_uint64(NULL, "size", VMEM_JSON_OPTIONAL, 0, 10, &value, NULL));
	g_assert_cmpuint(value, ==, 7);
}

/* Long values are quoted as a short excerpt. */
static void
test_long_value_excerpt(void)
{
	g_autoptr(GString) text = g_string_new("{\"big\": [");
	g_autoptr(json_object) obj = NULL;
	g_autoptr(GError) error = NULL;
	guint64 value = 0;

	for (guint i = 0; i < 500; i++)
		g_string_append_printf(text, "%s\"entry %u\"", i > 0 ? ", " : "", i);
	g_string_append(text, "]}");
	obj = parse_object(text->str);
	g_assert_false(vmem_json_get_uint64(obj, "big", 0, 0, 10, &value, &error));
	assert_invalid(error, "The member \"big\" is [\"entry 0\",\"entry 1\",");
	g_assert_nonnull(strstr(error->message, "…, not an integer."));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(parse_cases); i++) {
		g_autofree char *path = g_strdup_printf("/json/parse/%s", parse_cases[i].name);

		g_test_add_data_func(path, &parse_cases[i], test_parse);
	}
	g_test_add_func("/json/parse/excerpt-capped", test_parse_excerpt_capped);
	g_test_add_func("/json/excerpt", test_excerpt);
	g_test_add_func("/json/get/int64", test_get_int64);
	g_test_add_func("/json/get/uint64", test_get_uint64);
	g_test_add_func("/json/get/double", test_get_double);
	g_test_add_func("/json/get/bool", test_get_bool);
	g_test_add_func("/json/get/string", test_get_string);
	g_test_add_func("/json/get/object-array", test_get_object_array);
	g_test_add_func("/json/get/array-entries", test_array_entries);
	g_test_add_func("/json/get/not-an-object", test_not_an_object);
	g_test_add_func("/json/get/long-value-excerpt", test_long_value_excerpt);
	return g_test_run();
}
