#include "vmm/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/userfaultfd.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

static enum jail_seccomp_mode sandbox_mode = JAIL_SECCOMP_KILL;
static struct jail_identity card_user;
static bool card_confine;
static const struct fc_filters *custom;

/* Every role, beyond jail/seccomp.c's base list: kicking a vCPU out of
 * KVM_RUN (pthread_kill), the fatal-signal path that gives the user's
 * terminal back (terminal.c: TCSETS, then the default action), and libc's
 * malloc (mremap for realloc; sched_getaffinity once more than 8 threads
 * have arenas, to size their number). */
#define COMMON_SYSCALLS							\
	SYS_tgkill, SYS_rt_sigaction, SYS_mremap, SYS_sched_getaffinity,	\
	SYS_nanosleep, SYS_time, SYS_gettimeofday

/* A vCPU thread: the device models' exits (UART, i8042, RTC, PCI config,
 * MSI-X, virtio-pci), which program interrupt routes and queue eventfds
 * into KVM, have the event loop watch a vector the guest masks (epoll_ctl)
 * and, on DRIVER_OK or a reset, talk vhost-user to the card. */
static const int vcpu_syscalls[] = { COMMON_SYSCALLS, SYS_eventfd2, SYS_epoll_ctl };

/* The terminal: stdio asks whether stderr is one (TCGETS) the first time
 * it writes there, and terminal.c gives it back (TCSETS). */
#define TERMINAL_IOCTLS(nr) JAIL_ARG_EQ(nr, 1, TCGETS), JAIL_ARG_EQ(nr, 1, TCSETS)

#define VM_IOCTLS(nr)							\
	JAIL_ARG_EQ(nr, 1, KVM_IRQ_LINE), JAIL_ARG_EQ(nr, 1, KVM_SIGNAL_MSI),		\
	JAIL_ARG_EQ(nr, 1, KVM_IRQFD), JAIL_ARG_EQ(nr, 1, KVM_IOEVENTFD),			\
	JAIL_ARG_EQ(nr, 1, KVM_SET_GSI_ROUTING), TERMINAL_IOCTLS(nr)

static const struct jail_syscall_arg vcpu_args[] = {
	VM_IOCTLS(SYS_ioctl),
	JAIL_ARG_EQ(SYS_ioctl, 1, KVM_RUN),
	/* The dump of a vCPU that failed (x86_vcpu_dump). */
	JAIL_ARG_EQ(SYS_ioctl, 1, KVM_GET_REGS), JAIL_ARG_EQ(SYS_ioctl, 1, KVM_GET_SREGS),
	JAIL_ARG_EQ(SYS_ioctl, 1, KVM_TRANSLATE),
	/* A snapshot: each vCPU thread reads its own vCPU's state while
	 * paused (vm_state.c, arch/x86/vcpu_state.c). Reads only: loading
	 * happens on the thread that created the vCPUs, before they run. */
	JAIL_ARG_EQ(SYS_ioctl, 1, KVM_GET_XSAVE), JAIL_ARG_EQ(SYS_ioctl, 1, KVM_GET_XSAVE2),
	JAIL_ARG_EQ(SYS_ioctl, 1, KVM_GET_XCRS), JAIL_ARG_EQ(SYS_ioctl, 1, KVM_GET_MSRS),
	JAIL_ARG_EQ(SYS_ioctl, 1, KVM_GET_LAPIC), JAIL_ARG_EQ(SYS_ioctl, 1, KVM_GET_VCPU_EVENTS),
	JAIL_ARG_EQ(SYS_ioctl, 1, KVM_GET_MP_STATE), JAIL_ARG_EQ(SYS_ioctl, 1, KVM_GET_DEBUGREGS),
	JAIL_ARG_EQ(SYS_ioctl, 1, KVM_GET_CPUID2), JAIL_ARG_EQ(SYS_ioctl, 1, KVM_GET_TSC_KHZ),
	/* KVM_VCPU_TSC_OFFSET, to pair the TSC with kvmclock
	 * (arch/x86/tsc_pair.h); MSR_IA32_TSC is read (KVM_GET_MSRS) as
	 * each thread parks for a pause. */
	JAIL_ARG_EQ(SYS_ioctl, 1, KVM_GET_DEVICE_ATTR),
};

/* The main thread: the event loop (console input, signals via signalfd,
 * masked MSI-X vectors, a card's hang-up and reaping), then the VM's end:
 * vCPU threads joined, cards ended and reaped, the API socket removed.
 * And the API's requests after boot: a PATCH of a drive's path_on_host
 * checks the new image as a PUT does (stat, access: api/resources.c) and
 * opens it (an existing file, read-only or read-write, maybe O_DIRECT:
 * nothing created or truncated) for its card, which is confined to an
 * empty root (vmm/card_update.c); PUT /snapshot/create, for a paused VM,
 * writes each file whole or not at all (vmm/atomic_file.c): a new
 * temporary file, fsync, rename, and unlink of it on a failure; a Full
 * snapshot's memory file sparse, the memfd's holes found with lseek
 * (SEEK_DATA/SEEK_HOLE), those of a lazily loaded VM read from its memory
 * file (pread, vmm/snapshot_mem.c); a Diff
 * snapshot's memory file is sized first (ftruncate) and its changed pages
 * written at their offsets (pwrite), into a new file or an existing one of
 * the RAM's size (vmm/snapshot_mem.c), the memory file tagged with the
 * snapshot's ID (fsetxattr, common/mem_file_id.h); PUT and PATCH /mmds hand the net
 * cards the new document in a sealed memfd (vmm/card_update.c). */
