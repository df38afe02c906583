/* The refusals of the options every card takes (cards/card_opts.c), each
 * message whole, for a card's option test to run through its own parser:
 * entries of a table of { { argv words, at most 4 }, message }, the words
 * put after "--fd 3" and the card's required options. Every card's parser
 * must give these, whatever it adds. */
#ifndef AZOTE_TESTS_UNIT_CARD_OPTS_REFUSALS_H
#define AZOTE_TESTS_UNIT_CARD_OPTS_REFUSALS_H

/* 100 characters: with "/run/" and ".sock", a path bind(2) cannot take. */
#define LONG_NAME_100 "0123456789012345678901234567890123456789"			\
	"0123456789012345678901234567890123456789" "01234567890123456789"

#define CARD_OPTS_REFUSALS								\
	{ { "--stats-fd", "2" }, "--stats-fd '2': must be a number from 3 to 65535" },	\
	{ { "--control-fd", "x" }, "--control-fd 'x': must be a number from 3 to 65535" }, \
	{ { "--seccomp", "maybe" }, "--seccomp 'maybe': must be kill, log or off" },	\
	{ { "--user", "0" }, "--user '0': must be UID or UID:GID, numbers from 1 to "	\
				"4294967294 (root is refused)" },			\
	{ { "--log-level", "loud" },							\
	  "--log-level 'loud': must be error, warning, info or debug" },		\
	{ { "--bogus" }, "unknown option '--bogus'" },					\
	{ { "-h" }, "unknown option '-h'" },						\
	{ { "extra" }, "unexpected argument 'extra'" },					\
	{ { "--socket", "s" }, "give exactly one of --socket PATH and --fd N" },	\
	{ { "--socket", "" }, "--socket '': must be the path of the socket to listen on" }, \
	{ { "--socket", "/run/" LONG_NAME_100 ".sock" }, "--socket '/run/" LONG_NAME_100	\
	  ".sock': longer than the 107 characters a socket's path may have" },		\
	{ { "--lazy-mem-fd", "6", "--page-relay-fd", "6" },				\
	  "give at most one of --lazy-mem-fd and --page-relay-fd: where guest RAM's "	\
	  "pages come from" }

#endif
