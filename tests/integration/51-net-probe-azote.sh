#!/usr/bin/env bash
# needs: kvm
# The probe's virtio-net client under azote with the net card, the same
# checks 33-probe-qemu-net.sh makes of QEMU's own virtio-net: net-echo
# against the kernel's IP stack on a TAP in a namespace this test creates
# (and removes on every exit path), and net-bench with its figures. The
# card is started by azote (--net), also on a multi_queue TAP with two
# pairs, and run by hand behind --vhost-user-net with a MAC azote sets.
# Last, the card is killed in the middle of net-bench: azote must survive,
# say what happened, and the guest must see its device fail.
. "$(dirname "$0")/../lib/probe-common.sh"
. tests/lib/netns.sh
require_kvm
need_built "$AZOTE" "$BUILD/azote-card-net" "$BUILD/probe-netpeer"
netns_init

host=10.213.0.1 guest=10.213.0.2 mac=06:00:ac:10:00:02
netns_tap ptap0
netns_tap ptapmq multi_queue
use_tap() { netns_use_tap "$host/24" "$1" ptap0 ptapmq; }
g=(probe.ip=$guest/24 probe.peer=$host)
# probe-run hands --tap NAME and --vhost-user-net SOCK to azote as
# tap=NAME / socket=SOCK items: more items (queues=, mac=) ride along.

# A TAP that does not exist: azote stops with the card's message.
out=$(in_ns "$AZOTE" --kernel "$PROBE_ELF" --net tap=nosuch0 </dev/null 2>&1)
rc=$?
if [ "$rc" = 1 ] && [[ $out == *"TAP device nosuch0 does not exist"* ]] &&
   [[ $out == *"virtio-net net0: the card exited with status 1"* ]]; then
	pass "missing TAP: azote exits 1 with the card's message"
else
	fail "missing TAP: rc=$rc: $out"
fi

use_tap ptap0
expect_probe net-echo 0 "PASS .*mac=$mac .*sent=22 received=22 lost=0 bad=0 max_payload=1472" -- \
	in_ns_run --vmm azote --timeout 60 --tap ptap0 --mac "$mac" -- probe.test=net-echo "${g[@]}"
expect_probe net-echo-mmio 0 "PASS transport=mmio mmio=0xfeb00000 irq=5 .*mac=$mac .*received=22 lost=0 bad=0" -- \
	in_ns_run --vmm azote --timeout 60 --transport mmio --tap ptap0 --mac "$mac" -- \
	probe.test=net-echo "${g[@]}"
expect_probe net-echo-no-peer 1 'FAIL .*reason=arp_no_reply' -- \
	in_ns_run --vmm azote --timeout 60 --tap ptap0 -- probe.test=net-echo \
	probe.ip=$guest/24 probe.peer=10.213.0.9

use_tap ptapmq
expect_probe net-echo-2-pairs 0 "PASS .*sent=22 received=22 lost=0 bad=0" -- \
	in_ns_run --vmm azote --timeout 60 --tap "ptapmq,queues=2" -- probe.test=net-echo "${g[@]}"

use_tap ptap0
sock=$TMP/net.sock
netns_bg "$BUILD/azote-card-net" --tap ptap0 --socket "$sock" 2>"$TMP/card.log"
card=$!
wait_socket "$sock"
expect_probe net-echo-vhost-user 0 "PASS .*mac=06:00:ac:10:00:09 .*received=22 lost=0 bad=0" -- \
	in_ns_run --vmm azote --timeout 60 --vhost-user-net "$sock,mac=06:00:ac:10:00:09" -- \
	probe.test=net-echo "${g[@]}"
if kill -0 "$card" 2>/dev/null; then
	pass "the card behind --vhost-user-net survived"
else
	fail "the card behind --vhost-user-net died"
fi
netns_stop "$card"

netns_bg "$BUILD/probe-netpeer" --addr "$host" --port 9000 --lifetime 120 2>"$TMP/peer.log"
rx0=$(netns_rx_packets ptap0)
expect_probe net-bench 0 'PASS .*tx_pps=[1-9][0-9]* .*rx_pps=[1-9][0-9]* ' -- \
	in_ns_run --vmm azote --timeout 60 --tap ptap0 -- probe.test=net-bench "${g[@]}" probe.secs=1
netns_check_bench ptap0 "$rx0" "$PROBE_OUT"

echo "---- the card killed during net-bench"
netns_bg "$AZOTE" --kernel "$PROBE_ELF" --memory 128M --net tap=ptap0 \
	--cmdline "probe.test=net-bench ${g[*]} probe.secs=3" \
	</dev/null >"$TMP/crash.out" 2>"$TMP/crash.err"
vm=$!
wait_for "$TMP/crash.out" "net-bench.tx start" 60
sleep 0.5
# azote's only child is its card.
card=$(pgrep -P "$vm")
killed=$(date +%s%N)
[ -n "$card" ] && kill -9 "$card"
# The probe ends the VM once it sees its NIC fail: net-bench looks at the
# device status (NEEDS_RESET) whenever a ring goes quiet, in either phase;
# in the box the kill can land after the transmit phase.
for ((i = 0; i < 300; i++)); do kill -0 "$vm" 2>/dev/null || break; sleep 0.1; done
kill -0 "$vm" 2>/dev/null && kill -9 "$vm"
wait "$vm"
rc=$?
ms=$(( ($(date +%s%N) - killed) / 1000000 ))
grep '^PROBE net-bench' "$TMP/crash.out"
grep '^azote' "$TMP/crash.err"
if [ -z "$card" ] || [ "$rc" != 0 ] || ! grep -q 'PROBE net-bench FAIL .*reason=' "$TMP/crash.out"; then
	fail "card-crash: azote exited $rc; want 0 with the probe's FAIL (the guest ended the VM)"
elif ! grep -q "virtio-net net0: the card was killed by signal 9" "$TMP/crash.err" ||
     ! grep -q "marked as needing reset.*keeps running" "$TMP/crash.err"; then
	fail "card-crash: azote did not report the card's death"
else
	pass "card-crash: azote survived and said so; the guest saw its NIC fail ${ms} ms later"
fi
finish
