/* vmm/sandbox: each role's filter lets through what the role does and kills
 * the process on anything else; it binds only the thread that installs it;
 * log and off let everything through. Each case runs in a child process,
 * since a filter cannot be taken off again. No /dev/kvm is needed: a KVM
 * ioctl on an eventfd passes the filter and then fails with ENOTTY. */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/userfaultfd.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/fdio.h"
#include "common/log.h"
#include "common/mem_file_id.h"
#include "vmm/atomic_file.h"
#include "vmm/sandbox.h"
#include "vmm/snapshot_mem.h"

/* What the child does once inside its role; its return is the exit code. */
typedef int (*inside_fn)(void);

/* Ends a child at once with exit_group, itself: no atexit handler, and no
 * sanitizer's exit work (sigaltstack, a leak check), runs under the
 * filter. */
static void child_exit(int code)
{
	syscall(SYS_exit_group, code);
}

/* Runs body(arg) in a child, which exits with what it returns (or ends
 * itself earlier); returns the child's wait status. */
static int run_forked(int (*body)(const void *), const void *arg)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		child_exit(body(arg));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* A role case: the mode, the role, and what the child does inside it. */
struct role_case {
	enum jail_seccomp_mode mode;
	enum vmm_role role;
	inside_fn fn;
};

static int in_role(const void *arg)
{
	const struct role_case *c = arg;
	struct azerr e;

	vmm_sandbox_set_mode(c->mode);
	return vmm_sandbox_enter(c->role, NULL, &e) < 0 ? 100 : c->fn();
}

/* Runs fn in a child after it entered role in mode; returns the child's
 * wait status. */
static int run_child(enum jail_seccomp_mode mode, enum vmm_role role, inside_fn fn)
{
	const struct role_case c = { mode, role, fn };

	return run_forked(in_role, &c);
}

static void assert_exited(int status, int code)
{
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), code);
}

static void assert_killed(int status)
{
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

/* What a vCPU thread does on its exits: KVM ioctls, eventfds, vhost-user
 * messages, logging. */
static int vcpu_work(void)
{
	uint64_t one = 1;
	int fd = eventfd(0, EFD_CLOEXEC);

	if (fd < 0)
		return 1;
	if (ioctl(fd, KVM_RUN, 0) != -1 || errno != ENOTTY)
		return 2;
	if (ioctl(fd, KVM_SIGNAL_MSI, NULL) != -1 || errno != ENOTTY)
		return 3;
	if (write(fd, &one, sizeof(one)) != sizeof(one) ||
	    read(fd, &one, sizeof(one)) != sizeof(one))
		return 4;
	close(fd);
	return 0;
}

static int do_open(void)
{
	return open("/dev/null", O_RDONLY) >= 0 ? 0 : 5;
}

/* What the main thread may open (a PATCH's new image), and may not. */
static int do_open_rw_direct(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_DIRECT);

	return fd >= 0 || errno == EINVAL ? 0 : 5; /* O_DIRECT may be refused */
}

/* A PATCH's new image (vmm/card_update.c): a FIFO put at the path must be
 * refused, not waited on, so the open is non-blocking, then made blocking
 * again for the card. */
static char image_path[64];
static int do_open_image(void)
{
	struct azerr e;

	return open_image(image_path, O_RDWR, "drive0", &e) >= 0 ? 0 : 5;
}

static int do_access(void)
{
	return access("/dev/null", R_OK | W_OK) == 0 ? 0 : 5;
}

static int do_creat(void)
{
	return open("/tmp/azote-sandbox-creat", O_WRONLY | O_CREAT | O_CLOEXEC, 0600) >= 0 ? 0 : 5;
}

static int do_trunc(void)
{
	return open("/dev/null", O_RDWR | O_TRUNC) >= 0 ? 0 : 5;
}

static int do_socket(void)
{
	return socket(AF_UNIX, SOCK_STREAM, 0) >= 0 ? 0 : 6;
}

static int do_execve(void)
{
	char *argv[] = { "true", NULL };

	execve("/bin/true", argv, NULL);
	return 7;
}

/* An ioctl no role makes: pushing input into a terminal (TIOCSTI), the
 * classic way out of a sandbox that shares one. */
static int do_tiocsti(void)
{
	char c = 'x';

	ioctl(0, TIOCSTI, &c);
	return 0;
}

