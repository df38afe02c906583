#!/usr/bin/env bash
# QEMU (q35, -netdev vhost-user) with azote-card-net as its vhost-user-net
# back-end, judged by the probe's net tests: the card must work unchanged
# for a peer front-end, which keeps the control queue to itself. Same
# namespace set-up and checks as 33-probe-qemu-net.sh (QEMU's own
# virtio-net on a TAP) and 51-net-probe-azote.sh. QEMU runs with KVM where
# /dev/kvm is usable, else with its TCG.
. "$(dirname "$0")/../lib/probe-common.sh"
. tests/lib/netns.sh
require_qemu
need_built "$BUILD/azote-card-net" "$BUILD/probe-netpeer"
netns_init

host=10.214.0.1 guest=10.214.0.2
netns_tap qtap0
in_ns ip addr add "$host/24" dev qtap0
g=(probe.ip=$guest/24 probe.peer=$host)

# The card serves one QEMU after another on its socket.
sock=$TMP/net.sock
netns_bg "$BUILD/azote-card-net" --tap qtap0 --socket "$sock" 2>"$TMP/card.log"
card=$!
wait_socket "$sock"
q=(--vmm qemu-q35 --timeout 60 --vhost-user-net "$sock")

expect_probe net-echo 0 "PASS .*sent=22 received=22 lost=0 bad=0 max_payload=1472" -- \
	in_ns_run "${q[@]}" -- probe.test=net-echo "${g[@]}"

netns_bg "$BUILD/probe-netpeer" --addr "$host" --port 9000 --lifetime 60 2>"$TMP/peer.log"
rx0=$(netns_rx_packets qtap0)
expect_probe net-bench 0 'PASS .*tx_pps=[1-9][0-9]* .*rx_pps=[1-9][0-9]* ' -- \
	in_ns_run "${q[@]}" -- probe.test=net-bench "${g[@]}" probe.secs=1
netns_check_bench qtap0 "$rx0" "$PROBE_OUT"
if kill -0 "$card" 2>/dev/null; then
	pass "the card survived its QEMU front-ends"
else
	fail "the card did not survive its QEMU front-ends"
	cat "$TMP/card.log"
fi
finish
