/* libFuzzer target: azote-jailer's command line (jailer_args_parse, with
 * the --cgroup, --parent-cgroup and --cgroup-version checks). */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_argv.h"
#include "jailer/args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[FUZZ_ARGV_MAX + 2], *buf;
	struct jailer_args a;
	struct azerr e;
	int argc = fuzz_argv(data, size, &buf, argv);

	if (argc < 0)
		return 0;
	if (jailer_args_parse(argc, argv, &a, &e) == 0 && !a.help && !a.version &&
	    (a.cgroup.version < 1 || a.cgroup.version > 2 || a.n_extra < 0))
		abort();
	jailer_args_free(&a);
	free(buf);
	return 0;
}
