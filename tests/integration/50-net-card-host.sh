#!/usr/bin/env bash
# azote-card-net without a VM: vunet-drv is hypervisor and virtio-net
# driver in one process, the card's TAP lives in a namespace this test
# creates, whose kernel answers ARP and ping. Covers both directions, the
# offloads (checksum, TSO both ways), loss-free receive under load and
# backpressure, hostile chains, multiqueue, the sandbox, feature subsets,
# and the card serving a socket front-end after front-end.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/netns.sh

CARD=$PWD/build/azote-card-net
DRV=$PWD/build/tests/vunet-drv
for f in "$CARD" "$DRV"; do
	[ -x "$f" ] || { echo "missing $f: run make first"; exit 1; }
done
netns_init
netns_tap aztap0
netns_tap aztapmq multi_queue
use_tap() { netns_use_tap 10.77.0.1/24 "$1" aztap0 aztapmq; }

echo "--- card started by the driver, all features"
use_tap aztap0
netns_run 120 "$DRV" --tap aztap0 config echo tso rx-gso inject backpressure load \
	hostile fds stats -- "$CARD" --tap aztap0 --fd '{fd}' --stats-fd '{stats}'

echo "--- feature subsets a driver may choose"
for opts in "--no-mrg" "--no-mrg --no-guest-tso --legacy" "--no-csum --no-event-idx"; do
	echo "--- $opts"
	netns_run 60 "$DRV" --tap aztap0 --qsize 64 $opts echo rx-gso inject backpressure \
		hostile -- "$CARD" --tap aztap0 --fd '{fd}'
done

echo "--- multiqueue: 3 pairs on a multi_queue TAP"
use_tap aztapmq
netns_run 60 "$DRV" --tap aztapmq --queues 3 --qsize 64 config echo mq inject \
	-- "$CARD" --tap aztapmq --queues 3 --fd '{fd}'

echo "--- listening socket: one front-end after another"
use_tap aztap0
sock=$NETNS_TMP/net.sock
netns_bg "$CARD" --tap aztap0 --socket "$sock" --mtu 1400
card=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
netns_run 30 "$DRV" --tap aztap0 --socket "$sock" config echo
netns_run 30 "$DRV" --tap aztap0 --socket "$sock" echo inject
kill -0 "$card"
echo "ok: the card served two front-ends in turn"
netns_stop "$card"

echo "--- benchmark (host only, no VM)"
netns_run 60 "$DRV" --tap aztap0 --bench-seconds 1 bench -- "$CARD" --tap aztap0 --fd '{fd}'
