#!/usr/bin/env bash
# azote-card-balloon without a VM: vuballoon-drv is hypervisor and
# virtio-balloon driver in one process, over a memfd as guest memory.
# Covers the features and ring count each option set offers, the 8-byte
# configuration (zeroes read, writes of actual taken, writes touching
# num_pages or past the 8 bytes refused), inflated pages given back (they
# read zero, the memfd's blocks fall by exactly them, their neighbours
# kept), PFNs outside guest memory counted
# while the card goes on, deflate, a free page report given back by whole
# pages, hostile chains, the statistics buffer read and returned every
# interval, at once on SET_STATS_INTERVAL and when its ring stops, a
# 256-PFN list as Linux sends them under --seccomp kill, the counters page
# exact, the sandbox (--user, --seccomp kill), guest memory on 2 MiB
# hugetlbfs pages given nothing back (a whole huge page inflated, another
# reported: the memfd keeps them, nothing counted), and the card's
# refusals.
. "$(dirname "$0")/../lib/common.sh"

CARD=$BUILD/azote-card-balloon
DRV=$BUILD/tests/vuballoon-drv
need_built "$CARD" "$DRV"
ALL="config inflate outside deflate reporting hostile stats interval stop batch seccomp counters"
FULL=(--stats-interval 1 --deflate-on-oom --free-page-reporting)

echo "--- every feature: statistics every second, deflate on OOM, free page reporting"
# shellcheck disable=SC2086 # $ALL: the tests
expect_ok "every test, card started as azote does" \
	timeout 90 "$DRV" --interval 1 --oom --reporting $ALL -- "$CARD" --fd '{fd}' \
	--stats-fd '{stats}' --control-fd '{ctl}' --seccomp kill "${FULL[@]}"

echo "--- no option: two rings, no statistics"
expect_ok "inflate and deflate only; SET_STATS_INTERVAL refused" \
	timeout 60 "$DRV" config inflate outside deflate hostile nostats batch seccomp counters -- \
	"$CARD" --fd '{fd}' --stats-fd '{stats}' --control-fd '{ctl}' --seccomp kill
expect_ok "a guest flooding its inflate ring: the deflate ring's stop is still answered at once" \
	timeout 60 "$DRV" inflate flood -- "$CARD" --fd '{fd}' --stats-fd '{stats}' --seccomp kill
expect_ok "free page reporting alone: its ring is the third" \
	timeout 60 "$DRV" --reporting reporting inflate counters -- \
	"$CARD" --fd '{fd}' --stats-fd '{stats}' --free-page-reporting

echo "--- guest memory on 2 MiB pages (huge_pages \"2M\"): nothing given back"
# The driver's mapping reserves its 32 pages from the host's pool, which
# is root's to size.
if [ "$(id -u)" -ne 0 ]; then
	echo "note: not root: guest memory on huge pages not tried (the host's pool is root's)"
elif ! huge_pages_available > /dev/null; then
	echo "note: this kernel has no pool of 2 MiB pages: guest memory on huge pages not tried"
elif huge_pages_free 32; then
	expect_ok "a huge page inflated and one reported stay in the memfd, counted 0" \
		timeout 60 "$DRV" --huge --reporting huge seccomp counters -- \
		"$CARD" --fd '{fd}' --stats-fd '{stats}' --seccomp kill --free-page-reporting
fi

echo "--- confined (--user, as azote starts it when root) under --seccomp kill"
if [ "$(id -u)" = 0 ]; then
	expect_ok "confined card, nobody, still serving" \
		timeout 60 "$DRV" --interval 1 --reporting inflate reporting stats seccomp counters -- \
		"$CARD" --fd '{fd}' --stats-fd '{stats}' --seccomp kill --user 65534:65534 \
		--stats-interval 1 --free-page-reporting
	"$CARD" --socket "$TMP/b.sock" --user 65534:65534 --seccomp kill 2> "$TMP/card.err" &
	pid=$!
	kill_at_exit $pid
	wait_socket "$TMP/b.sock" && expect_confined "listening card" $pid 65534 65534
else
	echo "not root: confinement not tried"
fi

echo "--- refusals"
expect_refusal 2 "--stats-interval '65536': must be a number of seconds from 0 to 65535" \
	"$CARD" --fd 3 --stats-interval 65536
expect_refusal 2 "--stats-interval '1m': must be a number of seconds from 0 to 65535" \
	"$CARD" --fd 3 --stats-interval 1m
expect_refusal 2 "give exactly one of --socket PATH and --fd N" "$CARD" --stats-interval 1
expect_refusal 2 "unknown option '--amount-mib'" "$CARD" --fd 3 --amount-mib 64
out=$("$CARD" --help 2>&1) && expect_match "--help names the options" "$out" \
	"--free-page-reporting"
finish
