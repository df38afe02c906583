#!/usr/bin/env bash
# azote-card-blk driven from the host, no VM: vublk-drv uses azote's
# vhost-user front-end library to check every request type, hostile chains,
# fd hygiene and seccomp, read-only images, multi-queue, O_DIRECT, and
# reconnection on a listening socket.
set -euo pipefail
source "$(dirname "$0")/../lib/cards.sh"

img=$TMP/disk.img
truncate -s 64M "$img"
drv() { timeout 60 "$DRV" --image "$img" "$@"; }

echo "-- card started over a socketpair (as azote does): requests, hostile chains, fds"
drv basic hostile fds -- "$CARD_BLK" --fd '{fd}' --image "$img"

echo "-- read-only image"
cp "$img" "$TMP/before.img"
drv ro -- "$CARD_BLK" --fd '{fd}' --image "$img" --ro
cmp "$img" "$TMP/before.img" || fail "read-only image changed"

echo "-- 4 queues, one thread and io_uring each; memory table changed while running; device reset"
drv --queues 4 mq remap reset -- "$CARD_BLK" --fd '{fd}' --image "$img" --queues 4

echo "-- O_DIRECT"
drv basic -- "$CARD_BLK" --fd '{fd}' --image "$img" --direct

echo "-- listening socket: two front-ends one after the other, then a bench"
start_card_blk "$TMP/blk.sock" --image "$img" --queues 2
drv --socket "$TMP/blk.sock" basic
drv --socket "$TMP/blk.sock" --queues 2 --bench-seconds 1 mq bench
kill -0 "$CARD_PID" || fail "card died"
if grep -E "error" "$TMP/card.log"; then
	fail "card logged errors"
fi
echo "all host-only card checks passed"
