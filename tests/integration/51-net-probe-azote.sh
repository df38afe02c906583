#!/usr/bin/env bash
# The probe's virtio-net client under azote with the net card, the same
# checks 33-probe-qemu-net.sh makes of QEMU's own virtio-net: net-echo
# against the kernel's IP stack on a TAP in a namespace this test creates
# (and removes on every exit path), and net-bench with its figures. The
# card is started by azote (--net), also on a multi_queue TAP with two
# pairs, and run by hand behind --vhost-user-net with a MAC azote sets.
# Last, the card is killed in the middle of net-bench: azote must survive,
# say what happened, and the guest must see its device fail.
set -uo pipefail
. "$(dirname "$0")/../lib/probe-common.sh"
command -v ip >/dev/null || { echo "skip: no ip (iproute2)"; exit 77; }
for f in build/azote build/azote-card-net build/probe-netpeer; do
	[ -x "$f" ] || { echo "$f missing: run make"; exit 1; }
done

. tests/lib/netns.sh
NS=aznet$$ host=10.213.0.1 guest=10.213.0.2 mac=06:00:ac:10:00:02
cleanups+=("ip netns del $NS 2>/dev/null")
netns_create || { echo "skip: cannot create a network namespace"; exit 77; }
# probe-common's expect runs in_ns_run commands in $ns.
ns=$NS
in_ns() { ip netns exec "$NS" "$@"; }
# Background processes run under ip netns exec directly, so that $! is
# theirs (ip execs the program) and not a subshell's.
netns_tap ptap0
netns_tap ptapmq multi_queue
use_tap() { netns_use_tap "$host/24" "$1" ptap0 ptapmq; }
g=(probe.ip=$guest/24 probe.peer=$host)
# probe-run hands --tap NAME and --vhost-user-net SOCK to azote as
# tap=NAME / socket=SOCK items: more items (queues=, mac=) ride along.

# A TAP that does not exist: azote stops with the card's message.
out=$(in_ns build/azote --kernel build/probe.elf --net tap=nosuch0 </dev/null 2>&1)
rc=$?
if [ "$rc" = 1 ] && [[ $out == *"TAP device nosuch0 does not exist"* ]] &&
   [[ $out == *"virtio-net net0: the card exited with status 1"* ]]; then
	echo "ok   missing TAP: azote exits 1 with the card's message"
else
	echo "FAIL missing TAP: rc=$rc: $out"
	failed=1
fi

use_tap ptap0
expect net-echo 0 "PASS .*mac=$mac .*sent=22 received=22 lost=0 bad=0 max_payload=1472" -- \
	in_ns_run --vmm azote --timeout 60 --tap ptap0 --mac "$mac" -- probe.test=net-echo "${g[@]}"
expect net-echo-no-peer 1 'FAIL .*reason=arp_no_reply' -- \
	in_ns_run --vmm azote --timeout 60 --tap ptap0 -- probe.test=net-echo \
	probe.ip=$guest/24 probe.peer=10.213.0.9

use_tap ptapmq
expect net-echo-2-pairs 0 "PASS .*sent=22 received=22 lost=0 bad=0" -- \
	in_ns_run --vmm azote --timeout 60 --tap "ptapmq,queues=2" -- probe.test=net-echo "${g[@]}"

use_tap ptap0
sock=$tmp/net.sock
ip netns exec "$NS" build/azote-card-net --tap ptap0 --socket "$sock" 2>"$tmp/card.log" &
card=$!
cleanups+=("kill $card 2>/dev/null; wait $card 2>/dev/null")
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
expect net-echo-vhost-user 0 "PASS .*mac=06:00:ac:10:00:09 .*received=22 lost=0 bad=0" -- \
	in_ns_run --vmm azote --timeout 60 --vhost-user-net "$sock,mac=06:00:ac:10:00:09" -- \
	probe.test=net-echo "${g[@]}"
kill -0 "$card" 2>/dev/null || { echo "FAIL: the card behind --vhost-user-net died"; failed=1; }
kill "$card" 2>/dev/null
wait "$card" 2>/dev/null

ip netns exec "$NS" build/probe-netpeer --addr "$host" --port 9000 --lifetime 120 2>"$tmp/peer.log" &
peer=$!
cleanups+=("kill $peer 2>/dev/null; wait $peer 2>/dev/null")
rx0=$(netns_rx_packets ptap0)
expect net-bench 0 'PASS .*tx_pps=[1-9][0-9]* .*rx_pps=[1-9][0-9]* ' -- \
	in_ns_run --vmm azote --timeout 60 --tap ptap0 -- probe.test=net-bench "${g[@]}" probe.secs=1
netns_check_bench ptap0 "$rx0" "$tmp/out" || failed=1

echo "---- the card killed during net-bench"
ip netns exec "$NS" build/azote --kernel build/probe.elf --memory 128M --net tap=ptap0 \
	--cmdline "probe.test=net-bench ${g[*]} probe.secs=3" \
	</dev/null >"$tmp/crash.out" 2>"$tmp/crash.err" &
vm=$!
cleanups+=("kill -9 $vm 2>/dev/null; wait $vm 2>/dev/null")
for _ in $(seq 600); do grep -q "net-bench.tx start" "$tmp/crash.out" && break; sleep 0.1; done
sleep 0.5
# azote's only child is its card.
card=$(pgrep -P "$vm")
killed=$(date +%s%N)
[ -n "$card" ] && kill -9 "$card"
# The probe ends the VM once it sees its NIC fail (net-bench notices when
# its transmit phase ends and the frames it sent were never completed).
for _ in $(seq 300); do kill -0 "$vm" 2>/dev/null || break; sleep 0.1; done
kill -0 "$vm" 2>/dev/null && kill -9 "$vm"
wait "$vm"
rc=$?
ms=$(( ($(date +%s%N) - killed) / 1000000 ))
grep '^PROBE net-bench' "$tmp/crash.out"
grep '^azote' "$tmp/crash.err"
if [ -z "$card" ] || [ "$rc" != 0 ] || ! grep -q 'PROBE net-bench FAIL .*reason=' "$tmp/crash.out"; then
	echo "FAIL card-crash: azote exited $rc; want 0 with the probe's FAIL (the guest ended the VM)"
	failed=1
elif ! grep -q "virtio-net net0: the card was killed by signal 9" "$tmp/crash.err" ||
     ! grep -q "marked as needing reset.*keeps running" "$tmp/crash.err"; then
	echo "FAIL card-crash: azote did not report the card's death"
	failed=1
else
	echo "ok   card-crash: azote survived and said so; the guest saw its NIC fail ${ms} ms later"
fi
exit $failed
