/* azote: the hypervisor process of one microVM. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/log.h"
#include "vmm/cli.h"
#include "vmm/event_loop.h"
#include "vmm/terminal.h"
#include "vmm/vm.h"

int main(int argc, char **argv)
{
	struct vm_config cfg;
	struct cli_opts opts;
	struct azerr err;
	struct vm vm;
	int code;

	log_init("azote", LOG_WARN);
	vm_config_init(&cfg);
	if (cli_parse(argc, argv, &cfg, &opts, &err) < 0) {
		log_error("%s", err.msg);
		vm_config_free(&cfg);
		return AZOTE_EXIT_ERROR;
	}
	if (opts.action != CLI_RUN) {
		if (opts.action == CLI_HELP)
			fputs(cli_usage, stdout);
		else
			printf("azote %s\n", AZOTE_VERSION);
		vm_config_free(&cfg);
		return 0;
	}
	log_set_level(opts.log_level);
	/* A console reader that goes away must not kill the VMM. */
	signal(SIGPIPE, SIG_IGN);
	event_loop_block_signals();

	if (vm_create(&vm, &cfg, &err) < 0) {
		log_error("%s", err.msg);
		vm_config_free(&cfg);
		return AZOTE_EXIT_ERROR;
	}
	vm_config_free(&cfg);
	terminal_raw(STDIN_FILENO);
	if (vm_run(&vm, STDIN_FILENO, &err) < 0) {
		log_error("%s", err.msg);
		vm_request_stop(&vm, AZOTE_EXIT_ERROR);
	}
	code = vm_destroy(&vm);
	terminal_restore();
	return code;
}