/* A KVM ioctl only vCPU threads make. */
static int do_kvm_run(void)
{
	ioctl(0, KVM_RUN, 0);
	return 0;
}

static int do_kill_self_0(void)
{
	return kill(getpid(), 0) == 0 ? 0 : 8;
}

static void test_vcpu_role_allows_its_work(void **state)
{
	(void)state;
	assert_exited(run_child(JAIL_SECCOMP_KILL, VMM_ROLE_VCPU, vcpu_work), 0);
}

static void test_vcpu_role_kills_the_rest(void **state)
{
	(void)state;
	assert_killed(run_child(JAIL_SECCOMP_KILL, VMM_ROLE_VCPU, do_open));
	assert_killed(run_child(JAIL_SECCOMP_KILL, VMM_ROLE_VCPU, do_socket));
	assert_killed(run_child(JAIL_SECCOMP_KILL, VMM_ROLE_VCPU, do_execve));
	assert_killed(run_child(JAIL_SECCOMP_KILL, VMM_ROLE_VCPU, do_tiocsti));
	/* kill(2) is the event loop's (cards); a vCPU only signals threads. */
	assert_killed(run_child(JAIL_SECCOMP_KILL, VMM_ROLE_VCPU, do_kill_self_0));
}

/* PUT /snapshot/create on the main thread of a running VM: a file
 * written whole (temporary file, fsync, rename, the directory fsync'ed),
 * and a failed one removed. */
static char snap_dir[64];
/* A VM's RAM, one page of it written, and the memory file of a lazy
 * load, opened before the filter as azote has them. */
static struct guest_mem snap_ram;
static int snap_origin = -1;

static int write_snapshot_file(void)
{
	char path[128], bad[128];
	struct atomic_file f;
	struct azerr e;

	/* A Full snapshot's memory file: its holes found (lseek), those
	 * of the lazy load read from its file (pread64), its snapshot ID
	 * set (fsetxattr). */
	const uint8_t id[MEM_FILE_ID_SIZE] = { 1 };
	snprintf(path, sizeof(path), "%s/vm.mem", snap_dir);
	if (snapshot_mem_save(&snap_ram, &(struct mem_holes){ .file_fd = snap_origin }, id, path,
			      &e) < 0)
		return 13;

	snprintf(path, sizeof(path), "%s/vm.snap", snap_dir);
	snprintf(bad, sizeof(bad), "%s/none/vm.snap", snap_dir);
	if (atomic_file_open(&f, path, &e) < 0 || atomic_file_write(&f, "x", 1, &e) < 0 ||
	    atomic_file_commit(&f, &e) < 0)
		return 10;
	if (atomic_file_open(&f, bad, &e) == 0)
		return 11;
	if (atomic_file_open(&f, path, &e) < 0)
		return 12;
	atomic_file_abort(&f);
	return 0;
}

/* The event loop may create a new file (O_EXCL) for a snapshot, not
 * open an existing one write-only. */
static int do_open_existing_for_write(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/vm.snap", snap_dir);
	return open(path, O_WRONLY | O_CLOEXEC) >= 0 ? 0 : 13;
}

