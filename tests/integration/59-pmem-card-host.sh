#!/usr/bin/env bash
# azote-card-pmem without a VM: vupmem-drv is hypervisor and virtio-pmem
# driver in one process, over a memfd as guest memory, writing the
# region through its own shared mapping of the backing file as azote maps
# it into a guest. Covers the configuration (16 zero bytes, azote's to
# fill; writes refused), flushes answered OK one by one and sixteen in one
# kick, the guest's writes on the disk after a flush, hostile chains
# answered EIO or 0 while the card goes on, the file held read-write or
# read-only (--ro), Firecracker's ops and bandwidth limits held (a flush
# costs one op and the file's length), new limits over the control
# channel, the counters page exact, the card's exit once its front-end
# hangs up, the sandbox (--user, --seccomp kill), and the card's
# refusals: a backing file missing, a directory, empty, a FIFO.
. "$(dirname "$0")/../lib/common.sh"

CARD=$BUILD/azote-card-pmem
DRV=$BUILD/tests/vupmem-drv
need_built "$CARD" "$DRV"
FILE=$TMP/pmem.img
truncate -s 2M "$FILE"
ALL="config flush batch durable hostile mode control seccomp stats"

echo "--- card started by the driver (it exits 0 when the driver hangs up)"
# shellcheck disable=SC2086 # $ALL: the tests
expect_ok "every test, card started as azote does" \
	timeout 60 "$DRV" --file "$FILE" $ALL -- "$CARD" --fd '{fd}' --stats-fd '{stats}' \
	--control-fd '{ctl}' --seccomp kill --file "$FILE"
expect_ok "--ro: the file held read-only, flushes still answered" \
	timeout 60 "$DRV" --file "$FILE" --ro config flush batch hostile mode seccomp stats -- \
	"$CARD" --fd '{fd}' --stats-fd '{stats}' --seccomp kill --file "$FILE" --ro

expect_ok "a guest flooding its ring: the ring's stop is still answered at once" \
	timeout 60 "$DRV" --file "$FILE" flush flood -- "$CARD" --fd '{fd}' --seccomp kill \
	--file "$FILE"

echo "--- rate limits: a flush costs one op and the file's 2 MiB"
expect_ok "--ops-limit size=1,refill_time=100: 10 flushes/s (15 %)" \
	timeout 60 "$DRV" --rate 10 rate stats -- "$CARD" --fd '{fd}' --stats-fd '{stats}' \
	--file "$FILE" --ops-limit size=1,refill_time=100
expect_ok "--bw-limit size=2097152,refill_time=100: 10 flushes/s (15 %)" \
	timeout 60 "$DRV" --rate 10 rate stats -- "$CARD" --fd '{fd}' --stats-fd '{stats}' \
	--file "$FILE" --bw-limit size=2097152,refill_time=100
expect_ok "a limit the flushes never reach throttles none" \
	timeout 60 "$DRV" flush batch stats -- "$CARD" --fd '{fd}' --stats-fd '{stats}' \
	--file "$FILE" --ops-limit size=1000,refill_time=1000

echo "--- confined (--user, as azote starts it when root) under --seccomp kill"
if [ "$(id -u)" = 0 ]; then
	expect_ok "confined card, nobody, still flushing" \
		timeout 60 "$DRV" --file "$FILE" flush durable hostile seccomp stats -- "$CARD" \
		--fd '{fd}' --stats-fd '{stats}' --seccomp kill --user 65534:65534 --file "$FILE"
	"$CARD" --socket "$TMP/p.sock" --user 65534:65534 --seccomp kill --file "$FILE" \
		2> "$TMP/card.err" &
	pid=$!
	kill_at_exit $pid
	wait_socket "$TMP/p.sock" && expect_confined "listening card" $pid 65534 65534
else
	echo "not root: confinement not tried"
fi

echo "--- refusals"
mkdir "$TMP/dir"
: > "$TMP/empty"
mkfifo "$TMP/fifo"
S=(--socket "$TMP/refused.sock")
expect_refusal 2 "--file PATH is required: the backing file" "$CARD" "${S[@]}"
expect_refusal 1 "--file $TMP/missing: cannot open it read-write: No such file or directory" \
	"$CARD" "${S[@]}" --file "$TMP/missing"
expect_refusal 1 "--file $TMP/missing: cannot open it read-only: No such file or directory" \
	"$CARD" "${S[@]}" --file "$TMP/missing" --ro
expect_refusal 1 "--file $TMP/dir is a directory, not a regular file" \
	"$CARD" "${S[@]}" --file "$TMP/dir"
expect_refusal 1 "--file $TMP/dir is a directory, not a regular file" \
	"$CARD" "${S[@]}" --file "$TMP/dir" --ro
expect_refusal 1 "--file $TMP/empty is empty: the device needs a file of at least one byte" \
	"$CARD" "${S[@]}" --file "$TMP/empty"
expect_refusal 1 "--file $TMP/fifo is a FIFO, not a regular file" \
	"$CARD" "${S[@]}" --file "$TMP/fifo" --ro
[ ! -e "$TMP/refused.sock" ] && pass "a refused card made no socket" ||
	fail "a refused card left $TMP/refused.sock"
expect_refusal 2 "--bw-limit 'size=1': size and refill_time are required" "$CARD" \
	"${S[@]}" --file "$FILE" --bw-limit size=1
expect_refusal 2 "option '--ro=yes' takes no value" "$CARD" "${S[@]}" --file "$FILE" --ro=yes
expect_refusal 2 "give exactly one of --socket PATH and --fd N" "$CARD" --file "$FILE"
out=$("$CARD" --help 2>&1) && expect_match "--help names the file" "$out" "--file PATH"
finish
