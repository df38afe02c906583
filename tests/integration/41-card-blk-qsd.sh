#!/usr/bin/env bash
# The same driver against qemu-storage-daemon's vhost-user-blk export: a
# server nobody here wrote, which proves azote's front-end library speaks
# vhost-user as others do. Prints the IOPS of both for comparison.
. "$(dirname "$0")/../lib/cards.sh"
require qemu-storage-daemon

img=$TMP/disk.img
truncate -s 64M "$img"
sock=$TMP/qsd.sock
qemu-storage-daemon \
	--blockdev driver=file,node-name=disk,filename="$img" \
	--export type=vhost-user-blk,id=exp,node-name=disk,addr.type=unix,addr.path="$sock",writable=on,num-queues=2 \
	2>"$TMP/qsd.log" &
kill_at_exit $!
wait_socket "$sock" || die "qemu-storage-daemon did not start: $(cat "$TMP/qsd.log")"
# remap-idle, not remap: Debian 12's qemu-storage-daemon (7.2) fails a
# write left in flight across SET_MEM_TABLE with IOERR now and then (7 in
# 150 runs here); azote sends the table only when it starts the rings.
timeout 60 "$DRV" --socket "$sock" --queues 2 --bench-seconds 1 basic mq remap-idle reset bench >"$TMP/qsd.out"
expect_eq "the driver against qemu-storage-daemon: exit status" "$?" 0
cat "$TMP/qsd.out"

echo "-- the card on the same workload"
start_card_blk "$TMP/card.sock" --image "$img" --queues 2
timeout 60 "$DRV" --socket "$TMP/card.sock" --queues 2 --bench-seconds 1 bench >"$TMP/card.out"
expect_eq "the driver's bench against the card: exit status" "$?" 0
cat "$TMP/card.out"
echo "IOPS, 4k random, 2 queues x 32: qemu-storage-daemon vs azote-card-blk"
paste <(grep '^bench' "$TMP/qsd.out" | awk '{print $4, $(NF-5)}') \
      <(grep '^bench' "$TMP/card.out" | awk '{print $(NF-5)}')
finish
