#!/usr/bin/env bash
# azote-card-blk driven from the host, no VM: vublk-drv uses azote's
# vhost-user front-end library to check every request type, hostile chains,
# fd hygiene and seccomp, read-only images, multi-queue, O_DIRECT,
# confinement (--user), reconnection on a listening socket, rings handed
# over to a new card under load as a snapshot's restore does, the dirty
# log of the pages the card writes (diff snapshots), and --uring's modes.
. "$(dirname "$0")/../lib/cards.sh"

img=$TMP/disk.img
truncate -s 64M "$img"
drv() { timeout 60 "$DRV" --image "$img" "$@"; }

echo "-- card started over a socketpair (as azote does): requests, hostile chains, fds"
expect_ok "requests, hostile chains, a guest flooding a queue, fds" \
	drv basic hostile flood fds -- "$CARD_BLK" --fd '{fd}' --image "$img"
expect_ok "write-through (the driver takes no FLUSH): requests, hostile chains" \
	drv --no-flush basic hostile -- "$CARD_BLK" --fd '{fd}' --image "$img"

echo "-- images that are not whole sectors: the disk is their whole sectors (Firecracker's rule)"
for size in 1000 0 4097; do
	head -c "$size" /dev/urandom > "$TMP/odd.img"
	rest=$((size % 512))
	tail -c "$rest" "$TMP/odd.img" > "$TMP/odd.tail"
	expect_ok "a $size-byte image: $((size / 512)) sectors, the rest untouched" \
		timeout 60 "$DRV" --image "$TMP/odd.img" odd-size -- "$CARD_BLK" --fd '{fd}' --image "$TMP/odd.img"
	# From before the card opened it (the driver compares from after).
	expect_ok "a $size-byte image: its last $rest bytes as they were before the card" \
		cmp "$TMP/odd.tail" <(tail -c "$rest" "$TMP/odd.img")
done

echo "-- read-only image"
cp "$img" "$TMP/before.img"
expect_ok "read-only image" drv ro -- "$CARD_BLK" --fd '{fd}' --image "$img" --ro
expect_ok "read-only image unchanged" cmp "$img" "$TMP/before.img"

echo "-- an image where holes cannot be punched (ramfs, in a mount namespace of its own)"
# DISCARD and WRITE_ZEROES are then not offered: each would fail.
nopunch=$TMP/ramfs/disk.img
expect_ok "no DISCARD or WRITE_ZEROES without hole punching" unshare -m sh -c \
	'mkdir -p "$1" && mount -t ramfs none "$1" && truncate -s 16M "$1/disk.img" && shift && exec "$@"' \
	sh "$TMP/ramfs" timeout 60 "$DRV" --image "$nopunch" nopunch -- \
	"$CARD_BLK" --fd '{fd}' --image "$nopunch"

echo "-- the largest request: seg_max data descriptors in an indirect table as large as the queue"
expect_ok "seg_max + 2 descriptors in one indirect table on a 256-entry queue" \
	drv --qsize 256 seg-max -- "$CARD_BLK" --fd '{fd}' --image "$img"

echo "-- 4 queues, one thread and io_uring each; memory table changed while running; device reset"
expect_ok "4 queues, remap, reset" \
	drv --queues 4 mq remap reset -- "$CARD_BLK" --fd '{fd}' --image "$img" --queues 4

echo "-- a snapshot's hand-over: rings stopped under load (GET_VRING_BASE), taken up by a new card (SET_VRING_BASE)"
# Every request completes exactly once: the old card finishes what it
# took before it answers, the new one starts at the index it answered.
expect_ok "hand-over to a new card, 1 queue" \
	drv handover -- "$CARD_BLK" --fd '{fd}' --image "$img"
expect_ok "hand-over to a new card, 4 queues, O_DIRECT" \
	drv --queues 4 handover -- "$CARD_BLK" --fd '{fd}' --image "$img" --queues 4 --direct

echo "-- a dirty log (diff snapshots): the card marks exactly the pages it writes"
# Reads in one buffer and in 2 KiB pieces, a write, a failed read: data,
# status byte and used ring marked, nothing else; then the other requests
# and hostile chains with the log on.
expect_ok "dirty log: pages written marked, nothing else" \
	drv dirtylog basic hostile -- "$CARD_BLK" --fd '{fd}' --image "$img"
expect_ok "dirty log, 4 queues, O_DIRECT" \
	drv --queues 4 dirtylog mq -- "$CARD_BLK" --fd '{fd}' --image "$img" --queues 4 --direct

echo "-- O_DIRECT"
expect_ok "O_DIRECT" drv basic -- "$CARD_BLK" --fd '{fd}' --image "$img" --direct

echo "-- --uring's modes (issue 17's write-path experiments): the same requests, hostile chains, 4 queues, reset, hand-over"
for mode in single-issuer defer-taskrun; do
	expect_ok "--uring $mode" drv --queues 4 basic hostile mq remap reset -- \
		"$CARD_BLK" --fd '{fd}' --image "$img" --queues 4 --uring "$mode"
	expect_ok "--uring $mode, O_DIRECT, hand-over under load" drv --queues 4 handover -- \
		"$CARD_BLK" --fd '{fd}' --image "$img" --queues 4 --direct --uring "$mode"
