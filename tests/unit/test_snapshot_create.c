/* vmm/snapshot_ops.c's snapshot_create, on real files: a create that
 * fails leaves the previous snapshot at the same paths as it was, its
 * memory file included, so that the old state file is never left beside
 * another snapshot's memory (whose size matches: a load would take the
 * pair). The machine's parts and KVM's dirty log are this file's
 * stand-ins; the files are written by the real code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "arch/x86/e820.h"

#include "vmm/snapshot.h"
#include "vmm/snapshot_file.h"
#include "vmm/sandbox.h"
#include "vmm/snapshot_mem.h"
#include "vmm/vm_genid.h"

#define PG DIRTY_LOG_PAGE

/* ---- stand-ins: the parts save one section; nothing else runs ---- */

int vm_snapshot_save(struct vm *vm, struct state_set *s, struct azerr *e)
{
	uint32_t marker = 0x5a5a;

	(void)vm;
	return state_put(s, STATE_VCPU_REGS, 0, &marker, sizeof(marker), e);
}

int vm_snapshot_resume(struct vm *vm, struct azerr *e)
{
	(void)vm;
	(void)e;
	return 0;
}

/* KVM's log: nothing more than the bits the test sets in the cards'. */
int dirty_log_collect(struct dirty_log *l, int vm_fd, const struct guest_mem *m,
		      struct azerr *e)
{
	(void)l, (void)vm_fd, (void)m, (void)e;
	return 0;
}

/* The load side, linked but not run here. */
int vm_snapshot_restore(struct vm *vm, const struct state_set *s, struct azerr *e)
{
	(void)vm, (void)s;
	return azerr_set(e, "not in this test");
}

int vm_create_restored(struct vm *vm, const struct vm_config *c, const char *mem_path,
		       bool mem_uffd, struct azerr *e)
{
	(void)vm, (void)c, (void)mem_path, (void)mem_uffd;
	return azerr_set(e, "not in this test");
}

int vm_start(struct vm *vm, struct azerr *e)
{
	(void)vm;
	return azerr_set(e, "not in this test");
}

int vm_destroy(struct vm *vm)
{
	(void)vm;
	return 0;
}

int vm_genid_new(struct guest_mem *m, struct azerr *e)
{
	(void)m;
	return azerr_set(e, "not in this test");
}

void vm_genid_notify(int vm_fd)
{
	(void)vm_fd;
}

bool vmm_sandbox_custom(void)
{
	return false;
}

/* ---- the fixture: a paused VM of 3 MiB in two regions, a directory ---- */

struct fixture {
	struct vm vm;
	char dir[64];
	char path[8][128];
};

static const char *at(struct fixture *f, int slot, const char *name)
{
	snprintf(f->path[slot], sizeof(f->path[slot]), "%s/%s", f->dir, name);
	return f->path[slot];
}

static int setup(void **st)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct azerr e;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/test_snapshot_create.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	guest_mem_layout(&f->vm.mem, 3 << 20, 2 << 20, 4 << 20);
	assert_int_equal(guest_mem_create(&f->vm.mem, &e), 0);
	f->vm.nr_vcpus = 1;
	f->vm.vm_fd = -1;
	f->vm.lazy.file_fd = f->vm.lazy.handler_fd = -1;
	dirty_log_none(&f->vm.dirty);
	*st = f;
	return 0;
}

static int teardown(void **st)
{
	struct fixture *f = *st;
	char cmd[96];

	dirty_log_destroy(&f->vm.dirty);
	guest_mem_destroy(&f->vm.mem);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Every page of RAM gets seed in its first word. */
static void fill(struct vm *vm, uint64_t seed)
{
	for (int i = 0; i < vm->mem.nr_regions; i++)
		for (uint64_t off = 0; off < vm->mem.regions[i].size; off += PG)
			*(uint64_t *)(vm->mem.regions[i].hva + off) = seed;
}

/* The first word of the memory file's page at memfd offset off. */
static uint64_t word_at(const char *path, uint64_t off)
{
	uint64_t w = 0;
	FILE *fp = fopen(path, "rb");

	assert_non_null(fp);
	assert_int_equal(fseek(fp, (long)off, SEEK_SET), 0);
	assert_int_equal(fread(&w, sizeof(w), 1, fp), 1);
	fclose(fp);
	return w;
}

static ino_t inode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

/* dir holds exactly these names (a space after each, sorted): no
 * temporary file left. */
static void assert_dir_holds(const char *dir, const char *names)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "test \"$(ls -A '%s' | tr '\\n' ' ')\" = '%s'", dir, names);
	if (system(cmd) != 0)
		fail_msg("%s does not hold exactly '%s'", dir, names);
}

