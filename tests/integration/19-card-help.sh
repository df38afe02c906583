#!/usr/bin/env bash
# Each card's --help explains every option its parser takes (the names in
# src/iface/card.h: those every card takes, then the card's own), past the
# synopsis, and says what its exit statuses mean.
. "$(dirname "$0")/../lib/common.sh"

# The option names src/iface/*.h defines under PREFIX (CARD_OPT_ for
# every card's, CARD_BLK_OPT_ for the block card's, ...).
names() {
	sed -nE "s/^#define $1[A-Z_]+ +\"([a-z-]+)\".*/\\1/p" src/iface/card.h \
		src/iface/card_control.h | grep -vx help
}

common=$(names CARD_OPT_)
[ -n "$common" ] || die "no CARD_OPT_ names found in src/iface"
for kind in blk net vsock rng balloon pmem; do
	card=$BUILD/azote-card-$kind
	need_built "$card"
	help=$("$card" --help) || { fail "azote-card-$kind --help: status $?"; continue; }
	# The text after the synopsis (its first line not indented).
	body=$(sed '1d' <<<"$help" | sed -n '/^[^ ]/,$p')
	for opt in $common $(names "CARD_${kind^^}_OPT_"); do
		if grep -qE -- "--$opt([^a-z-]|\$)" <<<"$body"; then
			pass "azote-card-$kind --help explains --$opt"
		else
			fail "azote-card-$kind --help: --$opt only in the synopsis, or not at all"
		fi
	done
	expect_match "azote-card-$kind --help: exit status" "$body" "^Exit status: 0 .*"
done
finish
