#include "vmm/cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "common/size.h"

const char cli_usage[] =
"Usage: azote --kernel PATH [options]\n"
"\n"
"Boots a microVM on KVM. The guest's serial console (COM1) is this\n"
"process's stdin and stdout; diagnostics go to stderr.\n"
"\n"
"Guest:\n"
"  --kernel PATH        kernel: bzImage (boot protocol >= 2.06), ELF vmlinux,\n"
"                       or a PVH ELF (XEN_ELFNOTE_PHYS32_ENTRY)\n"
"  --initrd PATH        initial ramdisk\n"
"  --cmdline STR        kernel command line\n"
"  --boot-entry MODE    for an ELF kernel: auto (PVH if the ELF has the\n"
"                       note, else 64-bit), pvh, or linux64 (default auto)\n"
"  --cpus N             vCPUs (default 1)\n"
"  --memory SIZE        guest RAM, e.g. 128M, 2G; a bare number is MiB\n"
"                       (default 128M)\n"
"\n"
"Other:\n"
"  --log-level LEVEL    error, warning (default), info or debug\n"
"  --help               this text\n"
"  --version            azote's version\n"
"\n"
"Exit status: 0 when the guest shuts down or resets itself, 1 when azote\n"
"cannot start the VM, 2 when the guest faults (triple fault, KVM error,\n"
"unhandled exit; a register dump goes to stderr), 128+N when stopped by\n"
"signal N.\n";

enum {
	OPT_KERNEL = 256, OPT_INITRD, OPT_CMDLINE, OPT_BOOT_ENTRY, OPT_CPUS,
	OPT_MEMORY, OPT_LOG_LEVEL, OPT_HELP, OPT_VERSION,
};

static const struct option long_opts[] = {
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "boot-entry", required_argument, NULL, OPT_BOOT_ENTRY },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* Replaces *dst with a copy of src. */
static int set_string(char **dst, const char *src, const char *opt, struct azerr *e)
{
	char *copy = strdup(src);

	if (!copy)
		return azerr_set(e, "%s: out of memory", opt);
	free(*dst);
	*dst = copy;
	return 0;
}

static int parse_boot_entry(const char *s, enum boot_entry_pref *out, struct azerr *e)
{
	if (!strcmp(s, "auto"))
		*out = BOOT_ENTRY_AUTO;
	else if (!strcmp(s, "pvh"))
		*out = BOOT_ENTRY_PVH;
	else if (!strcmp(s, "linux64"))
		*out = BOOT_ENTRY_LINUX64;
	else
		return azerr_set(e, "--boot-entry '%s': expected auto, pvh or linux64", s);
	return 0;
}

static int parse_one(int opt, const char *arg, struct vm_config *c,
		     struct cli_opts *o, struct azerr *e)
{
	uint64_t v;

	switch (opt) {
	case OPT_KERNEL:
		return set_string(&c->kernel_path, arg, "--kernel", e);
	case OPT_INITRD:
		return set_string(&c->initrd_path, arg, "--initrd", e);
	case OPT_CMDLINE:
		return set_string(&c->cmdline, arg, "--cmdline", e);
	case OPT_BOOT_ENTRY:
		return parse_boot_entry(arg, &c->entry_pref, e);
	case OPT_CPUS:
		if (parse_uint(arg, 1, 1024, &v) < 0)
			return azerr_set(e, "--cpus '%s': expected a number from 1 to 1024", arg);
		c->nr_cpus = (unsigned)v;
		return 0;
	case OPT_MEMORY:
		if (parse_size(arg, 1ULL << 20, &v) < 0)
			return azerr_set(e, "--memory '%s': expected a size such as 512M or 2G", arg);
		c->mem_bytes = v;
		return 0;
	case OPT_LOG_LEVEL:
		if (log_parse_level(arg, &o->log_level) < 0)
			return azerr_set(e, "--log-level '%s': expected error, warning, info or debug", arg);
		return 0;
	case OPT_HELP:
		o->action = CLI_HELP;
		return 0;
	case OPT_VERSION:
		o->action = CLI_VERSION;
		return 0;
	default:
		return azerr_set(e, "unknown option (see --help)");
	}
}

int cli_parse(int argc, char **argv, struct vm_config *c, struct cli_opts *o,
	      struct azerr *e)
{
	int opt;

	o->action = CLI_RUN;
	o->log_level = LOG_WARN;
	opterr = 0;
	optind = 0; /* full re-initialisation, so the parser can run again */
	while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		if (opt == '?') {
			if (optopt)
				return azerr_set(e, "option '%s' needs a value", argv[optind - 1]);
			return azerr_set(e, "unknown option '%s' (see --help)", argv[optind - 1]);
		}
		if (parse_one(opt, optarg, c, o, e) < 0)
			return -1;
	}
	if (optind < argc)
		return azerr_set(e, "unexpected argument '%s' (see --help)", argv[optind]);
	if (o->action == CLI_RUN && !c->kernel_path)
		return azerr_set(e, "no kernel: --kernel PATH is required (see --help)");
	return 0;
}
