/* Firecracker's --config-file: one JSON document holding the bodies of the
 * pre-boot API requests. Each section goes through the same resource code
 * as the matching API request. And its other JSON files: a CPU template,
 * --metadata's MMDS document. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api_internal.h"
#include "api/json_schema.h"
#include "api/resources.h"
#include "common/log.h"

/* A configuration is a few KiB; the bound keeps a wrong path (a disk
 * image, /dev/zero) from being read into memory. */
#define MAX_CONFIG_SIZE (1 << 20)

/* Firecracker sections azote does not implement: refused by name when
 * present (null or an empty list counts as absent, as for Firecracker),
 * so that no device the user asked for is silently left out. */
static const char *const unsupported[] = {
	"memory-hotplug",
};

/* The sections in sections[] below, plus cpu-config (a path or a
 * template, checked apart: it may be either). */
#define NSUPPORTED 12

static const struct jfield top_fields[] = {
	{ "boot-source", JT_OBJECT, true, 0 },
	{ "drives", JT_ARRAY, true, 0 },
	{ "machine-config", JT_OBJECT, false, 0 },
	{ "network-interfaces", JT_ARRAY, false, 0 },
	{ "logger", JT_OBJECT, false, 0 },
	{ "metrics", JT_OBJECT, false, 0 },
	{ "balloon", JT_OBJECT, false, 0 },
	{ "entropy", JT_OBJECT, false, 0 },
	{ "memory-hotplug", JT_OBJECT, false, 0 },
	{ "mmds-config", JT_OBJECT, false, 0 },
	{ "pmem", JT_ARRAY, false, 0 },
	{ "vsock", JT_OBJECT, false, 0 },
};

_Static_assert(NSUPPORTED - 1 + sizeof(unsupported) / sizeof(unsupported[0]) ==
		       sizeof(top_fields) / sizeof(top_fields[0]),
	       "every section is either supported or refused");

/* Sections in the order they are applied: the machine first, as a client
 * of the API would. */
static const struct {
	const char *key;
	const struct resource *res;
} sections[NSUPPORTED - 1] = {
	{ "machine-config", &res_machine_config },
	{ "boot-source", &res_boot_source },
	{ "drives", &res_drive },
	{ "pmem", &res_pmem },        /* after the drives, with which it shares the root */
	{ "network-interfaces", &res_net },
	{ "vsock", &res_vsock },
	{ "entropy", &res_entropy },
	{ "balloon", &res_balloon },  /* after machine-config, whose memory it must fit */
	{ "mmds-config", &res_mmds_config },  /* after the interfaces it names */
	{ "logger", &res_logger },
	{ "metrics", &res_metrics },
};

static int apply_one(const struct resource *res, const json_t *body,
		     struct vm_config *cfg, const char *name,
		     const char *where, struct azerr *e)
{
	struct azerr why;

	if (res->check(body, &why) || res->apply(cfg, body, &why))
		return azerr_set(e, "%s: %s: %s", name, where, why.msg);
	return 0;
}

static int apply_section(const json_t *v, const struct resource *res,
			 const char *key, struct vm_config *cfg,
			 const char *name, struct azerr *e)
{
	char where[64];
	size_t i;
	json_t *item;

	if (!json_is_array(v))
		return apply_one(res, v, cfg, name, key, e);
	json_array_foreach(v, i, item) {
		snprintf(where, sizeof(where), "%s[%zu]", key, i);
		if (apply_one(res, item, cfg, name, where, e))
			return -1;
	}
	return 0;
}

static bool known_section(const char *key)
{
	for (size_t i = 0; i < sizeof(top_fields) / sizeof(top_fields[0]); i++)
		if (!strcmp(key, top_fields[i].name))
			return true;
	return false;
}

/* The sections top_fields describes, in a new object; cpu-config is taken
 * apart, and the others are left out with a warning: Firecracker ignores
 * keys it does not know (its "serial" too), and a config file written for
 * a newer one must still boot. */
static json_t *known_sections(json_t *root, const char *name)
{
	json_t *known = json_object(), *v;
	const char *key;

	if (!known)
		return NULL;
	json_object_foreach(root, key, v) {
		if (known_section(key))
			json_object_set(known, key, v);
		else if (strcmp(key, "cpu-config"))
			log_warn("%s: unknown section `%s` ignored (as Firecracker does)", name,
				 key);
	}
	return known;
}

/* Firecracker's cpu-config: the path of a template file, or the template. */
static int apply_cpu_config(const json_t *v, struct vm_config *cfg, const char *name,
			    struct azerr *e)
{
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		struct azerr why;

