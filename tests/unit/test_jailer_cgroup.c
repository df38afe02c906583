/* The jailer's cgroups (src/jailer/cgroup.c): the option checks, and
 * cgroup_apply run against a fake tree in a temporary directory, whose
 * mounts file points the hierarchies into it. Plain files stand in for the
 * cgroup files: a write replaces the content, so each check reads the last
 * thing written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "jailer/cgroup.h"

#define PID 4321

struct tree {
	char dir[64];
	char mounts[PATH_MAX];
};

/* A line of a mounts file, its DIR under the tree. */
struct mount {
	const char *fstype, *dir, *opts;
};

static struct tree tree;

static const char *at(const char *rel)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tree.dir, rel);
	return path;
}

static void mkdirs(const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", at(rel));
	for (char *p = path + strlen(tree.dir) + 1;; p++) {
		char c = *p;
		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0)
			assert_true(access(path, F_OK) == 0);
		*p = c;
		if (!c)
			return;
	}
}

static void put(const char *rel, const char *content)
{
	FILE *f = fopen(at(rel), "w");

	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

/* The content of a file of the tree; fails the test when it is missing. */
static const char *get(const char *rel)
{
	static char buf[8192];
	FILE *f = fopen(at(rel), "r");

	if (!f)
		fail_msg("%s: missing", rel);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static bool exists(const char *rel)
{
	return access(at(rel), F_OK) == 0;
}

/* Writes a mounts file, as the kernel does, and uses it from then on. */
static void put_mounts(const char *rel, const struct mount *m, size_t n)
{
	FILE *f = fopen(at(rel), "w");

	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s %s/%s %s %s 0 0\n", m[i].fstype, tree.dir, m[i].dir, m[i].fstype,
			m[i].opts);
	fclose(f);
	snprintf(tree.mounts, sizeof(tree.mounts), "%s", at(rel));
}

/* Hierarchies for both versions, decoys first: a tmpfs with controller
 * names in its options, v1 hierarchies whose controllers only start like
 * "cpu", and a second cgroup2 mount, which must not be used. */
static int setup(void **state)
{
	static const struct mount mounts[] = {
		{ "proc", "proc", "rw,nosuid" },
		{ "tmpfs", "decoy", "rw,cpu,cpuset,pids" },
		{ "cgroup", "v1/cpuset", "rw,nosuid,nodev,noexec,relatime,cpuset" },
		{ "cgroup", "v1/cpuacct", "rw,cpuacct" },
		{ "cgroup", "v1/cpu,cpuacct", "rw,nosuid,cpu,cpuacct" },
		{ "cgroup2", "v2", "rw,nosuid,nodev,noexec,relatime" },
		{ "cgroup2", "v2-again", "rw" },
	};
	(void)state;

	snprintf(tree.dir, sizeof(tree.dir), "/tmp/azote-cgroup-XXXXXX");
	assert_non_null(mkdtemp(tree.dir));
	mkdirs("v1/cpuset");
	mkdirs("v1/cpuacct");
	mkdirs("v1/cpu,cpuacct");
	mkdirs("v2");
	put_mounts("mounts", mounts, sizeof(mounts) / sizeof(mounts[0]));
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tree.dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void conf(struct cgroup_conf *c, unsigned version, const char *parent,
		 const struct cgroup_prop *props, unsigned n)
{
	*c = (struct cgroup_conf){ .version = version, .parent = parent, .id = "vm1",
				   .n_props = n };
	for (unsigned i = 0; i < n; i++)
		c->props[i] = props[i];
}

static void test_prop_parse(void **state)
{
	static const struct { const char *arg, *file, *value; } good[] = {
		{ "cpu.max=50000 100000", "cpu.max", "50000 100000" },
		{ "cpuset.cpus=0-1", "cpuset.cpus", "0-1" },
		{ "memory.max=268435456", "memory.max", "268435456" },
		{ "hugetlb.2MB.max=0", "hugetlb.2MB.max", "0" },
	};
	struct cgroup_prop p;
	struct azerr e;
	(void)state;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (cgroup_prop_parse(good[i].arg, &p, &e) < 0)
			fail_msg("'%s': %s", good[i].arg, e.msg);
		assert_string_equal(p.file, good[i].file);
		assert_string_equal(p.value, good[i].value);
		free((char *)p.file);
	}
}

static void test_prop_refused(void **state)
{
	static const char *const bad[] = {
		"", "cpu.max", "=", "=1", "cpu.max=", "cpu.max=1=2", "cpu=1", "a/b.max=1",
		"../x.y=1", ".=1", "..=1", ".max=1", "cpu.max=1\n2", "cpu.max\n=1",
		"cgroup.procs=1", "cgroup.freeze=1", "cgroup.max.depth=2",
	};
	struct cgroup_prop p = { "untouched", "untouched" };
	struct azerr e;
	char want[600], long_name[300];
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cgroup_prop_parse(bad[i], &p, &e), -1);
		snprintf(want, sizeof(want), "--cgroup '%s': ", bad[i]);
		if (strncmp(e.msg, want, strlen(want)))
			fail_msg("'%s': %s", bad[i], e.msg);
	}
	assert_string_equal(p.file, "untouched");
	/* A FILE no file system could hold. */
	memset(long_name, 'a', sizeof(long_name));
	memcpy(long_name, "cpu.", 4);
	memcpy(long_name + sizeof(long_name) - 3, "=1", 3);
	assert_int_equal(cgroup_prop_parse(long_name, &p, &e), -1);
	assert_non_null(strstr(e.msg, "at most 255"));
	/* v2's core files move any process, freeze the jailer...: refused,
	 * as Firecracker's jailer refuses them, naming the option. */
	assert_int_equal(cgroup_prop_parse("cgroup.procs=4321", &p, &e), -1);
	assert_string_equal(e.msg, "--cgroup 'cgroup.procs=4321': FILE must be a "
			    "controller's: cgroup.* files are refused");
}

