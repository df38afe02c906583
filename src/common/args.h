/* What Firecracker's binaries do with --help, -h and --version (its
 * utils' arg_parser), for azote's and azote-jailer's command lines: any of
 * them before a "--" is obeyed whatever else is given, help first, so
 * that `firecracker -h` and a bad line with --help print the usage. */
#ifndef AZOTE_COMMON_ARGS_H
#define AZOTE_COMMON_ARGS_H

#include "common/err.h"

enum args_ask { ARGS_RUN, ARGS_HELP, ARGS_VERSION };

/* argv[1..argc) up to a "--": ARGS_HELP if it holds "--help" or "-h",
 * else ARGS_VERSION if it holds "--version", else ARGS_RUN. */
enum args_ask args_ask(int argc, char **argv);

/* What getopt_long's '?' (opterr 0, no short options) was, said as a user
 * can act on it, into e; returns -1: an unknown option, or a known long
 * one lacking its value or given one it does not take (getopt_long sets
 * optopt for both; only the '=' tells them apart). The word at fault is
 * argv[optind - 1], but for an unknown letter of "-xy", whose optopt is
 * the letter. An unknown option's message ends with unknown_tail. */
int args_refuse(int argc, char **argv, int optind, int optopt, const char *unknown_tail,
		struct azerr *e);

#endif