static void assert_msg(const struct azerr *e, const char *want)
{
	if (!strstr(e->msg, want))
		fail_msg("'%s' not in '%s'", want, e->msg);
}

/* The review's case: a Full snapshot, then another to the same memory
 * file with its state file in a missing directory. The state file cannot
 * be written: the memory file must not have been replaced either. */
static void test_full_failed_keeps_previous(void **st)
{
	struct fixture *f = *st;
	struct azerr e = { "" };
	const char *snap = at(f, 0, "state"), *mem = at(f, 1, "mem");

	fill(&f->vm, 1);
	assert_int_equal(snapshot_create(&f->vm, SNAPSHOT_FULL, "{}", snap, mem, &e), 0);
	ino_t before = inode(mem);
	fill(&f->vm, 2);
	assert_int_equal(snapshot_create(&f->vm, SNAPSHOT_FULL, "{}", at(f, 2, "missing/state"),
					 mem, &e), -1);
	assert_msg(&e, "missing/state: No such file or directory");
	assert_int_equal(inode(mem), before);
	assert_int_equal(word_at(mem, 0), 1);
	assert_int_equal(word_at(mem, (2 << 20) + PG), 1);
	assert_dir_holds(f->dir, "mem state ");
}

/* The same with a directory standing where the state file would go: the
 * rename over it would fail last, after RAM; it is refused first. */
static void test_full_state_path_a_directory(void **st)
{
	struct fixture *f = *st;
	struct azerr e = { "" };
	const char *snap = at(f, 0, "state"), *mem = at(f, 1, "mem");

	fill(&f->vm, 1);
	assert_int_equal(snapshot_create(&f->vm, SNAPSHOT_FULL, "{}", snap, mem, &e), 0);
	ino_t before = inode(mem);
	assert_int_equal(mkdir(at(f, 2, "sub"), 0700), 0);
	fill(&f->vm, 2);
	assert_int_equal(snapshot_create(&f->vm, SNAPSHOT_FULL, "{}", f->path[2], mem, &e), -1);
	assert_msg(&e, "/sub: Is a directory");
	assert_int_equal(inode(mem), before);
	assert_int_equal(word_at(mem, 0), 1);
	assert_dir_holds(f->dir, "mem state sub ");
}

/* Firecracker's merge of a Diff onto the base's memory file writes into
 * that file in place: a Diff whose state file cannot be written must not
 * have merged anything, or the base's own state file would be left
 * beside memory that is no longer its own. Its pages stay recorded for
 * the next Diff, which merges them. */
static void test_diff_in_place_failed_keeps_base(void **st)
{
	struct fixture *f = *st;
	struct azerr e = { "" };
	const char *snap = at(f, 0, "state"), *mem = at(f, 1, "mem");

	assert_int_equal(dirty_log_create(&f->vm.dirty, &f->vm.mem, true, &e), 0);
	fill(&f->vm, 1);
	assert_int_equal(snapshot_create(&f->vm, SNAPSHOT_FULL, "{}", snap, mem, &e), 0);
	ino_t before = inode(mem);
	*(uint64_t *)f->vm.mem.regions[0].hva = 2;
	f->vm.dirty.bits[0] |= 1;
	assert_int_equal(snapshot_create(&f->vm, SNAPSHOT_DIFF, "{}", at(f, 2, "missing/state"),
					 mem, &e), -1);
	assert_msg(&e, "missing/state: No such file or directory");
	assert_int_equal(word_at(mem, 0), 1);
	assert_true(dirty_log_test(&f->vm.dirty, 0));
	assert_dir_holds(f->dir, "mem state ");

	/* The next Diff, to a state file that can be written, merges. */
	assert_int_equal(snapshot_create(&f->vm, SNAPSHOT_DIFF, "{}", at(f, 3, "diff-state"),
					 mem, &e), 0);
	assert_int_equal(inode(mem), before);
	assert_int_equal(word_at(mem, 0), 2);
	assert_false(dirty_log_test(&f->vm.dirty, 0));
	assert_dir_holds(f->dir, "diff-state mem state ");
}