static void test_parent_check(void **state)
{
	/* As Firecracker's env.rs, which refuses the root, '..', and the
	 * '.' that Rust's Path::components keeps (a leading one): a trailing
	 * '/', an empty component or an inner '.' are nothing to it. */
	static const char *const good[] = {
		"azote", "a/b", "firecracker/vms", "a.b", "..a", "a..", "fc/", "a//b", "a/./b", "a/.",
	};
	static const char *const bad[] = {
		"", "/", "/abs", ".", "..", "a/../b", "./a", "../a", "a/..", "./",
	};
	struct azerr e;
	char want[64];
	(void)state;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (cgroup_parent_check(good[i], &e) < 0)
			fail_msg("'%s': %s", good[i], e.msg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cgroup_parent_check(bad[i], &e), -1);
		snprintf(want, sizeof(want), "--parent-cgroup '%s': ", bad[i]);
		if (strncmp(e.msg, want, strlen(want)))
			fail_msg("'%s': %s", bad[i], e.msg);
	}
}

static void test_version_parse(void **state)
{
	static const char *const bad[] = { "0", "3", "", "x", "1x", " 1", "01", "12" };
	unsigned v = 0;
	struct azerr e;
	char want[64];
	(void)state;

	assert_int_equal(cgroup_version_parse("1", &v, &e), 0);
	assert_int_equal(v, 1);
	assert_int_equal(cgroup_version_parse("2", &v, &e), 0);
	assert_int_equal(v, 2);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cgroup_version_parse(bad[i], &v, &e), -1);
		snprintf(want, sizeof(want), "--cgroup-version '%s': must be 1 or 2", bad[i]);
		assert_string_equal(e.msg, want);
	}
	assert_int_equal(v, 2);
}

/* Each v1 controller's cgroup goes in the first hierarchy whose options
 * name it exactly: "cpu" is not "cpuacct" nor "cpuset", and a tmpfs with
 * "cpu" in its options is no hierarchy. */
static void test_v1_hierarchies(void **state)
{
	static const struct cgroup_prop props[] = { { "cpu.shares", "512" } };
	struct cgroup_conf c;
	struct azerr e;
	(void)state;

	conf(&c, 1, "azote", props, 1);
	if (cgroup_apply(&c, tree.mounts, PID, &e) < 0)
		fail_msg("%s", e.msg);
	/* The parent has no cpu.shares: nothing inherited, only the value. */
	assert_string_equal(get("v1/cpu,cpuacct/azote/vm1/cpu.shares"), "512\n");
	assert_string_equal(get("v1/cpu,cpuacct/azote/vm1/tasks"), "4321\n");
	assert_false(exists("v1/cpuacct/azote"));
	assert_false(exists("v1/cpuset/azote"));
	assert_false(exists("decoy"));
}