done

echo "-- azote's updates after boot (--control-fd): rate limits, a new image under requests in flight"
truncate -s 8M "$TMP/ctl.img"
truncate -s 12M "$TMP/next.img"
expect_ok "control channel: limits, image swap, refusals" \
	drv --image "$TMP/ctl.img" --next-image "$TMP/next.img" control -- \
	"$CARD_BLK" --fd '{fd}' --control-fd '{ctl}' --image "$TMP/ctl.img"
# Fresh images: the writes in flight across the swap must be found on
# exactly one of them, and ctl.img holds the first run's.
truncate -s 8M "$TMP/ctl2.img"
truncate -s 12M "$TMP/next2.img"
expect_ok "control channel, O_DIRECT (the new image handed over twice)" \
	drv --image "$TMP/ctl2.img" --next-image "$TMP/next2.img" --next-direct control -- \
	"$CARD_BLK" --fd '{fd}' --control-fd '{ctl}' --image "$TMP/ctl2.img" --direct

echo "-- --direct on a disk of 4096-byte sectors (a loop device): what O_DIRECT refuses goes through the page cache"
truncate -s 16M "$TMP/4k.img"
truncate -s 8M "$TMP/ctl3.img"
if [ "$(id -u)" = 0 ] && loop=$(losetup --find --show --sector-size 4096 "$TMP/4k.img" 2>/dev/null); then
	at_exit "losetup -d $loop"
	expect_ok "4096-byte sectors, --direct: requests, hostile chains" \
		timeout 60 "$DRV" --image "$loop" basic hostile -- "$CARD_BLK" --fd '{fd}' \
		--image "$loop" --direct
	expect_ok "4096-byte sectors, --direct: handed over as a new image" \
		timeout 60 "$DRV" --image "$TMP/ctl3.img" --next-image "$loop" --next-direct control -- \
		"$CARD_BLK" --fd '{fd}' --control-fd '{ctl}' --image "$TMP/ctl3.img" --direct
else
	echo "(no loop device of 4096-byte sectors here: skipped)"
fi

echo "-- a block device that can neither discard nor write zeroes itself (a loop device over ramfs)"
# Punching a hole in a block device is a write of zeroes the device must do
# itself (fallocate fails EOPNOTSUPP here); a zero range falls back to
# writing zeroes. So a DISCARD, which only may free its range, succeeds
# doing nothing, and a WRITE_ZEROES with UNMAP is zeroed without it.
if [ "$(id -u)" = 0 ] && mkdir -p "$TMP/ramfs-loop" &&
	bare=$(unshare -m sh -c 'mount -t ramfs none "$1" && truncate -s 64M "$1/disk.img" &&
		exec losetup --find --show "$1/disk.img"' sh "$TMP/ramfs-loop" 2>/dev/null); then
	at_exit "losetup -d $bare"
	expect_ok "no write zeroes in the device: DISCARD and WRITE_ZEROES (+UNMAP) succeed" \
		timeout 60 "$DRV" --image "$bare" basic -- "$CARD_BLK" --fd '{fd}' --image "$bare"
else
	echo "(no loop device over ramfs here: skipped)"
fi

echo "-- confined (--user, as azote starts it when root): an empty root and namespaces of its own, nobody, no capabilities"
if [ "$(id -u)" = 0 ]; then
	expect_ok "confined card: requests, hostile chains, 4 queues, remap, reset" \
		drv --queues 4 basic hostile mq remap reset -- "$CARD_BLK" --fd '{fd}' \
		--image "$img" --queues 4 --user 65534:65534
	start_card_blk "$TMP/confined.sock" --image "$img" --direct --user 65534:65534
	expect_confined "confined block card" "$CARD_PID" 65534 65534
	expect_match "its threads: the control thread, then a worker named for its queue" \
		"$(cat /proc/"$CARD_PID"/task/*/comm | LC_ALL=C sort -u | tr '\n' ' ')" \
		'^azote-card-blk blk-q0 $'
	expect_ok "confined card on a listening socket, O_DIRECT" drv --socket "$TMP/confined.sock" basic
	expect_card_alive "the confined card serves on"
else
	echo "(not root: confinement needs root; skipped)"
fi

echo "-- listening socket: two front-ends one after the other, then a bench"
start_card_blk "$TMP/blk.sock" --image "$img" --queues 2
expect_ok "listening socket: first front-end" drv --socket "$TMP/blk.sock" basic
expect_ok "listening socket: second front-end, bench" \
	drv --socket "$TMP/blk.sock" --queues 2 --bench-seconds 1 mq bench
expect_card_alive "the card serves on"
if grep -E "error" "$TMP/card.log"; then
	fail "card logged errors"
else
	pass "no error in the card's log"
fi
finish
