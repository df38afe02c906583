#!/usr/bin/env bash
# azote-card-net without a VM: vunet-drv is hypervisor and virtio-net
# driver in one process, the card's TAP lives in a namespace this test
# creates, whose kernel answers ARP and ping. Covers both directions, the
# offloads (checksum, TSO both ways), loss-free receive under load and
# backpressure, hostile chains, multiqueue (and the pairs in use across a
# snapshot's ring restart and restore), the sandbox (seccomp and
# confinement), feature subsets, and the card serving a socket front-end
# after front-end.
. "$(dirname "$0")/../lib/netns.sh"

CARD=$BUILD/azote-card-net
DRV=$BUILD/tests/vunet-drv
need_built "$CARD" "$DRV"
netns_init
netns_tap aztap0
netns_tap aztapmq multi_queue
use_tap() { netns_use_tap 10.77.0.1/24 "$1" aztap0 aztapmq; }

echo "--- card started by the driver, all features"
use_tap aztap0
expect_ok "card started by the driver, all features" \
	netns_run 120 "$DRV" --tap aztap0 config echo mtu tso rx-gso inject backpressure load \
	hostile fds stats -- "$CARD" --tap aztap0 --fd '{fd}' --stats-fd '{stats}'

echo "--- feature subsets a driver may choose"
for opts in "--no-mrg" "--no-mrg --no-guest-tso --legacy" "--no-csum --no-event-idx"; do
	echo "--- $opts"
	# shellcheck disable=SC2086 # $opts: several options
	expect_ok "features $opts" \
		netns_run 60 "$DRV" --tap aztap0 --qsize 64 $opts echo rx-gso inject backpressure \
		hostile -- "$CARD" --tap aztap0 --fd '{fd}'
done

echo "--- a dirty log (diff snapshots): received frames marked, nothing the card only reads"
# Every receive buffer filled is checked as marked when the driver takes
# it, in all tests of the run; mergeable buffers and one buffer per frame.
expect_ok "dirty log: receive buffers and used rings marked, nothing else" \
	netns_run 60 "$DRV" --tap aztap0 --dirty-log dirtylog echo inject hostile \
	-- "$CARD" --tap aztap0 --fd '{fd}'
expect_ok "dirty log, --no-mrg" \
	netns_run 60 "$DRV" --tap aztap0 --qsize 64 --no-mrg --dirty-log dirtylog echo \
	-- "$CARD" --tap aztap0 --fd '{fd}'

echo "--- 8-entry queues: TX through indirect tables as large as the queue and larger"
expect_ok "indirect tables of 8 and 16 entries on 8-entry queues" \
	netns_run 60 "$DRV" --tap aztap0 --qsize 8 tx-indirect -- "$CARD" --tap aztap0 --fd '{fd}'

echo "--- no --mtu: plain frames held to the TAP's MTU, whatever it is"
ip -n "$NS" link set aztap0 mtu 1280
expect_ok "TAP MTU 1280, no --mtu: 1298-byte frames pass, 1299 do not" \
	netns_run 60 "$DRV" --tap aztap0 mtu -- "$CARD" --tap aztap0 --fd '{fd}'
ip -n "$NS" link set aztap0 mtu 1500

echo "--- multiqueue: 3 pairs on a multi_queue TAP"
use_tap aztapmq
expect_ok "multiqueue: 3 pairs; a guest flooding the control ring" \
	netns_run 60 "$DRV" --tap aztapmq --queues 3 --qsize 64 config echo mq inject flood \
	-- "$CARD" --tap aztapmq --queues 3 --fd '{fd}'

echo "--- multiqueue: the pairs in use across a snapshot's ring restart, a device reset, a restore"
expect_ok "2 pairs in use stay so when the rings restart; a reset takes them back to 1; a new card takes them from NET_PAIRS" \
	netns_run 60 "$DRV" --tap aztapmq --queues 2 --qsize 64 mq-resume mq-reset mq-restore \
	-- "$CARD" --tap aztapmq --queues 2 --fd '{fd}' --control-fd '{ctl}'

echo "--- confined (--user, as azote starts it when root): the TAP open, then an empty root and namespaces of its own, nobody, no capabilities"
if [ "$(id -u)" = 0 ]; then
	use_tap aztapmq
	# Attaching and detaching TAP queues must work without capabilities.
	expect_ok "confined card: 3 pairs on a multi_queue TAP" \
		netns_run 60 "$DRV" --tap aztapmq --queues 3 --qsize 64 config echo mq inject \
		-- "$CARD" --tap aztapmq --queues 3 --fd '{fd}' --user 65534:65534
	use_tap aztap0
	netns_bg "$CARD" --tap aztap0 --socket "$TMP/confined.sock" --user 65534:65534
	card=$!
	wait_socket "$TMP/confined.sock"
	expect_confined "confined net card" "$card" 65534 65534
	expect_match "its threads: the control thread, then a worker named for its pair" \
		"$(cat /proc/"$card"/task/*/comm | LC_ALL=C sort -u | tr '\n' ' ')" \
		'^azote-card-net net-p0 $'
	expect_ok "confined card on a listening socket" \
		netns_run 30 "$DRV" --tap aztap0 --socket "$TMP/confined.sock" config echo inject
	netns_stop "$card"
else
	echo "(not root: confinement needs root; skipped)"
fi

echo "--- listening socket: one front-end after another"
use_tap aztap0
sock=$TMP/net.sock
netns_bg "$CARD" --tap aztap0 --socket "$sock" --mtu 1400
card=$!
wait_socket "$sock"
expect_ok "listening socket: first front-end" \
	netns_run 30 "$DRV" --tap aztap0 --socket "$sock" config echo mtu
expect_ok "listening socket: second front-end" \
	netns_run 30 "$DRV" --tap aztap0 --socket "$sock" echo inject
expect_ok "the card served two front-ends in turn" kill -0 "$card"
netns_stop "$card"

echo "--- benchmark (host only, no VM)"
expect_ok "benchmark" \
	netns_run 60 "$DRV" --tap aztap0 --bench-seconds 1 bench -- "$CARD" --tap aztap0 --fd '{fd}'
finish
