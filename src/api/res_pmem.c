/* pmem/{id}: Firecracker's Pmem (PUT, before boot): a virtio-pmem device,
 * the file at path_on_host mapped into the guest's physical memory by
 * azote and its flushes served by azote's pmem card (src/cards/pmem).
 * Firecracker's rules: a PUT with a known id replaces that device in its
 * place (the guest numbers them /dev/pmem0, 1, ... in order), one root
 * device among the drives and pmem devices. PATCH, after boot, takes a
 * new rate limiter. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/json_schema.h"
#include "api/res_internal.h"
#include "api/resources.h"

static const struct jfield pmem_fields[] = {
	{ "id", JT_STRING, true, 0 },
	{ "path_on_host", JT_STRING, true, 0 },
	{ "root_device", JT_BOOL, false, 0 },
	{ "read_only", JT_BOOL, false, 0 },
	{ "rate_limiter", JT_OBJECT, false, 0 },
};

/* Firecracker's PmemDeviceUpdateConfig: the rate limiter only. */
static const struct jfield pmem_patch_fields[] = {
	{ "id", JT_STRING, true, 0 },
	{ "rate_limiter", JT_OBJECT, false, 0 },
};

int res_pmem_patch_check(const json_t *body, struct azerr *e)
{
	return jcheck(body, "", JFIELDS(pmem_patch_fields), e) ||
	       res_check_id(jstr(body, "id"), e) ||
	       res_rate_limiter_check(body, "rate_limiter", e) ? -1 : 0;
}

static int pmem_check(const json_t *body, struct azerr *e)
{
	return jcheck(body, "", JFIELDS(pmem_fields), e) || res_check_id(jstr(body, "id"), e) ||
	       res_check_path_string(jstr(body, "path_on_host"), "path_on_host", e) ||
	       res_rate_limiter_check(body, "rate_limiter", e) ? -1 : 0;
}

/* A regular file azote can map as asked, and not empty (Firecracker
 * refuses an empty one when the VM starts; this says so at once). */
int res_check_pmem_path(const char *path, bool read_only, struct azerr *e)
{
	struct stat st;

	if (res_check_file(path, read_only ? R_OK : R_OK | W_OK, false, "pmem backing file", e))
		return -1;
	if (stat(path, &st))
		return azerr_set(e, "The pmem backing file cannot be opened: %s: %s",
				 strerror(errno), path);
	if (!st.st_size)
		return azerr_set(e, "The pmem backing file is empty: %s", path);
	return 0;
}

static int pmem_apply(struct vm_config *cfg, const json_t *body, struct azerr *e)
{
	struct pmem_config p = { 0 };
	int idx = vm_config_find(cfg, &vm_pmems, jstr(body, "id"));
	const char *why;

	strcpy(p.id, jstr(body, "id"));  /* length checked */
	p.root_device = jbool(body, "root_device", false);
	p.read_only = jbool(body, "read_only", false);
	res_rate_limiter(body, "rate_limiter", &p.rate_limiter);
	if ((why = vm_pmem_root_conflict(cfg, &p)))
		return azerr_set(e, "%s", why);
	if (idx < 0 && cfg->nr_pmems == VM_MAX_PMEMS)
		return azerr_set(e, "Cannot add pmem device `%s`: azote supports at most %d",
				 p.id, VM_MAX_PMEMS);
	if (res_check_pmem_path(jstr(body, "path_on_host"), p.read_only, e) ||
	    res_strdup(&p.path, jstr(body, "path_on_host"), e))
		return -1;
	if (idx >= 0)
		pmem_config_free(&cfg->pmems[idx]);
	else
		idx = (int)cfg->nr_pmems++;
	cfg->pmems[idx] = p;
	return 0;
}

const struct resource res_pmem = { "pmem", pmem_check, pmem_apply };