/* cpuset.cpus and cpuset.mems of the empty levels between the hierarchy's
 * root and the VM's cgroup get the root's values, the properties are
 * written, and the pid goes into tasks of each controller's cgroup. */
static void test_v1_apply(void **state)
{
	static const struct cgroup_prop props[] = {
		{ "cpuset.cpus", "1" }, { "cpu.shares", "512" }, { "cpuset.mems", "0" },
	};
	struct cgroup_conf c;
	struct azerr e;
	(void)state;

	put("v1/cpuset/cpuset.cpus", "0-1\n");
	put("v1/cpuset/cpuset.mems", "0\n");
	/* Levels as the kernel makes them: files present, and empty. */
	mkdirs("v1/cpuset/azote/vms");
	put("v1/cpuset/azote/cpuset.cpus", "\n");
	put("v1/cpuset/azote/cpuset.mems", "\n");
	put("v1/cpuset/azote/vms/cpuset.cpus", "");
	put("v1/cpuset/azote/vms/cpuset.mems", "\n");
	conf(&c, 1, "azote/vms", props, 3);
	if (cgroup_apply(&c, tree.mounts, PID, &e) < 0)
		fail_msg("%s", e.msg);
	assert_string_equal(get("v1/cpuset/cpuset.cpus"), "0-1\n");
	assert_string_equal(get("v1/cpuset/azote/cpuset.cpus"), "0-1\n");
	assert_string_equal(get("v1/cpuset/azote/vms/cpuset.cpus"), "0-1\n");
	assert_string_equal(get("v1/cpuset/azote/vms/vm1/cpuset.cpus"), "1\n");
	assert_string_equal(get("v1/cpuset/azote/vms/cpuset.mems"), "0\n");
	assert_string_equal(get("v1/cpuset/azote/vms/vm1/cpuset.mems"), "0\n");
	assert_string_equal(get("v1/cpuset/azote/vms/vm1/tasks"), "4321\n");
	assert_string_equal(get("v1/cpu,cpuacct/azote/vms/vm1/cpu.shares"), "512\n");
	assert_string_equal(get("v1/cpu,cpuacct/azote/vms/vm1/tasks"), "4321\n");
}

/* The inherited value is in the new cgroup before VALUE is written: here
 * VALUE is refused (too long for one write), and the parent's stays. */
static void test_v1_inherit_first(void **state)
{
	static char big[5000];
	const struct cgroup_prop props[] = { { "cpuset.cpus", big } };
	struct cgroup_conf c;
	struct azerr e;
	(void)state;

	memset(big, '1', sizeof(big) - 1);
	mkdirs("v1/cpuset/azote");
	put("v1/cpuset/azote/cpuset.cpus", "0-1\n");
	conf(&c, 1, "azote", props, 1);
	assert_int_equal(cgroup_apply(&c, tree.mounts, PID, &e), -1);
	assert_non_null(strstr(e.msg, "cgroup: cannot write '1111"));
	assert_string_equal(get("v1/cpuset/azote/vm1/cpuset.cpus"), "0-1\n");
	assert_false(exists("v1/cpuset/azote/vm1/tasks"));
}

/* v2: the controller is enabled from the root down to the VM's parent (a
 * level without cgroup.subtree_control skipped, none made), once for both
 * of its properties, and the pid goes into cgroup.procs. */
static void test_v2_apply(void **state)
{
	static const struct cgroup_prop props[] = {
		{ "pids.max", "64" }, { "pids.max", "32" },
	};
	struct cgroup_conf c;
	struct azerr e;
	(void)state;

	put("v2/cgroup.controllers", "cpu memory pids\n");
	put("v2/cgroup.subtree_control", "");
	mkdirs("v2/a/b/c");
	put("v2/a/b/cgroup.subtree_control", "");
	put("v2/a/b/c/cgroup.subtree_control", "");
	/* A parent as Firecracker takes it: empty components and an inner
	 * '.' name the same levels. */
	conf(&c, 2, "a//b/./c/", props, 2);
	if (cgroup_apply(&c, tree.mounts, PID, &e) < 0)
		fail_msg("%s", e.msg);
	assert_string_equal(get("v2/cgroup.subtree_control"), "+pids\n");
	assert_false(exists("v2/a/cgroup.subtree_control"));
	assert_string_equal(get("v2/a/b/cgroup.subtree_control"), "+pids\n");
	assert_string_equal(get("v2/a/b/c/cgroup.subtree_control"), "+pids\n");
	assert_false(exists("v2/a/b/c/vm1/cgroup.subtree_control"));
	assert_string_equal(get("v2/a/b/c/vm1/pids.max"), "32\n");
	assert_string_equal(get("v2/a/b/c/vm1/cgroup.procs"), "4321\n");
	assert_false(exists("v2-again"));
}

