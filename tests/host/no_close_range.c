/* no-close-range PROGRAM ARGS...: runs PROGRAM under a seccomp filter on
 * which close_range fails with ENOSYS, as on a kernel before 5.9 or under
 * a container runtime's profile that does not know it: test 16 checks
 * that azote-jailer then jails nothing rather than pass on the fds it was
 * given. */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: no-close-range PROGRAM ARGS...\n");
		return 2;
	}
	if (!ctx || (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
					   seccomp_syscall_resolve_name("close_range"), 0)) < 0 ||
	    (rc = seccomp_load(ctx)) < 0) {
		fprintf(stderr, "no-close-range: cannot install the filter\n");
		return 2;
	}
	seccomp_release(ctx);
	execv(argv[1], argv + 1);
	fprintf(stderr, "no-close-range: %s: %s\n", argv[1], strerror(errno));
	return 2;
}
