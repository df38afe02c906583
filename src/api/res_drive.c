/* drives/{drive_id}: Firecracker's Drive (PUT, before boot) and
 * PartialDrive (PATCH, after boot). A drive is either an image file that
 * azote serves through its own block card (path_on_host) or a vhost-user
 * socket someone else serves (socket). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/json_schema.h"
#include "api/res_internal.h"
#include "api/resources.h"

static const struct jfield drive_fields[] = {
	{ "drive_id", JT_STRING, true, 0 },
	{ "is_root_device", JT_BOOL, true, 0 },
	{ "partuuid", JT_STRING, false, 0 },
	{ "cache_type", JT_STRING, false, 0 },
	{ "is_read_only", JT_BOOL, false, 0 },
	{ "path_on_host", JT_STRING, false, 0 },
	{ "rate_limiter", JT_OBJECT, false, 0 },
	{ "io_engine", JT_STRING, false, 0 },
	{ "socket", JT_STRING, false, 0 },
};

static const struct jfield drive_patch_fields[] = {
	{ "drive_id", JT_STRING, true, 0 },
	{ "path_on_host", JT_STRING, false, 0 },
	{ "rate_limiter", JT_OBJECT, false, 0 },
};

/* The PARTUUID lands on the kernel command line (root=PARTUUID=...), so
 * only what a PARTUUID can hold gets through: GPT "8-4-4-4-12" hex or MBR
 * "SSSSSSSS-PP". */
static int check_partuuid(const char *s, struct azerr *e)
{
	size_t n = strlen(s);

	if (!n || n > 36)
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) && s[i] != '-')
			goto bad;
	return 0;
bad:
	return azerr_set(e, "invalid value for field `partuuid`: `%.40s` is "
			 "not a partition UUID (hex digits and '-')", s);
}

static int drive_check(const json_t *body, struct azerr *e)
{
	const char *partuuid = jstr(body, "partuuid");
	const char *path = jstr(body, "path_on_host");
	const char *sock = jstr(body, "socket");

	if (jcheck(body, "", JFIELDS(drive_fields), e) ||
	    res_check_id(jstr(body, "drive_id"), e) ||
	    (partuuid && check_partuuid(partuuid, e)) ||
	    jenum(body, "", "cache_type", JFIELDS(res_cache_types), false,
		  0, e) < 0 ||
	    jenum(body, "", "io_engine", JFIELDS(res_io_engines), false, 0,
		  e) < 0 ||
	    res_rate_limiter_check(body, "rate_limiter", e))
		return -1;
	if (sock) {
		/* A vhost-user backend owns the image and its limits. */
		if (path || jhas(body, "is_read_only") ||
		    jhas(body, "rate_limiter") || jhas(body, "io_engine"))
			return azerr_set(e, "drive `%s`: a vhost-user drive "
					 "(socket) takes none of path_on_host, "
					 "is_read_only, rate_limiter, io_engine",
					 jstr(body, "drive_id"));
		return res_check_path_string(sock, "socket", e);
	}
	/* Firecracker's swagger calls is_read_only required for an image
	 * but its code defaults it to false; clients rely on the latter. */
	if (!path)
		return azerr_set(e, "missing field `path_on_host`");
	return res_check_path_string(path, "path_on_host", e);
}

int res_check_drive_path(const char *path, bool read_only, struct azerr *e)
{
	return res_check_file(path, read_only ? R_OK : R_OK | W_OK, true,
			      "block device backing file", e);
}

static int check_socket(const char *path, struct azerr *e)
{
	struct stat st;

	if (stat(path, &st))
		return azerr_set(e, "The vhost-user socket cannot be used: "
				 "%s: %s", strerror(errno), path);
	if (!S_ISSOCK(st.st_mode))
		return azerr_set(e, "The vhost-user socket cannot be used: not "
				 "a socket: %s", path);
	return 0;
}

/* Moves drives[from] to drives[to], shifting the ones in between. */
static void move_drive(struct vm_config *cfg, unsigned from, unsigned to)
{
	struct drive_config d = cfg->drives[from];

	if (from > to)
		memmove(&cfg->drives[to + 1], &cfg->drives[to],
			(from - to) * sizeof(d));
	cfg->drives[to] = d;
}

static int drive_build(const json_t *body, struct drive_config *d,
		       struct azerr *e)
{
	memset(d, 0, sizeof(*d));
	strcpy(d->id, jstr(body, "drive_id"));  /* length checked */
	d->is_root_device = jbool(body, "is_root_device", false);
	d->read_only = jbool(body, "is_read_only", false);
	d->cache_type = jenum(body, "", "cache_type", JFIELDS(res_cache_types),
			      false, DRIVE_CACHE_UNSAFE, NULL);
	d->io_engine = jenum(body, "", "io_engine", JFIELDS(res_io_engines),
			     false, DRIVE_IO_SYNC, NULL);
	res_rate_limiter(body, "rate_limiter", &d->rate_limiter);
	if (res_strdup(&d->path, jstr(body, "path_on_host"), e) ||
	    res_strdup(&d->socket, jstr(body, "socket"), e) ||
	    res_strdup(&d->partuuid, jstr(body, "partuuid"), e)) {
		drive_config_free(d);
		return -1;
	}
	return 0;
}

/* Firecracker's rules: one root device, kept first (the guest sees it as
 * /dev/vda); a PUT with a known id replaces that drive. */
static int drive_apply(struct vm_config *cfg, const json_t *body,
		       struct azerr *e)
{
	struct drive_config d;
	int idx = vm_config_find(cfg, &vm_drives, jstr(body, "drive_id"));
	bool root = jbool(body, "is_root_device", false);
	unsigned slot;

	if (root && cfg->nr_drives && cfg->drives[0].is_root_device &&
	    idx != 0)
		return azerr_set(e, "A root block device already exists!");
	if (root && vm_config_has_pmem_root(cfg))
		return azerr_set(e, "Attempt to add block as a root device while the root "
				 "device defined as a pmem device");
	if (idx < 0 && cfg->nr_drives == VM_MAX_DRIVES)
		return azerr_set(e, "Cannot add drive `%s`: azote supports at "
				 "most %d drives", jstr(body, "drive_id"),
				 VM_MAX_DRIVES);
	if (jhas(body, "socket") ?
		    check_socket(jstr(body, "socket"), e) :
		    res_check_drive_path(jstr(body, "path_on_host"),
					 jbool(body, "is_read_only", false), e))
		return -1;
	if (drive_build(body, &d, e))
		return -1;
	if (idx >= 0) {
		slot = idx;
		drive_config_free(&cfg->drives[slot]);
	} else {
		slot = cfg->nr_drives++;
	}
	cfg->drives[slot] = d;
	if (root && slot)
		move_drive(cfg, slot, 0);
	return 0;
}

const struct resource res_drive = { "drives", drive_check, drive_apply };

int res_drive_patch_check(const json_t *body, struct azerr *e)
{
	if (jcheck(body, "", JFIELDS(drive_patch_fields), e) ||
	    res_check_id(jstr(body, "drive_id"), e) ||
	    res_rate_limiter_check(body, "rate_limiter", e))
		return -1;
	if (jhas(body, "path_on_host"))
		return res_check_path_string(jstr(body, "path_on_host"),
					     "path_on_host", e);
	return 0;
}
