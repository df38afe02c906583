/* The seccomp allow-lists cards and azote's threads run under once set up.
 * A list is the base (vhost-user messages, threads, libc) plus what the
 * card or thread role adds.
 * Anything else kills the whole process (SCMP_ACT_KILL_PROCESS), so a
 * violation is visible instead of being a mysterious error code.
 *
 * Debugging a kill: the card dies with SIGSYS and the kernel logs
 * "audit: type=1326 ... syscall=N" (see dmesg / journalctl -k); map N with
 * `ausyscall N` or /usr/include/asm/unistd_64.h. Run the card (or azote) with
 * `--seccomp log` to let every call through and only log the ones the
 * list lacks, or `--seccomp off` to rule the filter out. */
#ifndef AZOTE_JAIL_SECCOMP_H
#define AZOTE_JAIL_SECCOMP_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

enum jail_seccomp_mode {
	JAIL_SECCOMP_KILL,  /* default */
	JAIL_SECCOMP_LOG,   /* allow, log what the list lacks */
	JAIL_SECCOMP_OFF,
};

int jail_seccomp_parse(const char *s, enum jail_seccomp_mode *mode);

/* The name jail_seccomp_parse takes for mode. */
const char *jail_seccomp_name(enum jail_seccomp_mode mode);

/* A system call allowed only when argument arg (0-5) equals value: an
 * ioctl limited to the requests a process or thread still needs. With a
 * mask, only when (argument & mask) == value: flags limited to some. */
struct jail_syscall_arg {
	int nr;
	unsigned arg;
	uint64_t value;
	uint64_t mask;     /* 0: the whole argument */
};
#define JAIL_ARG_EQ(nr_, arg_, value_) { .nr = (nr_), .arg = (arg_), .value = (value_) }

/* What a filter allows beyond the base list, and whom it binds. */
struct jail_filter {
	const int *syscalls;                 /* allowed whatever the arguments */
	unsigned nr_syscalls;
	const struct jail_syscall_arg *args; /* allowed with one argument fixed */
	unsigned nr_args;
	/* false: every thread of the process (a card's workers exist before
	 * its filter); true: the calling thread and the threads it creates
	 * later, so azote's threads can each get their role's list. */
	bool this_thread_only;
};

/* Installs the base list plus f, and plus also if not NULL (what every
 * card adds to its own list); f says which threads. mmap/mprotect are
 * allowed only without PROT_EXEC. Returns the number of rules in
 * *nr_rules if not NULL. */
int jail_seccomp_apply(enum jail_seccomp_mode mode, const struct jail_filter *f,
		       const struct jail_filter *also, unsigned *nr_rules, struct azerr *e);

/* Installs a ready classic-BPF program on the calling thread alone (and
 * the threads it creates later), as Firecracker installs its compiled
 * filters: what the program does with a call is all its own. */
int jail_seccomp_load_bpf(const struct sock_filter *prog, unsigned short len,
			  struct azerr *e);

#endif
