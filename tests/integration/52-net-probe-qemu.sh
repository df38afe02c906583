#!/usr/bin/env bash
# QEMU (q35, -netdev vhost-user) with azote-card-net as its vhost-user-net
# back-end, judged by the probe's net tests: the card must work unchanged
# for a peer front-end, which keeps the control queue to itself. Same
# namespace set-up and checks as 33-probe-qemu-net.sh (QEMU's own
# virtio-net on a TAP) and 51-net-probe-azote.sh.
set -uo pipefail
. "$(dirname "$0")/../lib/probe-common.sh"
command -v ip >/dev/null || { echo "skip: no ip (iproute2)"; exit 77; }
for f in build/azote-card-net build/probe-netpeer; do
	[ -x "$f" ] || { echo "$f missing: run make"; exit 1; }
done

. tests/lib/netns.sh
NS=azqnet$$ host=10.214.0.1 guest=10.214.0.2
cleanups+=("ip netns del $NS 2>/dev/null")
netns_create || { echo "skip: cannot create a network namespace"; exit 77; }
ns=$NS
in_ns() { ip netns exec "$NS" "$@"; }
netns_tap qtap0
in_ns ip addr add "$host/24" dev qtap0
g=(probe.ip=$guest/24 probe.peer=$host)

# The card serves one QEMU after another on its socket.
sock=$tmp/net.sock
ip netns exec "$NS" build/azote-card-net --tap qtap0 --socket "$sock" \
	2>"$tmp/card.log" &
card=$!
cleanups+=("kill $card 2>/dev/null; wait $card 2>/dev/null")
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
q=(--vmm qemu-q35 --timeout 60 --vhost-user-net "$sock")

expect net-echo 0 "PASS .*sent=22 received=22 lost=0 bad=0 max_payload=1472" -- \
	in_ns_run "${q[@]}" -- probe.test=net-echo "${g[@]}"

ip netns exec "$NS" build/probe-netpeer --addr "$host" --port 9000 --lifetime 60 \
	2>"$tmp/peer.log" &
peer=$!
cleanups+=("kill $peer 2>/dev/null; wait $peer 2>/dev/null")
rx0=$(netns_rx_packets qtap0)
expect net-bench 0 'PASS .*tx_pps=[1-9][0-9]* .*rx_pps=[1-9][0-9]* ' -- \
	in_ns_run "${q[@]}" -- probe.test=net-bench "${g[@]}" probe.secs=1
netns_check_bench qtap0 "$rx0" "$tmp/out" || failed=1
if ! kill -0 "$card" 2>/dev/null; then
	echo "FAIL: the card did not survive its QEMU front-ends"
	cat "$tmp/card.log"
	failed=1
fi
exit $failed
