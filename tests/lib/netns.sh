# shellcheck shell=bash
# Network namespaces and TAP devices for the net tests (source it): the
# harness (common.sh) and netns_init, which creates a namespace of the
# test's own ($NS) and registers, with at_exit, the end of the processes
# started with netns_bg and the namespace's deletion with every interface
# in it. Nothing outside the namespace is touched.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# netns_init: $NS, loopback up, without IPv6, whose chatter (DAD, MLD,
# router solicitations) would be noise on test TAPs. Skips where it cannot
# be made (not root, no /dev/net/tun, no ip).
netns_init() {
	require_root "network namespaces and TAPs"
	[ -c /dev/net/tun ] || skip "no /dev/net/tun"
	require ip
	NS=azote-net-$$-$RANDOM
	NETNS_PIDS=()
	ip netns add "$NS" || skip "cannot create a network namespace"
	at_exit netns_cleanup
	ip -n "$NS" link set lo up
	ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
}

netns_cleanup() {
	local p
	for p in ${NETNS_PIDS[@]+"${NETNS_PIDS[@]}"}; do
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	ip netns del "$NS" 2>/dev/null
}

# in_ns CMD...: runs CMD in the namespace.
in_ns() { ip netns exec "$NS" "$@"; }

# netns_tap NAME [multi_queue]: a TAP in the namespace, up.
netns_tap() {
	ip -n "$NS" tuntap add dev "$1" mode tap ${2:-}
	ip -n "$NS" link set "$1" up
}

# netns_use_tap ADDR/LEN NAME ALL...: the host side's address on TAP NAME
# only, of the TAPs ALL (a test switching between TAPs on one subnet).
netns_use_tap() {
	local addr=$1 name=$2 t
	shift 2
	for t in "$@"; do ip -n "$NS" addr flush dev "$t"; done
	ip -n "$NS" addr add "$addr" dev "$name"
}

# netns_bg CMD...: runs CMD in the namespace in the background (its PID
# in $!, killed at exit). ip execs CMD, so $! is CMD's own PID.
netns_bg() {
	ip netns exec "$NS" "$@" &
	NETNS_PIDS+=("$!")
}

# netns_stop PID: ends a process netns_bg started, and forgets it.
netns_stop() {
	local p keep=()
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	for p in "${NETNS_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	NETNS_PIDS=(${keep[@]+"${keep[@]}"})
}

# netns_run SECONDS CMD...: runs CMD in the namespace with a time limit.
netns_run() {
	local t=$1
	shift
	timeout -k 5 "$t" ip netns exec "$NS" "$@"
}

# netns_rx_packets TAP: frames the host received on TAP so far.
netns_rx_packets() {
	ip netns exec "$NS" cat "/sys/class/net/$1/statistics/rx_packets"
}

# netns_check_bench TAP RX_BEFORE OUT: the host must have received on TAP
# at least every frame the probe's net-bench result line (in file OUT)
# says the guest sent.
netns_check_bench() {
	local got sent
	got=$(( $(netns_rx_packets "$1") - $2 ))
	sent=$(grep -o 'tx_pkts=[0-9]*' "$3" | cut -d= -f2)
	if [ -n "$sent" ] && [ "$got" -ge "$sent" ]; then
		pass "net-bench: host TAP received $got frames (guest sent $sent + control)"
	else
		fail "net-bench: TAP count $got < guest tx_pkts ${sent:-none}"
	fi
}
