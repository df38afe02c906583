#include "jailer/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

/* The longest line read from or written to a cgroup file, newline
 * included: kernfs takes at most a page in one write. */
#define LINE_MAX_LEN 4096
#define TOO_LONG "too long (4096 bytes or more with its newline)"

/* Why "FILE=VALUE" cannot be a property, NULL when it can. */
static const char *prop_fault(const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : 0;
	const char *dot = memchr(arg, '.', n);

	if (!eq || strchr(eq + 1, '='))
		return "must be FILE=VALUE, with exactly one '='";
	if (n == 0 || !eq[1])
		return "FILE and VALUE must not be empty";
	if (memchr(arg, '/', n) || n > NAME_MAX)
		return "FILE must be a file name (no '/', at most 255 characters)";
	/* Also refuses "." and "..". */
	if (!dot || dot == arg)
		return "FILE must be CONTROLLER.NAME, such as cpu.max";
	if (strchr(arg, '\n'))
		return "must not contain a newline";
	/* v2's core files (cgroup.procs, cgroup.freeze, cgroup.kill...) act on
	 * any process or on the jailer itself; the jailer writes cgroup.procs.
	 * Firecracker's jailer refuses them too: "cgroup" is no controller. */
	if (!strncmp(arg, "cgroup.", 7))
		return "FILE must be a controller's: cgroup.* files are refused";
	return NULL;
}

int cgroup_prop_parse(const char *arg, struct cgroup_prop *p, struct azerr *e)
{
	const char *fault = prop_fault(arg);

	if (fault)
		return azerr_set(e, "--cgroup '%s': %s", arg, fault);
	char *copy = strdup(arg);
	if (!copy)
		return azerr_set(e, "--cgroup '%s': %s", arg, strerror(errno));
	char *eq = strchr(copy, '=');
	*eq = '\0';
	p->file = copy;
	p->value = eq + 1;
	return 0;
}

int cgroup_parent_check(const char *parent, struct azerr *e)
{
	const char *p = parent;

	/* Firecracker's rule (env.rs): none of Rust's Path::components may
	 * be the root, '..' or '.', which it keeps only at the start; empty
	 * components and inner '.' it drops, and the kernel ignores. */
	if (!*parent || *parent == '/')
		goto bad;
	for (;;) {
		size_t n = strcspn(p, "/");
		if ((n == 2 && !strncmp(p, "..", 2)) || (p == parent && n == 1 && p[0] == '.'))
			goto bad;
		if (!p[n])
			return 0;
		p += n + 1;
	}
bad:
	return azerr_set(e, "--parent-cgroup '%s': must be a relative path, without '..' "
			 "components or a leading '.'", parent);
}

int cgroup_version_parse(const char *s, unsigned *version, struct azerr *e)
{
	if (strcmp(s, "1") && strcmp(s, "2"))
		return azerr_set(e, "--cgroup-version '%s': must be 1 or 2", s);
	*version = (unsigned)(s[0] - '0');
	return 0;
}

/* The length of FILE's controller name, the part before its first '.'. */
static size_t ctl_len(const char *file)
{
	return strcspn(file, ".");
}

static bool same_ctl(const char *file_a, const char *file_b)
{
	size_t n = ctl_len(file_a);

	return n == ctl_len(file_b) && !strncmp(file_a, file_b, n);
}

/* Whether property i's controller is one an earlier property has. */
static bool seen_before(const struct cgroup_conf *c, unsigned i)
{
	for (unsigned k = 0; k < i; k++)
		if (same_ctl(c->props[k].file, c->props[i].file))
			return true;
	return false;
}

/* Whether word[0..n) is one of the words of list, separated by seps. */
static bool has_word(const char *list, const char *seps, const char *word, size_t n)
{
	for (size_t len; *(list += strspn(list, seps)); list += len) {
		len = strcspn(list, seps);
		if (len == n && !strncmp(list, word, n))
			return true;
	}
	return false;
}

/* Formats a path into buf (PATH_MAX bytes), refusing one that does not fit. */
__attribute__((format(printf, 3, 4)))
static int join(char *buf, struct azerr *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, PATH_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= PATH_MAX)
		return azerr_set(e, "cgroup: path too long: %.200s...", buf);
	return 0;
}

/* Errors other than ENOENT are left for the read or write that follows. */
static bool missing(const char *path)
{
	return access(path, F_OK) < 0 && errno == ENOENT;
}

/* Reads a one-line cgroup file into buf (LINE_MAX_LEN bytes), without its
 * newline. */
static int read_line(const char *path, char *buf, struct azerr *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, LINE_MAX_LEN);
	const char *why = n < 0 ? strerror(errno) : n == LINE_MAX_LEN ? TOO_LONG : NULL;

	if (fd >= 0)
		close(fd);
	if (why)
		return azerr_set(e, "cgroup: cannot read %s: %s", path, why);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Writes text and a newline to dir[0..len)/file in a single write: a
 * cgroup file takes each write as one command. O_CREAT|O_TRUNC as
 * Firecracker's writes have (cgroupfs ignores both for its own files). */
