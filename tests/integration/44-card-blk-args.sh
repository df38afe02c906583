#!/usr/bin/env bash
# azote-card-blk's answers to bad arguments: non-zero exit and a message
# naming what is wrong.
. "$(dirname "$0")/../lib/cards.sh"

# expect_refusal MESSAGE ARGS...: the card exits non-zero and says MESSAGE
# (grep's basic regex).
expect_refusal() {
	local want=$1
	shift
	local out rc=0
	out=$(timeout 10 "$CARD_BLK" "$@" 2>&1) || rc=$?
	if [ "$rc" = 0 ]; then
		fail "'$*' succeeded"
	elif ! grep -q -- "$want" <<<"$out"; then
		fail "'$*' said: $out (expected: $want)"
	else
		pass "$* -> $out"
	fi
}

truncate -s 1000 "$TMP/odd.img"
truncate -s 0 "$TMP/empty.img"
truncate -s 1M "$TMP/good.img"
touch "$TMP/not-a-socket"
expect_refusal "--image is required" --socket "$TMP/s"
expect_refusal "exactly one of --socket" --image "$TMP/good.img"
expect_refusal "exactly one of --socket" --image "$TMP/good.img" --socket "$TMP/s" --fd 3
expect_refusal "cannot open image $TMP/missing.img" --socket "$TMP/s" --image "$TMP/missing.img"
expect_refusal "cannot open image $TMP: Is a directory" --socket "$TMP/s" --image "$TMP"
mkfifo "$TMP/fifo"
expect_refusal "neither a regular file nor a block device" --socket "$TMP/s" --image "$TMP/fifo"
expect_refusal "--queues '0'" --socket "$TMP/s" --image "$TMP/good.img" --queues 0
expect_refusal "--queues '99'" --socket "$TMP/s" --image "$TMP/good.img" --queues 99
expect_refusal "--fd '2'" --fd 2 --image "$TMP/good.img"
expect_refusal "--fd 9 is not a stream socket" --fd 9 --image "$TMP/good.img"
expect_refusal "--poll-us '1001': must be a number from 0 to 1000" --socket "$TMP/s" --image "$TMP/good.img" --poll-us 1001
expect_refusal "--uring 'fast': must be default, single-issuer or defer-taskrun" --socket "$TMP/s" --image "$TMP/good.img" --uring fast
expect_refusal "--seccomp 'maybe'" --socket "$TMP/s" --image "$TMP/good.img" --seccomp maybe
expect_refusal "is not a socket" --socket "$TMP/not-a-socket" --image "$TMP/good.img"
expect_refusal "unexpected argument" --socket "$TMP/s" --image "$TMP/good.img" extra
finish
