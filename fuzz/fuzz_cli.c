/* libFuzzer target: azote's command line (cli_parse), Firecracker's flags
 * and the --drive / --net item lists included. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_argv.h"
#include "vmm/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[FUZZ_ARGV_MAX + 2], *buf;
	struct vm_config c;
	struct cli_opts o;
	struct azerr e;
	int argc = fuzz_argv(data, size, &buf, argv);

	if (argc < 0)
		return 0;
	vm_config_init(&c);
	cli_parse(argc, argv, &c, &o, &e);
	vm_config_free(&c);
	cli_opts_free(&o);
	free(buf);
	return 0;
}
