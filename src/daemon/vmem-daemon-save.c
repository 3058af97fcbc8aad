/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-daemon-save.h"

#include <glib/gi18n.h>

#include "vmem-error.h"

static gboolean
vmem_daemon_save_bad(GError **error, const char *key, const char *why)
{
	/* TRANSLATORS: %1$s is a key of Save()'s or Dump()'s options, %2$s what is wrong */
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT, _("Option “%1$s”: %2$s"), key,
		    why);
	return FALSE;
}

/**
 * vmem_daemon_save_options:
 * @dict: Save()'s or Dump()'s options, a{sv}
 * @dump: whether they are Dump()'s
 * @ret_save: (out caller-allocates): Save()'s, from the defaults
 * @ret_dump: (out): Dump()'s format
 */
gboolean
vmem_daemon_save_options(GVariant *dict, gboolean dump, VmemSaveOptions *ret_save,
			 VmemDumpFormat *ret_dump, GError **error)
{
	GVariantIter iter;
	const char *key;
	GVariant *v;

	vmem_save_options_init(ret_save);
	*ret_dump = VMEM_DUMP_FORMAT_ELF;
	g_variant_iter_init(&iter, dict);
	while (g_variant_iter_next(&iter, "{&sv}", &key, &v)) {
		g_autoptr(GVariant) value = v;
		const GVariantType *type = g_variant_get_type(value);

		if (g_str_equal(key, "format") &&
		    g_variant_type_equal(type, G_VARIANT_TYPE_STRING)) {
			const char *format = g_variant_get_string(value, NULL);

			if (dump ? !vmem_dump_format_from_string(format, ret_dump)
				 : !vmem_save_format_from_string(format, &ret_save->format))
				return vmem_daemon_save_bad(error, key,
							    _("There is no such format."));
		} else if (!dump && g_str_equal(key, "parallel") &&
			   g_variant_type_equal(type, G_VARIANT_TYPE_UINT32)) {
			ret_save->parallel = g_variant_get_uint32(value);
		} else if (!dump && g_str_equal(key, "bypass-cache") &&
			   g_variant_type_equal(type, G_VARIANT_TYPE_BOOLEAN)) {
			ret_save->bypass_cache = g_variant_get_boolean(value);
		} else {
			return vmem_daemon_save_bad(error, key,
						    _("There is no such option of that type."));
		}
	}
	return TRUE;
}

/**
 * vmem_daemon_save_report:
 *
 * Returns: (transfer floating): Save()'s or Dump()'s answer
 */
GVariant *
vmem_daemon_save_report(const VmemSaveResult *result)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "file", g_variant_new_string(result->file));
	g_variant_builder_add(&b, "{sv}", "apparent", g_variant_new_uint64(result->apparent));
	g_variant_builder_add(&b, "{sv}", "allocated", g_variant_new_uint64(result->allocated));
	g_variant_builder_add(&b, "{sv}", "base", g_variant_new_uint64(result->base));
	g_variant_builder_add(&b, "{sv}", "plugged", g_variant_new_uint64(result->plugged));
	g_variant_builder_add(&b, "{sv}", "elapsed-ms",
			      g_variant_new_uint64((guint64)(result->elapsed_us / 1000)));
	if (result->fallback_reason != NULL)
		g_variant_builder_add(&b, "{sv}", "fallback-reason",
				      g_variant_new_string(result->fallback_reason));
	return g_variant_builder_end(&b);
}
