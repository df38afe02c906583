#include "jail/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* What a card needs after set-up whatever its device: the vhost-user
 * socket (messages with fds, accepting the next connection), mapping guest
 * memory, eventfd signalling, thread synchronisation, logging to stderr,
 * malloc, and exit. */
static const int base_syscalls[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(close),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(recvfrom),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(accept4), SCMP_SYS(accept),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(fstatfs), SCMP_SYS(munmap),
	SCMP_SYS(madvise),
	SCMP_SYS(brk), SCMP_SYS(futex), SCMP_SYS(sched_yield),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(getpid),
	SCMP_SYS(gettid), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(restart_syscall), SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/* The modes' names, for the command line both ways. */
static const char *const mode_names[] = {
	[JAIL_SECCOMP_KILL] = "kill",
	[JAIL_SECCOMP_LOG] = "log",
	[JAIL_SECCOMP_OFF] = "off",
};

int jail_seccomp_parse(const char *s, enum jail_seccomp_mode *mode)
{
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (!strcmp(s, mode_names[i])) {
			*mode = (enum jail_seccomp_mode)i;
			return 0;
		}
	}
	return -1;
}

const char *jail_seccomp_name(enum jail_seccomp_mode mode)
{
	return mode_names[mode];
}

static int allow(scmp_filter_ctx ctx, int nr, unsigned *count, struct azerr *e)
{
	int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);

	if (r < 0)
		return azerr_set(e, "seccomp: cannot allow syscall %d: %s", nr,
				 strerror(-r));
	(*count)++;
	return 0;
}

/* glibc gives the freed top of a thread's arena back by shrinking its
 * heap, and the first time it does, it reads /proc/sys/vm/overcommit_memory:
 * an openat that no filtered thread may make, so some later free(), at a
 * time a client or guest chooses, would kill the process (seen: azote's
 * API thread after a few concurrent connections). With trimming off, no
 * heap is shrunk: free pages stay with the process, whole heaps are still
 * unmapped, and malloc opens nothing. Before any filter, in every process
 * that installs one. */
static void no_heap_trim(void)
{
	mallopt(M_TRIM_THRESHOLD, -1);
}

/* f's calls, whatever their arguments and with one argument fixed. */
static int allow_list(scmp_filter_ctx ctx, const struct jail_filter *f, unsigned *count,
		      struct azerr *e)
{
	for (unsigned i = 0; i < f->nr_syscalls; i++)
		if (allow(ctx, f->syscalls[i], count, e))
			return -1;
	for (unsigned i = 0; i < f->nr_args; i++) {
		const struct jail_syscall_arg *a = &f->args[i];
		int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, a->nr, 1,
					 a->mask ? SCMP_CMP(a->arg, SCMP_CMP_MASKED_EQ, a->mask, a->value)
						 : SCMP_CMP(a->arg, SCMP_CMP_EQ, a->value, 0));
		if (r < 0)
			return azerr_set(e, "seccomp: cannot allow syscall %d with argument "
					 "%u = 0x%llx: %s", a->nr, a->arg,
					 (unsigned long long)a->value, strerror(-r));
		(*count)++;
	}
	return 0;
}

int jail_seccomp_apply(enum jail_seccomp_mode mode, const struct jail_filter *f,
		       const struct jail_filter *also, unsigned *nr_rules, struct azerr *e)
{
	unsigned count = 0;
	scmp_filter_ctx ctx;
	int r;

	if (mode == JAIL_SECCOMP_OFF) {
		if (nr_rules)
			*nr_rules = 0;
		return 0;
	}
	no_heap_trim();
	ctx = seccomp_init(mode == JAIL_SECCOMP_LOG ? SCMP_ACT_LOG
						     : SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return azerr_set(e, "seccomp: cannot create a filter");
	for (size_t i = 0; i < sizeof(base_syscalls) / sizeof(base_syscalls[0]); i++)
		if (allow(ctx, base_syscalls[i], &count, e))
			goto fail;
	if (allow_list(ctx, f, &count, e) || (also && allow_list(ctx, also, &count, e)))
		goto fail;
	/* Guest memory and malloc need mmap/mprotect; code never does. A
	 * guest memory fd is sealed against shrinking (fcntl, seals only). */
	r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
				     SCMP_A1(SCMP_CMP_EQ, F_GET_SEALS, 0));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
				     SCMP_A1(SCMP_CMP_EQ, F_ADD_SEALS, 0));
	if (r < 0) {
		azerr_set(e, "seccomp: mmap, mprotect or fcntl rule: %s", strerror(-r));
		goto fail;
	}
	count += 4;
	/* A card's I/O workers exist before its filter does: TSYNC puts it
	 * on them too. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, !f->this_thread_only);
	if (!r)
		r = seccomp_load(ctx);
	if (r < 0) {
		azerr_set(e, "seccomp: cannot load the filter: %s", strerror(-r));
		goto fail;
	}
	seccomp_release(ctx);
	if (nr_rules)
		*nr_rules = count;
	return 0;
fail:
	seccomp_release(ctx);
	return -1;
}

int jail_seccomp_load_bpf(const struct sock_filter *prog, unsigned short len,
			  struct azerr *e)
{
	struct sock_fprog fp = { .len = len, .filter = (struct sock_filter *)prog };

	no_heap_trim();
	/* Without it an unprivileged thread may not install a filter; and a
	 * filter must not be shed by exec'ing something setuid. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return azerr_set(e, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
	/* No TSYNC: the calling thread (and those it creates) only. */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0)
		return azerr_set(e, "the kernel refuses the filter (%u instructions): %s",
				 len, strerror(errno));
	return 0;
}
