#include "common/args.h"

#include <string.h>

enum args_ask args_ask(int argc, char **argv)
{
	enum args_ask ask = ARGS_RUN;

	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return ARGS_HELP;
		if (!strcmp(argv[i], "--version"))
			ask = ARGS_VERSION;
	}
	return ask;
}