		if (api_cpu_template_load(json_string_value(v), cfg, &why) < 0)
			return azerr_set(e, "%s: cpu-config: %s", name, why.msg);
		return 0;
	}
	if (json_is_object(v))
		return apply_one(&res_cpu_config, v, cfg, name, "cpu-config", e);
	return azerr_set(e, "%s: invalid type for field `cpu-config`: expected a path or a "
			 "template object", name);
}

/* A section present: neither missing, null, nor an empty list. */
static bool present(const json_t *root, const char *key)
{
	const json_t *v = json_object_get(root, key);

	return v && !json_is_null(v) && !(json_is_array(v) && json_array_size(v) == 0);
}

int api_config_load_buffer(const char *buf, size_t len, const char *name,
			   struct vm_config *cfg, struct azerr *e)
{
	struct azerr why;
	json_t *parsed = jparse(buf, len, &why), *root;
	int ret = -1;

	if (!parsed)
		return azerr_set(e, "%s: invalid JSON: %s", name, why.msg);
	if (!json_is_object(parsed)) {
		root = json_incref(parsed);
	} else if (!(root = known_sections(parsed, name))) {
		json_decref(parsed);
		return azerr_set(e, "%s: out of memory", name);
	}
	if (jcheck(root, "", JFIELDS(top_fields), &why)) {
		azerr_set(e, "%s: %s", name, why.msg);
		goto out;
	}
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (present(root, unsupported[i])) {
			azerr_set(e, "%s: `%s` is not supported by azote", name,
				  unsupported[i]);
			goto out;
		}
	if (apply_cpu_config(json_object_get(parsed, "cpu-config"), cfg, name, e) < 0)
		goto out;
	for (size_t i = 0; i < NSUPPORTED - 1; i++) {
		const json_t *v = json_object_get(root, sections[i].key);

		if (v && !json_is_null(v) &&
		    apply_section(v, sections[i].res, sections[i].key, cfg,
				  name, e))
			goto out;
	}
	ret = 0;
out:
	json_decref(root);
	json_decref(parsed);
	return ret;
}

/* The whole of a small regular file, NUL-terminated; NULL with e set,
 * naming what the file is for ("--config-file") and path. */
static char *read_small_file(const char *what, const char *path, size_t *len,
			     struct azerr *e)
{
	struct stat st;
	char *buf;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		azerr_set(e, "%s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > MAX_CONFIG_SIZE) {
		close(fd);
		azerr_set(e, "%s %s: not a regular file of at most %d bytes", what, path,
			  MAX_CONFIG_SIZE);
		return NULL;
	}
	buf = malloc(st.st_size + 1);
	if (!buf) {
		close(fd);
		azerr_set(e, "%s %s: out of memory", what, path);
		return NULL;
	}
	n = read(fd, buf, st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(buf);
		azerr_set(e, "%s %s: short read", what, path);
		return NULL;
	}
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

int api_config_file_load(const char *path, struct vm_config *cfg,
			 struct azerr *e)
{
	size_t len;
	char *buf = read_small_file("--config-file", path, &len, e);

	if (!buf)
		return -1;
	int ret = api_config_load_buffer(buf, len, path, cfg, e);
	free(buf);
	return ret;
}

int api_cpu_template_load(const char *path, struct vm_config *cfg, struct azerr *e)
{
	struct azerr why;
	size_t len;
	char *buf = read_small_file("CPU template", path, &len, e);
	json_t *root;
	int ret = -1;

	if (!buf)
		return -1;
	root = jparse(buf, len, &why);
	free(buf);
	if (!root)
		return azerr_set(e, "CPU template %s: invalid JSON: %s", path, why.msg);
	if (res_cpu_config.check(root, &why) || res_cpu_config.apply(cfg, root, &why))
		azerr_set(e, "CPU template %s: %s", path, why.msg);
	else
		ret = 0;
	json_decref(root);
	return ret;
}

int api_mmds_load_file(struct api *api, const char *path, struct azerr *e)
{
	struct azerr why;
	size_t len;
	char *buf = read_small_file("--metadata", path, &len, e);
	int ret;

	if (!buf)
		return -1;
	pthread_mutex_lock(&api->lock);
	ret = api_mmds_put_locked(api, buf, len, &why);
	pthread_mutex_unlock(&api->lock);
	free(buf);
	return ret ? azerr_set(e, "--metadata %s: %s", path, why.msg) : 0;
}
