/* Shared helpers, boot-source, machine-config, logger and metrics. Drives
 * and network interfaces are in res_drive.c and res_net.c. */
#include "api/resources.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/json_schema.h"
#include "api/res_internal.h"

const char *const res_cache_types[2] = { "Unsafe", "Writeback" };
const char *const res_io_engines[2] = { "Sync", "Async" };

int res_check_id(const char *id, struct azerr *e)
{
	size_t n = strlen(id);

	if (!n)
		return azerr_set(e, "The ID cannot be empty.");
	for (size_t i = 0; i < n; i++)
		if (!isascii((unsigned char)id[i]) ||
		    !(isalnum((unsigned char)id[i]) || id[i] == '_'))
			return azerr_set(e, "API Resource IDs can only contain "
					 "alphanumeric characters and "
					 "underscores.");
	if (n >= VM_ID_MAX)
		return azerr_set(e, "API Resource IDs can be at most %d "
				 "characters long.", VM_ID_MAX - 1);
	return 0;
}

int res_check_path_string(const char *path, const char *field,
			  struct azerr *e)
{
	if (!*path)
		return azerr_set(e, "field `%s` cannot be empty", field);
	if (strlen(path) >= PATH_MAX)
		return azerr_set(e, "field `%s` is longer than %d characters",
				 field, PATH_MAX - 1);
	return 0;
}

/* Stats instead of opening: opening device nodes has side effects, and the
 * file is opened for real by whoever uses it. */
int res_check_file(const char *path, int access_mode, bool allow_blkdev,
		   const char *what, struct azerr *e)
{
	struct stat st;

	if (stat(path, &st) || access(path, access_mode))
		return azerr_set(e, "The %s cannot be opened: %s: %s", what,
				 strerror(errno), path);
	if (!S_ISREG(st.st_mode) && !(allow_blkdev && S_ISBLK(st.st_mode)))
		return azerr_set(e, "The %s cannot be opened: not a regular "
				 "file: %s", what, path);
	return 0;
}

int res_strdup(char **dst, const char *s, struct azerr *e)
{
	*dst = NULL;
	if (s && !(*dst = strdup(s)))
		return azerr_set(e, "out of memory");
	return 0;
}

void res_replace(char **dst, char *s)
{
	free(*dst);
	*dst = s;
}

/* ---- rate limiters ---- */

static const struct jfield bucket_fields[] = {
	{ "size", JT_UINT, true, INT64_MAX },
	{ "one_time_burst", JT_UINT, false, INT64_MAX },
	{ "refill_time", JT_UINT, true, INT64_MAX },
};

static const struct jfield limiter_fields[] = {
	{ "bandwidth", JT_OBJECT, false, 0 },
	{ "ops", JT_OBJECT, false, 0 },
};

int res_bucket_check(const json_t *body, const char *where, const char *name,
		     struct azerr *e)
{
	const json_t *b = json_object_get(body, name);
	char path[64];

	if (!b || json_is_null(b))
		return 0;
	return jcheck(b, jpath(path, sizeof(path), where, name), JFIELDS(bucket_fields), e);
}

int res_rate_limiter_check(const json_t *body, const char *name,
			   struct azerr *e)
{
	const json_t *rl = json_object_get(body, name);

	if (!rl || json_is_null(rl))
		return 0;
	if (jcheck(rl, name, JFIELDS(limiter_fields), e))
		return -1;
	for (size_t i = 0; i < 2; i++)
		if (res_bucket_check(rl, name, limiter_fields[i].name, e))
			return -1;
	return 0;
}

static void bucket_get(const json_t *o, struct token_bucket *tb)
{
	tb->size = juint(o, "size", 0);
	tb->one_time_burst = juint(o, "one_time_burst", 0);
	tb->refill_time_ms = juint(o, "refill_time", 0);
}

bool res_bucket(const json_t *body, const char *name, struct token_bucket *tb)
{
	const json_t *o = json_object_get(body, name);

	memset(tb, 0, sizeof(*tb));
	if (!o || json_is_null(o))
		return false;
	bucket_get(o, tb);
	return true;
}

bool res_rate_limiter(const json_t *body, const char *name,
		      struct rate_limiter *rl)
{
	const json_t *o = json_object_get(body, name);

	memset(rl, 0, sizeof(*rl));
	if (!o || json_is_null(o))
		return false;
	rl->has_bandwidth = jhas(o, "bandwidth");
	if (rl->has_bandwidth)
		bucket_get(json_object_get(o, "bandwidth"), &rl->bandwidth);
	rl->has_ops = jhas(o, "ops");
	if (rl->has_ops)
		bucket_get(json_object_get(o, "ops"), &rl->ops);
	return true;
}

/* ---- boot-source ---- */

#define MAX_CMDLINE 4096

static const struct jfield boot_fields[] = {
	{ "kernel_image_path", JT_STRING, true, 0 },
	{ "initrd_path", JT_STRING, false, 0 },
	{ "boot_args", JT_STRING, false, 0 },
};

