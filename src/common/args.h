/* What Firecracker's binaries do with --help, -h and --version (its
 * utils' arg_parser), for azote's and azote-jailer's command lines: any of
 * them before a "--" is obeyed whatever else is given, help first, so
 * that `firecracker -h` and a bad line with --help print the usage. */
#ifndef AZOTE_COMMON_ARGS_H
#define AZOTE_COMMON_ARGS_H

enum args_ask { ARGS_RUN, ARGS_HELP, ARGS_VERSION };

/* argv[1..argc) up to a "--": ARGS_HELP if it holds "--help" or "-h",
 * else ARGS_VERSION if it holds "--version", else ARGS_RUN. */
enum args_ask args_ask(int argc, char **argv);

#endif
