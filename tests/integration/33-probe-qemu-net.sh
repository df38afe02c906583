#!/usr/bin/env bash
# The probe's virtio-net client against QEMU's virtio-net-pci on a TAP.
# The peer is the Linux kernel's own IP stack, in a network namespace this
# test creates (and removes on every exit path): net-echo pings it with
# payloads up to the MTU; net-bench measures UDP packet rates both ways,
# with tests/lib/probe-netpeer as the host-side sender.
set -uo pipefail
. "$(dirname "$0")/../lib/probe-common.sh"
command -v ip >/dev/null || { echo "skip: no ip (iproute2)"; exit 77; }
[ -x build/probe-netpeer ] || { echo "build/probe-netpeer missing: run make"; exit 1; }

ns=azprobe$$ tap=ptap0 host=10.213.0.1 guest=10.213.0.2 mac=52:54:00:a2:07:e1
ip netns add "$ns" || { echo "skip: cannot create a network namespace"; exit 77; }
cleanups+=("ip netns del $ns 2>/dev/null")
in_ns() { ip netns exec "$ns" "$@"; }
in_ns ip link set lo up
in_ns ip tuntap add dev "$tap" mode tap
in_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
in_ns ip addr add "$host/24" dev "$tap"
in_ns ip link set "$tap" up

q=(--vmm qemu-q35 --timeout 60 --tap "$tap" --mac "$mac")
g=(probe.ip=$guest/24 probe.peer=$host)
expect net-echo 0 "PASS .*mac=$mac .*sent=22 received=22 lost=0 bad=0 max_payload=1472" -- \
	in_ns_run "${q[@]}" -- probe.test=net-echo "${g[@]}"
# A peer that does not answer makes net-echo fail (the check can fail).
expect net-echo-no-peer 1 'FAIL .*reason=arp_no_reply' -- \
	in_ns_run "${q[@]}" -- probe.test=net-echo probe.ip=$guest/24 probe.peer=10.213.0.9

in_ns build/probe-netpeer --addr "$host" --port 9000 --lifetime 60 2>"$tmp/peer.log" &
peer=$!
cleanups+=("kill $peer 2>/dev/null; wait $peer 2>/dev/null")
rx0=$(in_ns cat "/sys/class/net/$tap/statistics/rx_packets")
expect net-bench 0 'PASS .*tx_pps=[1-9][0-9]* .*rx_pps=[1-9][0-9]* ' -- \
	in_ns_run "${q[@]}" -- probe.test=net-bench "${g[@]}" probe.secs=1
rx1=$(in_ns cat "/sys/class/net/$tap/statistics/rx_packets")
tx_pkts=$(grep -o 'tx_pkts=[0-9]*' "$tmp/out" | cut -d= -f2)
echo "     host TAP received $((rx1 - rx0)) frames (guest sent ${tx_pkts:-?} + control)"
# The host must have seen at least every frame the guest says it sent.
if [ -z "$tx_pkts" ] || [ $((rx1 - rx0)) -lt "$tx_pkts" ]; then
	echo "FAIL net-bench: TAP count $((rx1 - rx0)) < guest tx_pkts ${tx_pkts:-none}"
	failed=1
fi
exit $failed
