#!/usr/bin/env bash
# needs: kvm
# Firecracker's Uffd memory backend end to end (docs/snapshot.md,
# "Memory"): the probe's persist test (a counter in memory and on its
# disk, its block queue interrupt-driven) is snapshotted and azote killed;
# an external page-fault handler (the tests' own, written to Firecracker's
# handshake: tests/host/uffd_handler.c) serves the memory file, and a new
# azote loads the snapshot with {"backend_type": "Uffd"}: azote's guest RAM
# is filled by the handler, and the block card's faults reach it through
# azote's page relay. The probe goes on from the next round and passes;
# the handler copied only part of RAM (the load was lazy) and ends with
# azote. Before that, a load from a socket no handler listens on is
# refused, naming the socket, and the same process then loads.
. "$(dirname "$0")/../lib/api.sh"
. "$(dirname "$0")/../lib/snapshot.sh"
require_kvm
require curl
HANDLER=$BUILD/tests/uffd-handler
need_built "$HANDLER"

rounds=12
API_SOCK=$TMP/a.sock
run_to_round3 "$rounds"
snap_create "$TMP/vm.snap" "$TMP/vm.mem"
last=$(last_round "$TMP/first.out")
snap_kill "$pid"

echo "--- a new process, no handler at the socket"
API_SOCK=$TMP/b.sock
start second --api-sock "$API_SOCK"
wait_socket "$API_SOCK"
uffd_load() {
	api_expect "$1" "$2" PUT /snapshot/load "{\"snapshot_path\": \"$TMP/vm.snap\",
		\"mem_backend\": {\"backend_type\": \"Uffd\", \"backend_path\": \"$3\"}}"
}
uffd_load 400 "Failed to restore from snapshot: the page-fault handler's socket $TMP/none.sock: No such file or directory" \
	"$TMP/none.sock"
api_expect 200 '"state":"Not started"' GET /

echo "--- the handler serves the memory file"
"$HANDLER" "$TMP/h.sock" "$TMP/vm.mem" >"$TMP/handler.out" 2>"$TMP/handler.err" &
hpid=$!
kill_at_exit "$hpid"
wait_socket "$TMP/h.sock"
uffd_load 204 '' "$TMP/h.sock"
api_expect 200 '"state":"Paused"' GET /
snap_lazy "$pid"
expect_match "azote handed its RAM to the handler" "$(cat "$TMP/second.err")" \
	"guest memory handed to the page-fault handler at $TMP/h.sock"
card=$(pgrep -P "$pid" | head -n 1)
expect_match "the block card takes its pages through azote's relay" \
	"$(tr '\0' ' ' <"/proc/$card/cmdline")" "--page-relay-fd [0-9]+"
expect_match "served by a relay thread of azote's" "$(cat /proc/"$pid"/task/*/comm)" "^page-relay$"
api_expect 204 '' PATCH /vm '{"state": "Resumed"}'
expect_resumed second "$last" "$rounds"
grep -a 'pages relayed' "$TMP/second.err" | sed 's/^/    /'

wait_exit "$hpid" 30 || die "the handler did not end with azote: $(cat "$TMP/handler.err")"
summary=$(cat "$TMP/handler.out")
echo "    $summary"
copied=$(sed -n 's/^uffd-handler: \([0-9]*\) pages copied.*/\1/p' <<<"$summary")
all=$(($(stat -c %s "$TMP/vm.mem") / $(getconf PAGESIZE)))
[ -n "$copied" ] || die "the handler said: $summary $(cat "$TMP/handler.err")"
expect_eq "the handler served some pages" "$([ "$copied" -gt 0 ] && echo yes)" yes
expect_eq "and not all $all of them: the load was lazy" "$([ "$copied" -lt "$all" ] && echo yes)" yes
finish