static const int loop_syscalls[] = {
	COMMON_SYSCALLS, SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_ctl,
	SYS_wait4, SYS_kill, SYS_unlink, SYS_shutdown,
	SYS_access, SYS_faccessat, SYS_faccessat2, SYS_fsync, SYS_rename,
	SYS_ftruncate, SYS_pwrite64, SYS_memfd_create, SYS_lseek, SYS_pread64,
	SYS_fsetxattr,
};

/* openat's flags (32 bits) with nothing set but these. O_NONBLOCK and
 * O_NOCTTY: a file named by a client is opened so that a FIFO or a
 * terminal put there is refused, not waited on or taken (a drive's new
 * image, vmm/card_update.c, which then clears O_NONBLOCK: F_GETFL,
 * F_SETFL). */
#define OPEN_EXISTING_ONLY (0xffffffffu & ~(unsigned)(O_RDWR | O_CLOEXEC | O_DIRECT | O_LARGEFILE | \
						      O_NONBLOCK | O_NOCTTY))
/* And exactly as atomic_file.c opens: creating a new file (O_EXCL, no
 * symlink followed), or its directory, read-only, to fsync it. */
#define ATOMIC_FILE_OPENS(nr)						\
	JAIL_ARG_EQ(nr, 2, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC),	\
	JAIL_ARG_EQ(nr, 2, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
static const struct jail_syscall_arg loop_args[] = {
	VM_IOCTLS(SYS_ioctl),
	{ .nr = SYS_openat, .arg = 2, .value = 0, .mask = OPEN_EXISTING_ONLY },
	JAIL_ARG_EQ(SYS_fcntl, 1, F_GETFL), JAIL_ARG_EQ(SYS_fcntl, 1, F_SETFL),
	/* A snapshot of a paused VM: the VM-wide state KVM keeps
	 * (arch/x86/vm_state_x86.c). Reads only. */
	JAIL_ARG_EQ(SYS_ioctl, 1, KVM_GET_IRQCHIP), JAIL_ARG_EQ(SYS_ioctl, 1, KVM_GET_PIT2),
	JAIL_ARG_EQ(SYS_ioctl, 1, KVM_GET_CLOCK),
	/* With track_dirty_pages, every snapshot reads (and so clears)
	 * KVM's log of the RAM slots (vmm/dirty_log_kvm.c). */
	JAIL_ARG_EQ(SYS_ioctl, 1, KVM_GET_DIRTY_LOG),
	ATOMIC_FILE_OPENS(SYS_openat),
};

/* The API's HTTP thread (libmicrohttpd's, epoll): accepting, reading and
 * answering connections; each request is handled on the main thread
 * (api/server.h), so no file, KVM or process call is here. */
static const int api_syscalls[] = {
	COMMON_SYSCALLS, SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_ctl,
	SYS_sendto, SYS_shutdown,
};

static const struct jail_syscall_arg api_args[] = { TERMINAL_IOCTLS(SYS_ioctl) };

/* The periodic metrics writer: it waits on a condition variable, gathers
 * the cards' counters from their shared stats pages and writes a line to
 * a sink opened before; the base list covers it. */
static const int metrics_syscalls[] = { COMMON_SYSCALLS };
static const struct jail_syscall_arg metrics_args[] = { TERMINAL_IOCTLS(SYS_ioctl) };

/* The pager of a lazy restore (vmm/lazy_mem.h, common/uffd_pager.c):
 * reads a page of the memory file opened before, copies it into guest RAM
 * or wakes a fault whose page a card put there first; with --prefetch-mem
 * also finds the file's data (lseek SEEK_DATA/SEEK_HOLE), copies it in a
 * stretch at a time and, at the end, unregisters guest RAM. */
static const int pager_syscalls[] = { COMMON_SYSCALLS, SYS_pread64, SYS_lseek };
static const struct jail_syscall_arg pager_args[] = {
	JAIL_ARG_EQ(SYS_ioctl, 1, UFFDIO_COPY), JAIL_ARG_EQ(SYS_ioctl, 1, UFFDIO_WAKE),
	JAIL_ARG_EQ(SYS_ioctl, 1, UFFDIO_UNREGISTER), TERMINAL_IOCTLS(SYS_ioctl),
};

/* A card's page relay (vmm/page_relay.c), on a restore from an external
 * page-fault handler: reads the card's request, touches the page (the
 * fault is the handler's to serve), writes the answer; the base list
 * covers that. A card that sends garbage has its relay ended (shutdown,
 * so that it sees the end): without it, the card's one short write would
 * kill the VMM. */
static const int relay_syscalls[] = { COMMON_SYSCALLS, SYS_shutdown };
static const struct jail_syscall_arg relay_args[] = { TERMINAL_IOCTLS(SYS_ioctl) };

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct jail_filter filters[] = {
	[VMM_ROLE_VCPU] = {
		.syscalls = vcpu_syscalls, .nr_syscalls = N(vcpu_syscalls),
		.args = vcpu_args, .nr_args = N(vcpu_args), .this_thread_only = true,
	},
	[VMM_ROLE_EVENT_LOOP] = {
		.syscalls = loop_syscalls, .nr_syscalls = N(loop_syscalls),
		.args = loop_args, .nr_args = N(loop_args), .this_thread_only = true,
	},
	[VMM_ROLE_API] = {
		.syscalls = api_syscalls, .nr_syscalls = N(api_syscalls),
		.args = api_args, .nr_args = N(api_args), .this_thread_only = true,
	},
	[VMM_ROLE_METRICS] = {
		.syscalls = metrics_syscalls, .nr_syscalls = N(metrics_syscalls),
		.args = metrics_args, .nr_args = N(metrics_args), .this_thread_only = true,
	},
	[VMM_ROLE_PAGER] = {
		.syscalls = pager_syscalls, .nr_syscalls = N(pager_syscalls),
		.args = pager_args, .nr_args = N(pager_args), .this_thread_only = true,
	},
	[VMM_ROLE_RELAY] = {
		.syscalls = relay_syscalls, .nr_syscalls = N(relay_syscalls),
		.args = relay_args, .nr_args = N(relay_args), .this_thread_only = true,
	},
};

void vmm_sandbox_set_mode(enum jail_seccomp_mode mode)
{
	sandbox_mode = mode;
}

enum jail_seccomp_mode vmm_sandbox_mode(void)
{
	return sandbox_mode;
}

/* Firecracker's category for each of azote's roles (sandbox.h). */
static const enum fc_category role_category[] = {
	[VMM_ROLE_VCPU] = FC_CAT_VCPU,
	[VMM_ROLE_EVENT_LOOP] = FC_CAT_VMM,
	[VMM_ROLE_API] = FC_CAT_API,
	[VMM_ROLE_METRICS] = FC_CAT_VMM,
	[VMM_ROLE_PAGER] = FC_CAT_VMM,
	[VMM_ROLE_RELAY] = FC_CAT_VMM,
};

/* Installs one program in a child that then ends: the kernel's verdict on
 * it (exit status = errno), whatever the program does with the child's
 * _exit (an exit it kills still means it was installed). */
static int kernel_accepts(const struct sock_filter *prog, uint16_t len,
			  struct azerr *e)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return azerr_set(e, "fork: %s", strerror(errno));
	if (pid == 0) {
		struct azerr ignored;

		_exit(jail_seccomp_load_bpf(prog, len, &ignored) < 0 ? errno : 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return azerr_set(e, "waitpid: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status))
		return azerr_set(e, "the kernel refuses it (%u instructions): %s",
				 len, strerror(WEXITSTATUS(status)));
	return 0;
}

int vmm_sandbox_set_custom(const struct fc_filters *f, struct azerr *e)
{
	for (int c = 0; c < FC_NR_CATEGORIES; c++) {
		struct azerr why;

		if (f->len[c] && kernel_accepts(f->prog[c], f->len[c], &why) < 0)
			return azerr_set(e, "the \"%s\" filter: %s", fc_category_name(c),
					 why.msg);
	}
	custom = f;
	return 0;
}

bool vmm_sandbox_custom(void)
{
	return custom != NULL;
}

const char *vmm_sandbox_name(void)
{
	return custom ? "--seccomp-filter" : jail_seccomp_name(sandbox_mode);
}

void vmm_sandbox_set_card_user(const struct jail_identity *id)
{
	card_confine = id != NULL;
	if (id)
		card_user = *id;
}

const struct jail_identity *vmm_sandbox_card_user(void)
{
	return card_confine ? &card_user : NULL;
}

int vmm_sandbox_enter(enum vmm_role role, unsigned *nr_rules, struct azerr *e)
{
	/* libc reads /etc/localtime the first time a time is made local
	 * (libmicrohttpd's Date header, log lines); read it while files may
	 * be opened, and the thread's name for log lines likewise. */
	tzset();
	log_remember_thread_name();
	if (custom) {
		enum fc_category c = role_category[role];

		if (nr_rules)
			*nr_rules = custom->len[c];
		if (!custom->len[c])
			return 0;
		struct azerr why;

		if (jail_seccomp_load_bpf(custom->prog[c], custom->len[c], &why) < 0)
			return azerr_set(e, "--seccomp-filter's \"%s\" filter: %s",
					 fc_category_name(c), why.msg);
		return 0;
	}
	return jail_seccomp_apply(sandbox_mode, &filters[role], NULL, nr_rules, e);
}
