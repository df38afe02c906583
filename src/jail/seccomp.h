/* The seccomp allow-list every card runs under once set up. The list is
 * the base (the vhost-user server, threads, libc) plus what the card adds.
 * Anything else kills the whole process (SCMP_ACT_KILL_PROCESS), so a
 * violation is visible instead of being a mysterious error code.
 *
 * Debugging a kill: the card dies with SIGSYS and the kernel logs
 * "audit: type=1326 ... syscall=N" (see dmesg / journalctl -k); map N with
 * `ausyscall N` or /usr/include/asm/unistd_64.h. Run the card with
 * `--seccomp log` to let every call through and only log the ones the
 * list lacks, or `--seccomp off` to rule the filter out. */
#ifndef AZOTE_JAIL_SECCOMP_H
#define AZOTE_JAIL_SECCOMP_H

#include <stdint.h>

#include "common/err.h"

enum jail_seccomp_mode {
	JAIL_SECCOMP_KILL,  /* default */
	JAIL_SECCOMP_LOG,   /* allow, log what the list lacks */
	JAIL_SECCOMP_OFF,
};

int jail_seccomp_parse(const char *s, enum jail_seccomp_mode *mode);

/* Installs the filter on every thread of the process: the base list plus
 * the n syscall numbers in extra. mmap/mprotect are allowed only without
 * PROT_EXEC. Returns the number of rules in *nr_rules if not NULL. */
int jail_seccomp_apply(enum jail_seccomp_mode mode, const int *extra, unsigned n,
		       unsigned *nr_rules, struct azerr *e);

/* A system call allowed only when argument arg (0-5) equals value: an
 * ioctl limited to the requests a card still needs once sandboxed. */
struct jail_syscall_arg {
	int nr;
	unsigned arg;
	uint64_t value;
};

/* jail_seccomp_apply plus the nargs argument-checked rules in args. */
int jail_seccomp_apply_args(enum jail_seccomp_mode mode, const int *extra,
			    unsigned n, const struct jail_syscall_arg *args,
			    unsigned nargs, unsigned *nr_rules, struct azerr *e);

#endif