static void test_event_loop_role(void **state)
{
	(void)state;
	snprintf(snap_dir, sizeof(snap_dir), "/tmp/test_vmm_sandbox.XXXXXX");
	assert_non_null(mkdtemp(snap_dir));
	struct azerr e;
	guest_mem_layout(&snap_ram, 1 << 20, 1ULL << 30, 1ULL << 30);
	assert_int_equal(guest_mem_create(&snap_ram, &e), 0);
	snap_ram.regions[0].hva[4096] = 1;
	char origin[] = "/tmp/test_vmm_sandbox.mem.XXXXXX";
	snap_origin = mkstemp(origin);
	assert_true(snap_origin >= 0);
	unlink(origin);
	assert_int_equal(ftruncate(snap_origin, 1 << 20), 0);
	assert_exited(run_child(JAIL_SECCOMP_KILL, VMM_ROLE_EVENT_LOOP, write_snapshot_file), 0);
	close(snap_origin);
	guest_mem_destroy(&snap_ram);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "test \"$(ls -A %s | tr '\\n' ' ')\" = 'vm.mem vm.snap '",
		 snap_dir);
	assert_int_equal(system(cmd), 0);
	assert_killed(run_child(JAIL_SECCOMP_KILL, VMM_ROLE_EVENT_LOOP,
				do_open_existing_for_write));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", snap_dir);
	assert_int_equal(system(cmd), 0);
	assert_killed(run_child(JAIL_SECCOMP_KILL, VMM_ROLE_VCPU, write_snapshot_file));
	assert_exited(run_child(JAIL_SECCOMP_KILL, VMM_ROLE_EVENT_LOOP, do_kill_self_0), 0);
	assert_killed(run_child(JAIL_SECCOMP_KILL, VMM_ROLE_EVENT_LOOP, do_kvm_run));
	assert_killed(run_child(JAIL_SECCOMP_KILL, VMM_ROLE_EVENT_LOOP, do_execve));
	/* An existing file, read-only or read-write (a PATCH's new image);
	 * nothing created or truncated. */
	assert_exited(run_child(JAIL_SECCOMP_KILL, VMM_ROLE_EVENT_LOOP, do_open), 0);
	assert_exited(run_child(JAIL_SECCOMP_KILL, VMM_ROLE_EVENT_LOOP, do_open_rw_direct), 0);
	snprintf(image_path, sizeof(image_path), "/tmp/test_vmm_sandbox.img.XXXXXX");
	int img = mkstemp(image_path);
	assert_true(img >= 0);
	close(img);
	assert_exited(run_child(JAIL_SECCOMP_KILL, VMM_ROLE_EVENT_LOOP, do_open_image), 0);
	unlink(image_path);
	assert_exited(run_child(JAIL_SECCOMP_KILL, VMM_ROLE_EVENT_LOOP, do_access), 0);
	assert_killed(run_child(JAIL_SECCOMP_KILL, VMM_ROLE_VCPU, do_access));
	assert_killed(run_child(JAIL_SECCOMP_KILL, VMM_ROLE_EVENT_LOOP, do_creat));
	assert_killed(run_child(JAIL_SECCOMP_KILL, VMM_ROLE_EVENT_LOOP, do_trunc));
}

/* What the metrics writer does: time, a line to a sink it holds. */
static int metrics_work(void)
{
	struct timespec t;

	return clock_gettime(CLOCK_MONOTONIC, &t) == 0 && write(2, "", 0) == 0 ? 0 : 9;
}

/* What the roles that neither open, connect, signal nor run a vCPU are
 * killed for trying. */
static void kills_files_sockets_signals_kvm(enum vmm_role role)
{
	assert_killed(run_child(JAIL_SECCOMP_KILL, role, do_open));
	assert_killed(run_child(JAIL_SECCOMP_KILL, role, do_socket));
	assert_killed(run_child(JAIL_SECCOMP_KILL, role, do_kill_self_0));
	assert_killed(run_child(JAIL_SECCOMP_KILL, role, do_kvm_run));
}

static void test_metrics_role(void **state)
{
	(void)state;
	assert_exited(run_child(JAIL_SECCOMP_KILL, VMM_ROLE_METRICS, metrics_work), 0);
	kills_files_sockets_signals_kvm(VMM_ROLE_METRICS);
}

/* The pager's calls (common/uffd_pager.c): what they do on stdin does not
 * matter, only that the filter lets them through. */
static int pager_work(void)
{
	char page[64];
	struct uffdio_range r = { 0 };
	struct uffdio_copy c = { 0 };

	(void)!pread(0, page, sizeof(page), 0);
	ioctl(0, UFFDIO_WAKE, &r);
	ioctl(0, UFFDIO_COPY, &c);
	/* --prefetch-mem's: the file's data found, guest RAM unregistered */
	lseek(0, 0, SEEK_DATA);
	ioctl(0, UFFDIO_UNREGISTER, &r);
	return 0;
}

static void test_pager_role(void **state)
{
	(void)state;
	assert_exited(run_child(JAIL_SECCOMP_KILL, VMM_ROLE_PAGER, pager_work), 0);
	kills_files_sockets_signals_kvm(VMM_ROLE_PAGER);
}

/* The page relay's calls (vmm/page_relay.c) on a socketpair made before
 * the filter: a request read, a page of memory touched, the answer
 * written; and the end of a relay a card sent garbage on (shutdown, which
 * the card sees), where a kill would take the whole VMM with the card. */
static int relay_sv[2];

