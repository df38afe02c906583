/* inject-syscall TID NR: makes thread TID of another process (azote's, in
 * tests/integration/15-azote-seccomp.sh) run system call NR, every argument
 * 0, as if its own code had made it, so that the thread's seccomp filter
 * judges it; then puts the thread back as it was.
 *
 * Prints "returned N" (the call's result, -errno on failure) and exits 0
 * when the thread went on; prints "ended: ..." and exits 3 when the call
 * ended the thread (a filter that kills); exits 1 on any other failure.
 *
 * Why not gdb's "print syscall(...)": to return, gdb writes the thread's
 * whole register state back, XSAVE area included, and kernels whose XSAVE
 * size gdb 13 does not expect refuse that write (PTRACE_SETREGSET:
 * "Couldn't write extended state status: Bad address", seen on Linux
 * 6.18); only the general registers are changed here.
 *
 * How: the thread is stopped (PTRACE_SEIZE, PTRACE_INTERRUPT) where it
 * sits, which for azote's threads is just after a `syscall` instruction
 * (KVM_RUN, epoll_wait, a sleep). Its registers are set for the call, with
 * orig_rax -1 so that the kernel does not restart the interrupted call over
 * it, and that instruction is stepped again. The saved registers then go
 * back: the interrupted call is restarted, or returns EINTR, as after any
 * signal. A thread caught elsewhere (in user code) is let go and caught
 * again. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>

#define SYSCALL_INSN 0x050f  /* 0f 05, as read little-endian */
#define TRIES 1000

static int fail(const char *what, pid_t tid)
{
	fprintf(stderr, "inject-syscall: %s (thread %d): %s\n", what, tid, strerror(errno));
	return 1;
}

/* Waits for the thread's next stop; false (having said why) if it ended. */
static bool stopped(pid_t tid, int *status)
{
	if (waitpid(tid, status, __WALL) < 0) {
		fprintf(stderr, "inject-syscall: waitpid (thread %d): %s\n", tid, strerror(errno));
		return false;
	}
	if (WIFSTOPPED(*status))
		return true;
	if (WIFSIGNALED(*status))
		printf("ended: killed by signal %d (%s)\n", WTERMSIG(*status),
		       strsignal(WTERMSIG(*status)));
	else
		printf("ended: exit status %d\n", WEXITSTATUS(*status));
	return false;
}

/* Stops the thread just after a syscall instruction; saves its registers. */
static int catch_at_syscall(pid_t tid, struct user_regs_struct *saved)
{
	const struct timespec pause = { 0, 1000000 };
	int status;

	for (int i = 0; i < TRIES; i++) {
		long insn;

		if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0)
			return fail("PTRACE_INTERRUPT", tid);
		if (!stopped(tid, &status))
			return 3;
		if (ptrace(PTRACE_GETREGS, tid, 0, saved) < 0)
			return fail("PTRACE_GETREGS", tid);
		errno = 0;
		insn = ptrace(PTRACE_PEEKTEXT, tid, (void *)(saved->rip - 2), 0);
		if (errno)
			return fail("PTRACE_PEEKTEXT", tid);
		if ((insn & 0xffff) == SYSCALL_INSN)
			return 0;
		if (ptrace(PTRACE_CONT, tid, 0, 0) < 0)
			return fail("PTRACE_CONT", tid);
		nanosleep(&pause, NULL);
	}
	fprintf(stderr, "inject-syscall: thread %d never stopped at a system call\n", tid);
	return 1;
}

int main(int argc, char **argv)
{
	struct user_regs_struct saved, regs;
	pid_t tid;
	int status, r;

	if (argc != 3) {
		fprintf(stderr, "usage: inject-syscall TID NR\n");
		return 1;
	}
	tid = atoi(argv[1]);
	if (ptrace(PTRACE_SEIZE, tid, 0, 0) < 0)
		return fail("PTRACE_SEIZE", tid);
	r = catch_at_syscall(tid, &saved);
	if (r)
		return r;
	regs = saved;
	regs.rip = saved.rip - 2;
	regs.orig_rax = (unsigned long long)-1;
	regs.rax = strtoull(argv[2], NULL, 0);
	regs.rdi = regs.rsi = regs.rdx = regs.r10 = regs.r8 = regs.r9 = 0;
	if (ptrace(PTRACE_SETREGS, tid, 0, &regs) < 0)
		return fail("PTRACE_SETREGS", tid);
	if (ptrace(PTRACE_SINGLESTEP, tid, 0, 0) < 0)
		return fail("PTRACE_SINGLESTEP", tid);
	if (!stopped(tid, &status))
		return 3;
	if (WSTOPSIG(status) != SIGTRAP) {
		/* A signal came first: the call was not made. The thread
		 * gets its registers and the signal back. */
		fprintf(stderr, "inject-syscall: thread %d stopped by signal %d, not the step\n",
			tid, WSTOPSIG(status));
		if (ptrace(PTRACE_SETREGS, tid, 0, &saved) < 0)
			return fail("PTRACE_SETREGS", tid);
		ptrace(PTRACE_DETACH, tid, 0, WSTOPSIG(status));
		return 1;
	}
	if (ptrace(PTRACE_GETREGS, tid, 0, &regs) < 0)
		return fail("PTRACE_GETREGS", tid);
	if (ptrace(PTRACE_SETREGS, tid, 0, &saved) < 0)
		return fail("PTRACE_SETREGS", tid);
	if (ptrace(PTRACE_DETACH, tid, 0, 0) < 0)
		return fail("PTRACE_DETACH", tid);
	printf("returned %lld\n", (long long)regs.rax);
	return 0;
}
