#include "vmm/sandbox.h"

#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>

#include "common/log.h"

static enum jail_seccomp_mode sandbox_mode = JAIL_SECCOMP_KILL;
static struct jail_identity card_user;
static bool card_confine;

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
#define TERMINAL_IOCTLS(nr) { nr, 1, TCGETS }, { nr, 1, TCSETS }

#define VM_IOCTLS(nr)							\
	{ nr, 1, KVM_IRQ_LINE }, { nr, 1, KVM_SIGNAL_MSI },		\
	{ nr, 1, KVM_IRQFD }, { nr, 1, KVM_IOEVENTFD },			\
	{ nr, 1, KVM_SET_GSI_ROUTING }, TERMINAL_IOCTLS(nr)

static const struct jail_syscall_arg vcpu_args[] = {
	VM_IOCTLS(SYS_ioctl),
	{ SYS_ioctl, 1, KVM_RUN },
	/* The dump of a vCPU that failed (x86_vcpu_dump). */
	{ SYS_ioctl, 1, KVM_GET_REGS }, { SYS_ioctl, 1, KVM_GET_SREGS },
	{ SYS_ioctl, 1, KVM_TRANSLATE },
};

/* The main thread: the event loop (console input, signals via signalfd,
 * masked MSI-X vectors, a card's hang-up and reaping), then the VM's end:
 * vCPU threads joined, cards ended and reaped, the API socket removed. */
static const int loop_syscalls[] = {
	COMMON_SYSCALLS, SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_ctl,
	SYS_wait4, SYS_kill, SYS_unlink, SYS_shutdown,
};

static const struct jail_syscall_arg loop_args[] = { VM_IOCTLS(SYS_ioctl) };

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
};

void vmm_sandbox_set_mode(enum jail_seccomp_mode mode)
{
	sandbox_mode = mode;
}

enum jail_seccomp_mode vmm_sandbox_mode(void)
{
	return sandbox_mode;
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
	return jail_seccomp_apply(sandbox_mode, &filters[role], nr_rules, e);
}