static int relay_work(void)
{
	uint64_t msg[2] = { 0 };
	static volatile uint8_t page[4096];

	if (write(relay_sv[1], msg, sizeof(msg)) != sizeof(msg) ||
	    read(relay_sv[0], msg, sizeof(msg)) != sizeof(msg))
		return 9;
	(void)page[4095];
	if (write(relay_sv[0], msg, sizeof(msg)) != sizeof(msg))
		return 9;
	return shutdown(relay_sv[0], SHUT_RDWR) == 0 ? 0 : 10;
}

static void test_relay_role(void **state)
{
	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, relay_sv), 0);
	assert_exited(run_child(JAIL_SECCOMP_KILL, VMM_ROLE_RELAY, relay_work), 0);
	kills_files_sockets_signals_kvm(VMM_ROLE_RELAY);
	/* Nothing of the pager's: it copies no page itself. */
	assert_killed(run_child(JAIL_SECCOMP_KILL, VMM_ROLE_RELAY, pager_work));
	close(relay_sv[0]);
	close(relay_sv[1]);
}

/* A line in Firecracker's format (local time, the thread's name) from
 * inside every role: what it needs was read before the filter. */
static int fc_log_line(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return 8;
	log_set_output(fd, true, true, NULL, "test-vm");
	return 0;
}

static int log_fc_line(void)
{
	log_error("a line in Firecracker's format");
	return 0;
}

static void test_fc_log_format_in_every_role(void **state)
{
	(void)state;
	assert_int_equal(fc_log_line(), 0);
	for (int role = 0; role < VMM_ROLE_RELAY + 1; role++)
		assert_exited(run_child(JAIL_SECCOMP_KILL, (enum vmm_role)role, log_fc_line), 0);
	log_set_output(2, true, false, NULL, NULL);
}

static void test_log_and_off_let_through(void **state)
{
	(void)state;
	assert_exited(run_child(JAIL_SECCOMP_LOG, VMM_ROLE_VCPU, do_open), 0);
	assert_exited(run_child(JAIL_SECCOMP_OFF, VMM_ROLE_VCPU, do_socket), 0);
}

/* --seccomp-filter: Firecracker's programs in place of azote's lists. */

/* Kills the process on syscall nr, allows the rest (x86-64 only, as the
 * programs seccompiler-bin writes for this architecture). */
#define KILL_ON(sysno)							\
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)), \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (sysno), 0, 1),		\
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),		\
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

static struct sock_filter kill_on_socket[] = { KILL_ON(SYS_socket) };
static struct sock_filter kill_on_open[] = { KILL_ON(SYS_openat) };

/* A custom-filter case: the filters, the role, what the child does. */
struct custom_case {
	const struct fc_filters *f;
	enum vmm_role role;
	inside_fn fn;
};

static int in_custom(const void *arg)
{
	const struct custom_case *c = arg;
	const struct fc_filters *f = c->f;
	struct azerr e;
	unsigned rules = 99;

	if (vmm_sandbox_set_custom(f, &e) < 0)
		return 101;
	if (vmm_sandbox_enter(c->role, &rules, &e) < 0)
		return 100;
	if (rules != f->len[c->role == VMM_ROLE_VCPU ? FC_CAT_VCPU :
			    c->role == VMM_ROLE_API ? FC_CAT_API : FC_CAT_VMM])
		return 102;
	return c->fn();
}

/* Runs fn in a child after it took f and entered role. */
static int run_custom(const struct fc_filters *f, enum vmm_role role, inside_fn fn)
{
	const struct custom_case c = { f, role, fn };

	return run_forked(in_custom, &c);
}

static void test_custom_filters_by_category(void **state)
{
	(void)state;
	struct fc_filters f = { .format = "test" };

	f.prog[FC_CAT_VCPU] = kill_on_socket;
	f.len[FC_CAT_VCPU] = sizeof(kill_on_socket) / sizeof(kill_on_socket[0]);
	f.prog[FC_CAT_VMM] = kill_on_open;
	f.len[FC_CAT_VMM] = sizeof(kill_on_open) / sizeof(kill_on_open[0]);
	f.prog[FC_CAT_API] = kill_on_open; /* present, empty: no filter */
	f.len[FC_CAT_API] = 0;

	/* "vcpu" on the vCPU threads: its rule, not azote's list (which
	 * would kill open). */
	assert_killed(run_custom(&f, VMM_ROLE_VCPU, do_socket));
	assert_exited(run_custom(&f, VMM_ROLE_VCPU, do_open), 0);
	/* "vmm" on the main thread and on the metrics writer. */
	assert_killed(run_custom(&f, VMM_ROLE_EVENT_LOOP, do_open));
	assert_exited(run_custom(&f, VMM_ROLE_EVENT_LOOP, do_socket), 0);
	assert_killed(run_custom(&f, VMM_ROLE_METRICS, do_open));
	/* An empty "api": the HTTP thread runs unfiltered. */
	assert_exited(run_custom(&f, VMM_ROLE_API, do_open), 0);
	/* execve succeeds: /bin/true exits 0 in its place. */
	assert_exited(run_custom(&f, VMM_ROLE_API, do_execve), 0);
}

