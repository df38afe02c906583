#!/usr/bin/env bash
# The probe's virtio-net client against QEMU's virtio-net-pci on a TAP.
# The peer is the Linux kernel's own IP stack, in a network namespace this
# test creates (and removes on every exit path): net-echo pings it with
# payloads up to the MTU; net-bench measures UDP packet rates both ways,
# with tests/lib/probe-netpeer as the host-side sender. QEMU runs with KVM
# where /dev/kvm is usable, else with its TCG.
. "$(dirname "$0")/../lib/probe-common.sh"
. tests/lib/netns.sh
require_qemu
need_built "$BUILD/probe-netpeer"
netns_init

tap=ptap0 host=10.213.0.1 guest=10.213.0.2 mac=52:54:00:a2:07:e1
netns_tap "$tap"
in_ns ip addr add "$host/24" dev "$tap"

q=(--vmm qemu-q35 --timeout 60 --tap "$tap" --mac "$mac")
g=(probe.ip=$guest/24 probe.peer=$host)
expect_probe net-echo 0 "PASS .*mac=$mac .*sent=22 received=22 lost=0 bad=0 max_payload=1472" -- \
	in_ns_run "${q[@]}" -- probe.test=net-echo "${g[@]}"
# A peer that does not answer makes net-echo fail (the check can fail).
expect_probe net-echo-no-peer 1 'FAIL .*reason=arp_no_reply' -- \
	in_ns_run "${q[@]}" -- probe.test=net-echo probe.ip=$guest/24 probe.peer=10.213.0.9

netns_bg "$BUILD/probe-netpeer" --addr "$host" --port 9000 --lifetime 60 2>"$TMP/peer.log"
rx0=$(netns_rx_packets "$tap")
expect_probe net-bench 0 'PASS .*tx_pps=[1-9][0-9]* .*rx_pps=[1-9][0-9]* ' -- \
	in_ns_run "${q[@]}" -- probe.test=net-bench "${g[@]}" probe.secs=1
# The host must have seen at least every frame the guest says it sent.
netns_check_bench "$tap" "$rx0" "$PROBE_OUT"
finish
