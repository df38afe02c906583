#!/usr/bin/env bash
# azote-card-blk's answers to bad arguments: non-zero exit and a message
# naming what is wrong.
. "$(dirname "$0")/../lib/cards.sh"

truncate -s 1000 "$TMP/odd.img"
truncate -s 0 "$TMP/empty.img"
truncate -s 1M "$TMP/good.img"
touch "$TMP/not-a-socket"
expect_refusal any "--image is required" "$CARD_BLK" --socket "$TMP/s"
expect_refusal any "exactly one of --socket" "$CARD_BLK" --image "$TMP/good.img"
expect_refusal any "exactly one of --socket" "$CARD_BLK" --image "$TMP/good.img" --socket "$TMP/s" --fd 3
expect_refusal any "cannot open image $TMP/missing.img" "$CARD_BLK" --socket "$TMP/s" --image "$TMP/missing.img"
expect_refusal any "cannot open image $TMP: Is a directory" "$CARD_BLK" --socket "$TMP/s" --image "$TMP"
mkfifo "$TMP/fifo"
expect_refusal any "neither a regular file nor a block device" "$CARD_BLK" --socket "$TMP/s" --image "$TMP/fifo"
expect_refusal any "--queues '0'" "$CARD_BLK" --socket "$TMP/s" --image "$TMP/good.img" --queues 0
expect_refusal any "--queues '99'" "$CARD_BLK" --socket "$TMP/s" --image "$TMP/good.img" --queues 99
expect_refusal any "--fd '2'" "$CARD_BLK" --fd 2 --image "$TMP/good.img"
expect_refusal any "--fd 9 is not a stream socket" "$CARD_BLK" --fd 9 --image "$TMP/good.img"
expect_refusal any "--poll-us '1001': must be a number from 0 to 1000" "$CARD_BLK" --socket "$TMP/s" --image "$TMP/good.img" --poll-us 1001
expect_refusal any "--uring 'fast': must be default, single-issuer or defer-taskrun" "$CARD_BLK" --socket "$TMP/s" --image "$TMP/good.img" --uring fast
expect_refusal any "--seccomp 'maybe'" "$CARD_BLK" --socket "$TMP/s" --image "$TMP/good.img" --seccomp maybe
expect_refusal any "is not a socket" "$CARD_BLK" --socket "$TMP/not-a-socket" --image "$TMP/good.img"
expect_refusal any "unexpected argument" "$CARD_BLK" --socket "$TMP/s" --image "$TMP/good.img" extra
# An empty --socket: refused, not a wait on an address nobody can reach.
expect_refusal 2 "--socket '': must be the path" "$CARD_BLK" --socket "" --image "$TMP/good.img"
expect_refusal 2 "unknown option '-h'" "$CARD_BLK" -h
finish