static int write_in(const char *dir, size_t len, const char *file, const char *text,
		    struct azerr *e)
{
	char path[PATH_MAX], line[LINE_MAX_LEN];
	int n = snprintf(line, sizeof(line), "%s\n", text), fd = -1;
	const char *why = NULL;
	ssize_t done;

	if (join(path, e, "%.*s/%s", (int)len, dir, file) < 0)
		return -1;
	if (n >= (int)sizeof(line))
		why = TOO_LONG;
	else if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0 ||
		 (done = write(fd, line, (size_t)n)) < 0)
		why = strerror(errno);
	else if (done != n)
		why = "short write";
	if (fd >= 0)
		close(fd);
	if (why)
		return azerr_set(e, "cgroup: cannot write '%s' to %s: %s", text, path, why);
	return 0;
}

/* The DIR of the first mount of fstype in the mounts file whose options
 * name the controller of file (any, when file is NULL), into root. DIR is
 * taken as written: the kernel's octal escapes (\040 for a space) are not
 * undone, as a cgroup mount point has none in practice. */
static int find_hierarchy(const char *mounts, const char *fstype, const char *file, char *root,
			  struct azerr *e)
{
	FILE *f = fopen(mounts, "re");
	char *line = NULL, *save, *dir, *type, *opts;
	size_t cap = 0;
	int rc = 1; /* until found */

	if (!f)
		return azerr_set(e, "cgroup: cannot read %s: %s", mounts, strerror(errno));
	while (rc > 0 && getline(&line, &cap, f) > 0) {
		if (!strtok_r(line, " \n", &save) || !(dir = strtok_r(NULL, " \n", &save)) ||
		    !(type = strtok_r(NULL, " \n", &save)) || !(opts = strtok_r(NULL, " \n", &save)))
			continue;
		if (!strcmp(type, fstype) && (!file || has_word(opts, ",", file, ctl_len(file))))
			rc = join(root, e, "%s", dir);
	}
	if (rc > 0)
		rc = ferror(f) ? azerr_set(e, "cgroup: cannot read %s: %s", mounts, strerror(errno)) :
		     file ? azerr_set(e, "cgroup: no cgroup v1 hierarchy with the %.*s controller "
				      "mounted (per %s)", (int)ctl_len(file), file, mounts) :
		     azerr_set(e, "cgroup: no cgroup v2 hierarchy mounted (per %s)", mounts);
	free(line);
	fclose(f);
	return rc;
}

/* Creates the levels of dir after its first from characters (the
 * hierarchy's root, which exists), like mkdir -p. */
static int make_dirs(char *dir, size_t from, struct azerr *e)
{
	for (size_t i = from + 1;; i++) {
		char c = dir[i];
		if (c != '/' && c != '\0')
			continue;
		dir[i] = '\0';
		int rc = mkdir(dir, 0755) < 0 && errno != EEXIST ?
			 azerr_set(e, "cgroup: cannot create %s: %s", dir, strerror(errno)) : 0;
		dir[i] = c;
		if (rc < 0 || !c)
			return rc;
	}
}

/* v1: a new cpuset's cpus and mems are empty, and an empty one refuses
 * tasks and values its parent does not allow; mkdir -p can have made empty
 * levels above dir too. So, before VALUE is written, file of dir and of
 * each empty level above it gets the value of the closest ancestor that has
 * one, the hierarchy's root (dir[0..root_len)) at most. Nothing is done
 * when a level has no such file. */
static int inherit(const char *dir, size_t root_len, const char *file, struct azerr *e)
{
	char path[PATH_MAX], value[LINE_MAX_LEN];
	size_t len = strlen(dir), end = len;

	do {
		end = (size_t)((const char *)memrchr(dir, '/', end) - dir);
		if (join(path, e, "%.*s/%s", (int)end, dir, file) < 0)
			return -1;
		if (missing(path))
			return 0;
		if (read_line(path, value, e) < 0)
			return -1;
	} while (!*value && end > root_len);
	while (*value && end < len) {
		end += 1 + strcspn(dir + end + 1, "/");
		if (write_in(dir, end, file, value, e) < 0)
			return -1;
	}
	return 0;
}

static int apply_v1(const struct cgroup_conf *c, const char *mounts, const char *pid,
		    struct azerr *e)
{
	char root[PATH_MAX], dir[PATH_MAX];