static int boot_check(const json_t *body, struct azerr *e)
{
	const char *args = jstr(body, "boot_args");

	if (jcheck(body, "", JFIELDS(boot_fields), e) ||
	    res_check_path_string(jstr(body, "kernel_image_path"),
				  "kernel_image_path", e) ||
	    (jhas(body, "initrd_path") &&
	     res_check_path_string(jstr(body, "initrd_path"), "initrd_path",
				   e)))
		return -1;
	if (args && strlen(args) >= MAX_CMDLINE)
		return azerr_set(e, "The kernel command line is invalid: "
				 "longer than %d characters", MAX_CMDLINE - 1);
	return 0;
}

static int boot_apply(struct vm_config *cfg, const json_t *body,
		      struct azerr *e)
{
	const char *kernel = jstr(body, "kernel_image_path");
	const char *initrd = jstr(body, "initrd_path");
	const char *args = jstr(body, "boot_args");
	char *k, *i, *a;

	if (res_check_file(kernel, R_OK, false, "kernel file", e) ||
	    (initrd && res_check_file(initrd, R_OK, false, "initrd file", e)))
		return -1;
	if (res_strdup(&k, kernel, e))
		return -1;
	if (res_strdup(&i, initrd, e) ||
	    res_strdup(&a, args ? args : RES_DEFAULT_CMDLINE, e)) {
		free(k);
		free(i);
		return -1;
	}
	res_replace(&cfg->kernel_path, k);
	res_replace(&cfg->initrd_path, i);
	res_replace(&cfg->cmdline, a);
	return 0;
}

const struct resource res_boot_source = {
	"boot-source", boot_check, boot_apply,
};

/* ---- machine-config ---- */

/* Firecracker's enums: azote implements cpu_template None only, and
 * huge_pages None and 2M (Firecracker 1.16's two; Transparent is its
 * next one). */
static const char *const cpu_templates[] = {
	"None", "C3", "T2", "T2S", "T2CL", "T2A", "V1N1",
};
enum { HUGE_NONE, HUGE_TRANSPARENT, HUGE_2M };
static const char *const huge_page_kinds[] = { "None", "Transparent", "2M" };

/* vcpu_count is a u8 and mem_size_mib a size in Firecracker; the bound on
 * the memory size keeps mem_bytes from overflowing. */
#define MACHINE_FIELDS(req)                                           \
	{ "vcpu_count", JT_UINT, req, UINT8_MAX },                    \
	{ "mem_size_mib", JT_UINT, req, UINT64_MAX >> 20 },           \
	{ "smt", JT_BOOL, false, 0 },                                 \
	{ "cpu_template", JT_STRING, false, 0 },                      \
	{ "track_dirty_pages", JT_BOOL, false, 0 },                   \
	{ "huge_pages", JT_STRING, false, 0 }

static const struct jfield machine_put_fields[] = { MACHINE_FIELDS(true) };
static const struct jfield machine_patch_fields[] = { MACHINE_FIELDS(false) };

static int machine_check_enums(const json_t *body, struct azerr *e)
{
	int t, h;

	t = jenum(body, "", "cpu_template", JFIELDS(cpu_templates), false, 0, e);
	if (t < 0)
		return -1;
	if (t > 0)
		return azerr_set(e, "The requested operation is not supported: "
				 "azote has no CPU templates (cpu_template "
				 "`%s`)", cpu_templates[t]);
	h = jenum(body, "", "huge_pages", JFIELDS(huge_page_kinds), false, 0, e);
	if (h < 0)
		return -1;
	if (h == HUGE_TRANSPARENT)
		return azerr_set(e, "The requested operation is not supported: "
				 "azote backs guest memory with normal or 2 MiB "
				 "hugetlbfs pages (huge_pages `%s`)", huge_page_kinds[h]);
	return 0;
}

static int machine_put_check(const json_t *body, struct azerr *e)
{
	if (jcheck(body, "", JFIELDS(machine_put_fields), e))
		return -1;
	return machine_check_enums(body, e);
}

static int machine_patch_check(const json_t *body, struct azerr *e)
{
	const char *key;
	json_t *v;
	bool any = false;

	if (jcheck(body, "", JFIELDS(machine_patch_fields), e))
		return -1;
	json_object_foreach((json_t *)body, key, v)
		any |= !json_is_null(v);
	if (!any)
		return azerr_set(e, RES_EMPTY_PATCH);
	return machine_check_enums(body, e);
}