/* A program the kernel refuses is found at start, named by category. */
static void test_custom_refused_by_kernel(void **state)
{
	(void)state;
	struct sock_filter jumps_out[] = {
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct fc_filters f = { .format = "test" };
	struct azerr e = { "" };

	f.prog[FC_CAT_VMM] = f.prog[FC_CAT_API] = kill_on_open;
	f.prog[FC_CAT_VCPU] = jumps_out;
	f.len[FC_CAT_VCPU] = 2;
	assert_int_equal(vmm_sandbox_set_custom(&f, &e), -1);
	assert_non_null(strstr(e.msg, "the \"vcpu\" filter: the kernel refuses it "
			       "(2 instructions)"));
	/* Refused, so not taken: azote's own lists still apply. */
	assert_string_equal(vmm_sandbox_name(), "kill");
}

/* The API thread builds the VM while the vCPUs run: a filter one thread
 * installs must not bind another that already exists. */
static int sibling_open_result = -1;

static void *sibling_after_go(void *arg)
{
	char go;

	if (read(*(int *)arg, &go, 1) == 1)
		sibling_open_result = do_open();
	return NULL;
}

static int sibling_unbound(const void *arg)
{
	struct azerr e;
	pthread_t t;
	int fds[2];
	char go = 1;

	(void)arg;
	if (pipe(fds) < 0 || pthread_create(&t, NULL, sibling_after_go, &fds[0]))
		return 10;
	vmm_sandbox_set_mode(JAIL_SECCOMP_KILL);
	if (vmm_sandbox_enter(VMM_ROLE_VCPU, NULL, &e) < 0)
		return 100;
	if (write(fds[1], &go, 1) != 1 || pthread_join(t, NULL))
		return 11;
	return sibling_open_result;
}

static void test_binds_only_its_thread(void **state)
{
	(void)state;
	assert_exited(run_forked(sibling_unbound, NULL), 0);
}

/* A thread's allocations come from an arena of its own, and glibc gives
 * such a heap's freed top back by shrinking it; the first time, it reads
 * /proc/sys/vm/overcommit_memory, an openat no role allows. Seen killing
 * azote from its API thread after a few concurrent connections. */
static void *arena_churn(void *arg)
{
	struct azerr e;
	void *p[64];
	(void)arg;

	if (vmm_sandbox_enter(VMM_ROLE_API, NULL, &e) < 0)
		child_exit(100);
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 64; i++)
			p[i] = malloc(16 * 1024);
		for (int i = 64; i-- > 0;)
			free(p[i]);
	}
	/* Ends the child from here: a thread's own exit has sanitizer work
	 * (sigaltstack) that the filter would not let through. */
	child_exit(0);
	return NULL;
}

static int churn_in_thread(const void *arg)
{
	pthread_t t;

	(void)arg;
	vmm_sandbox_set_mode(JAIL_SECCOMP_KILL);
	if (pthread_create(&t, NULL, arena_churn, NULL) || pthread_join(t, NULL))
		return 10;
	return 11;  /* arena_churn ends the child */
}

static void test_free_in_thread_arena(void **state)
{
	(void)state;
	assert_exited(run_forked(churn_in_thread, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vcpu_role_allows_its_work),
		cmocka_unit_test(test_vcpu_role_kills_the_rest),
		cmocka_unit_test(test_event_loop_role),
		cmocka_unit_test(test_metrics_role),
		cmocka_unit_test(test_pager_role),
		cmocka_unit_test(test_relay_role),
		cmocka_unit_test(test_log_and_off_let_through),
		cmocka_unit_test(test_fc_log_format_in_every_role),
		cmocka_unit_test(test_binds_only_its_thread),
		cmocka_unit_test(test_free_in_thread_arena),
		cmocka_unit_test(test_custom_filters_by_category),
		cmocka_unit_test(test_custom_refused_by_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