	/* One cgroup per controller, in the hierarchy that has it. */
	for (unsigned i = 0; i < c->n_props; i++) {
		const char *f = c->props[i].file;
		if (seen_before(c, i))
			continue;
		if (find_hierarchy(mounts, "cgroup", f, root, e) < 0 ||
		    join(dir, e, "%s/%s/%s", root, c->parent, c->id) < 0 ||
		    make_dirs(dir, strlen(root), e) < 0)
			return -1;
		for (unsigned k = i; k < c->n_props; k++) {
			const struct cgroup_prop *p = &c->props[k];
			if (same_ctl(p->file, f) &&
			    (inherit(dir, strlen(root), p->file, e) < 0 ||
			     write_in(dir, strlen(dir), p->file, p->value, e) < 0))
				return -1;
		}
		if (write_in(dir, strlen(dir), "tasks", pid, e) < 0)
			return -1;
	}
	return 0;
}

/* v2: refuses a property whose controller the hierarchy does not offer,
 * which would otherwise fail later as a missing file. */
static int check_available(const struct cgroup_conf *c, const char *root, struct azerr *e)
{
	char path[PATH_MAX], list[LINE_MAX_LEN];

	if (join(path, e, "%s/cgroup.controllers", root) < 0 || read_line(path, list, e) < 0)
		return -1;
	for (unsigned i = 0; i < c->n_props; i++) {
		const char *f = c->props[i].file;
		if (!has_word(list, " ", f, ctl_len(f)))
			return azerr_set(e, "cgroup: cannot set %s: the %.*s controller is not "
					 "available (not in %s)", f, (int)ctl_len(f), f, path);
	}
	return 0;
}

/* v2: a controller is usable in a cgroup only when every level above it
 * enables it for its children; a level without cgroup.subtree_control is
 * skipped, as Firecracker does. */
static int enable(const char *dir, size_t root_len, const char *file, struct azerr *e)
{
	char path[PATH_MAX], cmd[NAME_MAX + 2];
	size_t last = (size_t)(strrchr(dir, '/') - dir);

	snprintf(cmd, sizeof(cmd), "+%.*s", (int)ctl_len(file), file);
	for (size_t end = root_len; end <= last; end += 1 + strcspn(dir + end + 1, "/")) {
		if (join(path, e, "%.*s/cgroup.subtree_control", (int)end, dir) < 0)
			return -1;
		if (!missing(path) && write_in(dir, end, "cgroup.subtree_control", cmd, e) < 0)
			return -1;
	}
	return 0;
}

static int apply_v2(const struct cgroup_conf *c, const char *mounts, const char *pid,
		    struct azerr *e)
{
	char root[PATH_MAX], dir[PATH_MAX];

	if (find_hierarchy(mounts, "cgroup2", NULL, root, e) < 0)
		return -1;
	/* Firecracker's way to put a VM in a cgroup made beforehand. */
	if (c->n_props == 0)
		return join(dir, e, "%s/%s", root, c->parent) < 0 ? -1 :
		       missing(dir) ? 0 : write_in(dir, strlen(dir), "cgroup.procs", pid, e);
	if (check_available(c, root, e) < 0 ||
	    join(dir, e, "%s/%s/%s", root, c->parent, c->id) < 0 ||
	    make_dirs(dir, strlen(root), e) < 0)
		return -1;
	for (unsigned i = 0; i < c->n_props; i++)
		if (!seen_before(c, i) &&
		    enable(dir, strlen(root), c->props[i].file, e) < 0)
			return -1;
	for (unsigned i = 0; i < c->n_props; i++)
		if (write_in(dir, strlen(dir), c->props[i].file, c->props[i].value, e) < 0)
			return -1;
	return write_in(dir, strlen(dir), "cgroup.procs", pid, e);
}

/* parent as the levels below a hierarchy it names: its components but
 * the empty ones and '.' (cgroup_parent_check took "fc/", "a//b", "a/./b"
 * as Firecracker does), so that each level is walked once. out holds
 * strlen(parent) + 1 bytes at least. */
static void parent_levels(const char *parent, char *out)
{
	size_t o = 0;

	for (const char *p = parent; *p;) {
		size_t n = strcspn(p, "/");
		if (n && !(n == 1 && p[0] == '.')) {
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n + (p[n] == '/');
	}
	out[o] = '\0';
}

int cgroup_apply(const struct cgroup_conf *c, const char *mounts_path, pid_t pid,
		 struct azerr *e)
{
	struct cgroup_conf conf = *c;
	char text[24], parent[PATH_MAX];

	if (strlen(c->parent) >= sizeof(parent))
		return azerr_set(e, "cgroup: --parent-cgroup is longer than %zu bytes",
				 sizeof(parent) - 1);
	parent_levels(c->parent, parent);
	conf.parent = parent;
	snprintf(text, sizeof(text), "%ld", (long)pid);
	return c->version == 2 ? apply_v2(&conf, mounts_path, text, e) :
				 apply_v1(&conf, mounts_path, text, e);
}