/* Refused before anything is made, naming the property and controller. */
static void test_v2_unavailable(void **state)
{
	static const struct cgroup_prop props[] = {
		{ "pids.max", "64" }, { "hugetlb.2MB.max", "0" },
	};
	struct cgroup_conf c;
	struct azerr e;
	(void)state;

	put("v2/cgroup.controllers", "cpu memory pids\n");
	conf(&c, 2, "azote", props, 2);
	assert_int_equal(cgroup_apply(&c, tree.mounts, PID, &e), -1);
	assert_non_null(strstr(e.msg, "cannot set hugetlb.2MB.max: the hugetlb controller "
				"is not available"));
	assert_false(exists("v2/azote"));
}

/* v2 without properties: into the parent if it exists, nothing made. */
static void test_v2_no_props(void **state)
{
	struct cgroup_conf c;
	struct azerr e;
	(void)state;

	mkdirs("v2/ready/vms");
	conf(&c, 2, "ready/vms", NULL, 0);
	assert_int_equal(cgroup_apply(&c, tree.mounts, PID, &e), 0);
	assert_string_equal(get("v2/ready/vms/cgroup.procs"), "4321\n");
	assert_false(exists("v2/ready/vms/vm1"));
	conf(&c, 2, "absent", NULL, 0);
	assert_int_equal(cgroup_apply(&c, tree.mounts, PID, &e), 0);
	assert_false(exists("v2/absent"));
	/* And v1 without properties does nothing at all. */
	conf(&c, 1, "ready", NULL, 0);
	assert_int_equal(cgroup_apply(&c, "/nonexistent/mounts", PID, &e), 0);
}

/* A write the kernel (here: the file system) refuses names the value, the
 * path and the reason. */
static void test_write_error(void **state)
{
	static const struct cgroup_prop props[] = { { "cpu.max", "50000 100000" } };
	struct cgroup_conf c;
	struct azerr e;
	char want[PATH_MAX + 128];
	(void)state;

	put("v2/cgroup.controllers", "cpu\n");
	mkdirs("v2/azote/vm1/cpu.max");
	conf(&c, 2, "azote", props, 1);
	assert_int_equal(cgroup_apply(&c, tree.mounts, PID, &e), -1);
	snprintf(want, sizeof(want), "cgroup: cannot write '50000 100000' to %s: Is a directory",
		 at("v2/azote/vm1/cpu.max"));
	assert_string_equal(e.msg, want);
}

static void test_no_hierarchy(void **state)
{
	static const struct mount v1_only[] = {
		{ "cgroup", "v1/cpuset", "rw,cpuset" }, { "tmpfs", "decoy", "rw,cgroup2" },
	};
	static const struct cgroup_prop pids[] = { { "pids.max", "64" } };
	struct cgroup_conf c;
	struct azerr e;
	char want[PATH_MAX + 128];
	(void)state;

	put_mounts("mounts-v1", v1_only, 2);
	conf(&c, 2, "azote", pids, 1);
	assert_int_equal(cgroup_apply(&c, tree.mounts, PID, &e), -1);
	snprintf(want, sizeof(want), "cgroup: no cgroup v2 hierarchy mounted (per %s)",
		 tree.mounts);
	assert_string_equal(e.msg, want);
	conf(&c, 1, "azote", pids, 1);
	assert_int_equal(cgroup_apply(&c, tree.mounts, PID, &e), -1);
	snprintf(want, sizeof(want), "cgroup: no cgroup v1 hierarchy with the pids controller "
		 "mounted (per %s)", tree.mounts);
	assert_string_equal(e.msg, want);
	assert_int_equal(cgroup_apply(&c, "/nonexistent/mounts", PID, &e), -1);
	assert_string_equal(e.msg, "cgroup: cannot read /nonexistent/mounts: No such file or "
			    "directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prop_parse),
		cmocka_unit_test(test_prop_refused),
		cmocka_unit_test(test_parent_check),
		cmocka_unit_test(test_version_parse),
		cmocka_unit_test_setup_teardown(test_v1_hierarchies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_inherit_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_unavailable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_no_props, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_hierarchy, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
