/* azote-rebase-snap: see rebase_snap.h. Exit status 0 when merged, 1 when
 * a file is refused or a copy fails (the message names the file), 2 for a
 * command line it does not take (with the usage). */
#include <stdio.h>

#include "tools/rebase_snap.h"

int main(int argc, char **argv)
{
	struct rebase_args a;
	struct azerr e;
	uint64_t bytes;

	if (rebase_snap_args(argc, argv, &a, &e) < 0) {
		fprintf(stderr, "azote-rebase-snap: %s\n\n%s", e.msg, rebase_snap_usage);
		return 2;
	}
	if (a.action == REBASE_HELP) {
		fputs(rebase_snap_usage, stdout);
		return 0;
	}
	if (a.action == REBASE_VERSION) {
		printf("azote-rebase-snap %s\n", AZOTE_VERSION);
		return 0;
	}
	if (rebase_snap(a.base, a.diff, &bytes, &e) < 0) {
		fprintf(stderr, "azote-rebase-snap: %s\n", e.msg);
		return 1;
	}
	printf("azote-rebase-snap: %llu bytes of %s merged onto %s\n", (unsigned long long)bytes,
	       a.diff, a.base);
	return 0;
}
