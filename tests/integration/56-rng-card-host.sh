#!/usr/bin/env bash
# azote-card-rng without a VM: vurng-drv is hypervisor and virtio-rng
# driver in one process. Covers random bytes delivered with the right
# used lengths (sizes, a chain of three buffers, the 64 KiB cap), two
# reads that differ, hostile chains answered with 0 while the card goes
# on, Firecracker's ops and bandwidth limits held (empty requests charged
# an op too), the counters page
# exact, the sandbox (--user, --seccomp kill), and the card's refusals.
. "$(dirname "$0")/../lib/common.sh"

CARD=$BUILD/azote-card-rng
DRV=$BUILD/tests/vurng-drv
need_built "$CARD" "$DRV"
ALL="sizes differ cap hostile seccomp stats"

echo "--- card started by the driver"
# shellcheck disable=SC2086 # $ALL: the tests
expect_ok "every test, card started as azote does" \
	timeout 60 "$DRV" $ALL -- "$CARD" --fd '{fd}' --stats-fd '{stats}' --seccomp kill

expect_ok "a guest flooding its ring: the ring's stop is still answered at once" \
	timeout 60 "$DRV" sizes flood -- "$CARD" --fd '{fd}' --seccomp kill

echo "--- rate limits: 1 request per 100 ms; 80 KiB/s in 4 KiB requests"
expect_ok "--ops-limit size=1,refill_time=100: 10 requests/s (15 %)" \
	timeout 60 "$DRV" --ops 10 rate stats -- "$CARD" --fd '{fd}' --stats-fd '{stats}' \
	--ops-limit size=1,refill_time=100
expect_ok "--ops-limit size=1,refill_time=100: empty requests too, 10/s (15 %)" \
	timeout 60 "$DRV" --ops 10 --len 0 rate stats -- "$CARD" --fd '{fd}' --stats-fd '{stats}' \
	--ops-limit size=1,refill_time=100
expect_ok "--bw-limit size=8192,refill_time=100: 81920 bytes/s (15 %)" \
	timeout 60 "$DRV" --bw 81920 rate stats -- "$CARD" --fd '{fd}' --stats-fd '{stats}' \
	--bw-limit size=8192,refill_time=100
expect_ok "a limit the requests never reach throttles none" \
	timeout 60 "$DRV" sizes stats -- "$CARD" --fd '{fd}' --stats-fd '{stats}' \
	--ops-limit size=1000,refill_time=1000

echo "--- confined (--user, as azote starts it when root) under --seccomp kill"
if [ "$(id -u)" = 0 ]; then
	# shellcheck disable=SC2086 # $ALL: the tests
	expect_ok "confined card, nobody, still serving" \
		timeout 60 "$DRV" $ALL -- "$CARD" --fd '{fd}' --stats-fd '{stats}' \
		--seccomp kill --user 65534:65534
	"$CARD" --socket "$TMP/r.sock" --user 65534:65534 --seccomp kill 2> "$TMP/card.err" &
	pid=$!
	kill_at_exit $pid
	wait_socket "$TMP/r.sock" && expect_confined "listening card" $pid 65534 65534
else
	echo "not root: confinement not tried"
fi

echo "--- refusals"
expect_refusal 2 "--bw-limit 'size=1': size and refill_time are required" "$CARD" \
	--fd 3 --bw-limit size=1
expect_refusal 2 "--ops-limit 'size=x,refill_time=1': size 'x' must be a number" "$CARD" \
	--fd 3 --ops-limit size=x,refill_time=1
expect_refusal 2 "give exactly one of --socket PATH and --fd N" "$CARD" --ops-limit size=1,refill_time=1
expect_refusal 2 "unknown option '--queues'" "$CARD" --fd 3 --queues 2
out=$("$CARD" --help 2>&1) && expect_match "--help names the limits" "$out" "--ops-limit BUCKET"
finish