/* PUT resets what it does not mention to the defaults; PATCH keeps it. */
static int machine_apply(struct vm_config *cfg, const json_t *body,
			 bool patch, struct azerr *e)
{
	uint64_t cpus = juint(body, "vcpu_count", cfg->nr_cpus);
	uint64_t mib = juint(body, "mem_size_mib", cfg->mem_bytes >> 20);
	bool smt = jbool(body, "smt", patch && cfg->smt);
	bool dirty = jbool(body, "track_dirty_pages",
			   patch && cfg->track_dirty_pages);
	/* Checked by machine_check_enums: None, 2M or absent. */
	bool huge = jenum(body, "", "huge_pages", JFIELDS(huge_page_kinds), false,
			  patch && cfg->huge_pages ? HUGE_2M : HUGE_NONE, e) == HUGE_2M;

	if (cpus == 0 || cpus > RES_MAX_VCPUS || (smt && cpus > 1 && cpus % 2))
		return azerr_set(e, "The number of vCPUs must be greater than "
				 "0, less than %d and must be 1 or an even "
				 "number if SMT is enabled.", RES_MAX_VCPUS + 1);
	if (mib == 0 || (huge && mib % 2)) /* 2M: whole 2 MiB pages */
		return azerr_set(e, "The memory size (MiB) is either 0, or not a "
				 "multiple of the configured page size.");
	/* The balloon's target, set before, must still fit (Firecracker's
	 * IncompatibleBalloonSize). */
	if (cfg->nr_balloons &&
	    res_balloon_fits(cfg->balloons[0].amount_mib, mib << 20, RES_BALLOON_MEM_TOO_SMALL, e))
		return -1;
	cfg->nr_cpus = cpus;
	if (jhas(body, "mem_size_mib"))
		cfg->mem_bytes = mib << 20;
	cfg->smt = smt;
	cfg->track_dirty_pages = dirty;
	cfg->huge_pages = huge;
	return 0;
}

static int machine_put_apply(struct vm_config *cfg, const json_t *body,
			     struct azerr *e)
{
	return machine_apply(cfg, body, false, e);
}

static int machine_patch_apply(struct vm_config *cfg, const json_t *body,
			       struct azerr *e)
{
	return machine_apply(cfg, body, true, e);
}

const struct resource res_machine_config = {
	"machine-config", machine_put_check, machine_put_apply,
};

const struct resource res_machine_config_patch = {
	"machine-config", machine_patch_check, machine_patch_apply,
};

/* ---- logger ---- */

static const char *const log_levels[] = {
	"Error", "Warning", "Info", "Debug", "Trace", "Off",
};

static const struct jfield logger_fields[] = {
	{ "log_path", JT_STRING, false, 0 },
	{ "level", JT_STRING, false, 0 },
	{ "show_level", JT_BOOL, false, 0 },
	{ "show_log_origin", JT_BOOL, false, 0 },
	{ "module", JT_STRING, false, 0 },
};

static int logger_check(const json_t *body, struct azerr *e)
{
	const char *module = jstr(body, "module");

	if (jcheck(body, "", JFIELDS(logger_fields), e) ||
	    jenum(body, "", "level", JFIELDS(log_levels), true, 0, e) < 0 ||
	    (jhas(body, "log_path") &&
	     res_check_path_string(jstr(body, "log_path"), "log_path", e)))
		return -1;
	if (!module)
		return 0;
	if (!*module || strlen(module) > 100)
		return azerr_set(e, "field `module` must have 1 to 100 "
				 "characters");
	for (const char *p = module; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_-./", *p))
			return azerr_set(e, "field `module` names a directory "
					 "or file under src/ (letters, digits, "
					 "'_', '-', '.', '/')");
	return 0;
}

static int logger_apply(struct vm_config *cfg, const json_t *body,
			struct azerr *e)
{
	struct logger_config l = { .configured = true };
	int level = jenum(body, "", "level", JFIELDS(log_levels), true, 2, e);

	l.show_level = jbool(body, "show_level", false);
	l.show_log_origin = jbool(body, "show_log_origin", false);
	if (res_strdup(&l.log_path, jstr(body, "log_path"), e) ||
	    res_strdup(&l.level, log_levels[level], e) ||
	    res_strdup(&l.module, jstr(body, "module"), e)) {
		free(l.log_path);
		free(l.level);
		return -1;
	}
	free(cfg->logger.log_path);
	free(cfg->logger.level);
	free(cfg->logger.module);
	cfg->logger = l;
	return 0;
}

const struct resource res_logger = { "logger", logger_check, logger_apply };

/* ---- metrics ---- */

static const struct jfield metrics_fields[] = {
	{ "metrics_path", JT_STRING, true, 0 },
};

static int metrics_check(const json_t *body, struct azerr *e)
{
	if (jcheck(body, "", JFIELDS(metrics_fields), e))
		return -1;
	return res_check_path_string(jstr(body, "metrics_path"),
				     "metrics_path", e);
}

static int metrics_apply(struct vm_config *cfg, const json_t *body,
			 struct azerr *e)
{
	char *p;

	if (cfg->metrics_path)
		return azerr_set(e, "Reinitialization of metrics not allowed.");
	if (res_strdup(&p, jstr(body, "metrics_path"), e))
		return -1;
	cfg->metrics_path = p;
	return 0;
}

const struct resource res_metrics = {
	"metrics", metrics_check, metrics_apply,
};