/* A Diff to a new memory file: the same as Full, the file is new. */
static void test_diff_new_file_failed_keeps_previous(void **st)
{
	struct fixture *f = *st;
	struct azerr e = { "" };
	const char *snap = at(f, 0, "state"), *mem = at(f, 1, "mem");

	assert_int_equal(dirty_log_create(&f->vm.dirty, &f->vm.mem, true, &e), 0);
	fill(&f->vm, 1);
	assert_int_equal(snapshot_create(&f->vm, SNAPSHOT_FULL, "{}", snap, mem, &e), 0);
	/* Not the RAM's size: not a base, so a Diff would replace it. */
	assert_int_equal(truncate(mem, PG), 0);
	ino_t before = inode(mem);
	f->vm.dirty.bits[0] |= 1;
	assert_int_equal(snapshot_create(&f->vm, SNAPSHOT_DIFF, "{}", at(f, 2, "missing/state"),
					 mem, &e), -1);
	assert_int_equal(inode(mem), before);
	struct stat sb;
	assert_int_equal(stat(mem, &sb), 0);
	assert_int_equal(sb.st_size, PG);
	assert_dir_holds(f->dir, "mem state ");
}

/* The snapshot's configuration, as a load reads it: the fixture's VM. */
static int configure(void *arg, const char *json, size_t len, const char *name,
		     struct vm_config *cfg, struct azerr *e)
{
	(void)arg, (void)json, (void)len, (void)name, (void)e;
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_cpus = 1;
	cfg->mem_bytes = 3 << 20;
	return 0;
}

/* Loads snap with mem (NULL: the memory file it recorded) as far as this
 * test goes: e says where it stopped ("not in this test": at building the
 * VM, every check of the files passed). */
static int load(struct fixture *f, const char *snap, const char *mem, struct azerr *e)
{
	struct snapshot_load_req req = { .snapshot_path = snap, .mem_path = mem,
					 .configure = configure };
	struct vm_config cfg;

	return snapshot_load(&f->vm, &req, &cfg, e);
}

/* RAM laid out as a load lays it out (so that the header's layout passes),
 * dirty-logged with logged, filled with 1 and saved whole to snap and mem.
 * Skips the test where mem's file system keeps no extended attributes:
 * nothing ties the two files there. */
static void full_snapshot_as_loaded(struct fixture *f, bool logged, const char *snap,
				    const char *mem)
{
	struct azerr e = { "" };

	guest_mem_destroy(&f->vm.mem);
	e820_ram_layout(&f->vm.mem, 3 << 20);
	assert_int_equal(guest_mem_create(&f->vm.mem, &e), 0);
	if (logged)
		assert_int_equal(dirty_log_create(&f->vm.dirty, &f->vm.mem, true, &e), 0);
	fill(&f->vm, 1);
	assert_int_equal(snapshot_create(&f->vm, SNAPSHOT_FULL, "{}", snap, mem, &e), 0);
	if (getxattr(mem, "user.azote.snapshot-id", NULL, 0) < 0 && errno == ENOTSUP)
		skip();
}

/* A crash between a create's two renames leaves its new memory file
 * beside the previous snapshot's state file, of the same size. A load of
 * that pair must refuse it, naming both files, rather than restore the
 * old machine over the new memory; the files of one create still load,
 * and so does a memory file that carries no ID (copied without its
 * extended attributes). */
