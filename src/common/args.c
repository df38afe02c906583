#include "common/args.h"

#include <stdbool.h>
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

int args_refuse(int argc, char **argv, int optind, int optopt, const char *unknown_tail,
		struct azerr *e)
{
	const char *next = optind < argc ? argv[optind] : "";
	const char *word = argv[optind - 1];

	/* An unknown letter of "-xy" leaves optind on that word; these
	 * programs take no short option, so it is the word's first. */
	bool cluster = optopt && optopt != '-' && next[0] == '-' && next[1] == optopt &&
		       next[2];
	if (cluster || strncmp(word, "--", 2))
		return azerr_set(e, "unknown option '-%c'%s", optopt, unknown_tail);
	if (!optopt)
		return azerr_set(e, "unknown option '%s'%s", word, unknown_tail);
	return azerr_set(e, strchr(word, '=') ? "option '%s' takes no value" :
			 "option '%s' needs a value", word);
}