static void test_load_refuses_another_snapshots_memory(void **st)
{
	struct fixture *f = *st;
	struct azerr e = { "" };
	const char *snap = at(f, 0, "state"), *mem = at(f, 1, "mem");
	const char *snap2 = at(f, 2, "state2"), *mem2 = at(f, 3, "mem2");

	full_snapshot_as_loaded(f, false, snap, mem);
	fill(&f->vm, 2);
	assert_int_equal(snapshot_create(&f->vm, SNAPSHOT_FULL, "{}", snap2, mem2, &e), 0);
	/* The second create's memory file renamed over the first's, its
	 * state file not yet: the crash. */
	assert_int_equal(rename(mem2, mem), 0);
	assert_int_equal(load(f, snap, NULL, &e), -1);
	assert_msg(&e, "guest memory file ");
	assert_msg(&e, "/mem is not the memory of snapshot ");
	assert_msg(&e, "/state: it carries snapshot ID ");
	assert_int_equal(load(f, snap2, mem, &e), -1);
	assert_msg(&e, "not in this test");
	assert_int_equal(removexattr(mem, "user.azote.snapshot-id"), 0);
	assert_int_equal(load(f, snap, NULL, &e), -1);
	assert_msg(&e, "not in this test");
}

/* A Diff merged into the base's memory file in place makes it the diff's
 * memory: the base's state file no longer loads with it, the diff's
 * does. */
static void test_diff_in_place_is_the_diffs_memory(void **st)
{
	struct fixture *f = *st;
	struct azerr e = { "" };
	const char *snap = at(f, 0, "state"), *mem = at(f, 1, "mem");
	const char *diff = at(f, 2, "diff-state");

	full_snapshot_as_loaded(f, true, snap, mem);
	*(uint64_t *)f->vm.mem.regions[0].hva = 2;
	f->vm.dirty.bits[0] |= 1;
	assert_int_equal(snapshot_create(&f->vm, SNAPSHOT_DIFF, "{}", diff, mem, &e), 0);
	assert_int_equal(word_at(mem, 0), 2);
	assert_int_equal(load(f, snap, NULL, &e), -1);
	assert_msg(&e, "/mem is not the memory of snapshot ");
	assert_int_equal(load(f, diff, NULL, &e), -1);
	assert_msg(&e, "not in this test");
}

/* A VM loaded from a page-fault handler (the Uffd backend) whose process
 * has since ended: a Full snapshot would read the pages it never served
 * through the mapping, and wait on the first for good, the main thread
 * with it. It is refused instead, naming the handler; nothing is written.
 * (The alarm ends this test where the create would hang.) */
static void test_full_with_handler_gone(void **st)
{
	struct fixture *f = *st;
	struct azerr e = { "" };
	const char *snap = at(f, 0, "state"), *mem = at(f, 1, "mem");
	int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	struct uffdio_api api = { .api = UFFD_API };

	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) < 0 ||
	    !(api.features & UFFD_FEATURE_MISSING_SHMEM))
		skip();
	/* The handler's userfaultfd, azote's copy: nothing serves it. */
	for (int i = 0; i < f->vm.mem.nr_regions; i++) {
		struct uffdio_register reg = {
			.range = { .start = (uintptr_t)f->vm.mem.regions[i].hva,
				   .len = f->vm.mem.regions[i].size },
			.mode = UFFDIO_REGISTER_MODE_MISSING,
		};
		assert_int_equal(ioctl(uffd, UFFDIO_REGISTER, &reg), 0);
	}
	pid_t handler = fork();
	if (handler == 0)
		_exit(0);
	int pidfd = (int)syscall(SYS_pidfd_open, handler, 0);
	assert_true(pidfd >= 0);
	waitpid(handler, NULL, 0);
	f->vm.lazy.handler_fd = uffd;  /* any open fd: "loaded from a handler" */
	f->vm.lazy.handler_pidfd = pidfd;
	alarm(10);
	assert_int_equal(snapshot_create(&f->vm, SNAPSHOT_FULL, "{}", snap, mem, &e), -1);
	alarm(0);
	assert_msg(&e, "/mem: the page-fault handler the VM was loaded from has ended");
	assert_dir_holds(f->dir, "");
	f->vm.lazy.handler_fd = -1;
	close(pidfd);
	close(uffd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_failed_keeps_previous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_state_path_a_directory, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_diff_in_place_failed_keeps_base, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_diff_new_file_failed_keeps_previous, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_load_refuses_another_snapshots_memory, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_diff_in_place_is_the_diffs_memory, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_full_with_handler_gone, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
