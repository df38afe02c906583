#!/usr/bin/env bash
# azote-card-blk's answers to bad arguments: non-zero exit and a message
# naming what is wrong.
set -euo pipefail
source "$(dirname "$0")/../lib/cards.sh"

expect() {
	local want=$1
	shift
	local out rc=0
	out=$(timeout 10 "$CARD_BLK" "$@" 2>&1) || rc=$?
	[ "$rc" != 0 ] || fail "'$*' succeeded"
	grep -q -- "$want" <<<"$out" || fail "'$*' said: $out (expected: $want)"
	echo "ok: $* -> $out"
}

truncate -s 1000 "$TMP/odd.img"
truncate -s 0 "$TMP/empty.img"
truncate -s 1M "$TMP/good.img"
touch "$TMP/not-a-socket"
expect "--image is required" --socket "$TMP/s"
expect "exactly one of --socket" --image "$TMP/good.img"
expect "exactly one of --socket" --image "$TMP/good.img" --socket "$TMP/s" --fd 3
expect "cannot open image $TMP/missing.img" --socket "$TMP/s" --image "$TMP/missing.img"
expect "not a multiple\|multiple of 512" --socket "$TMP/s" --image "$TMP/odd.img"
expect "multiple of 512" --socket "$TMP/s" --image "$TMP/empty.img"
expect "cannot open image $TMP: Is a directory" --socket "$TMP/s" --image "$TMP"
mkfifo "$TMP/fifo"
expect "neither a regular file nor a block device" --socket "$TMP/s" --image "$TMP/fifo"
expect "--queues 0" --socket "$TMP/s" --image "$TMP/good.img" --queues 0
expect "--queues 99" --socket "$TMP/s" --image "$TMP/good.img" --queues 99
expect "--fd 2" --fd 2 --image "$TMP/good.img"
expect "--fd 9 is not a stream socket" --fd 9 --image "$TMP/good.img"
expect "--poll-us 1001: must be a number from 0 to 1000" --socket "$TMP/s" --image "$TMP/good.img" --poll-us 1001
expect "--seccomp maybe" --socket "$TMP/s" --image "$TMP/good.img" --seccomp maybe
expect "is not a socket" --socket "$TMP/not-a-socket" --image "$TMP/good.img"
expect "unexpected argument" --socket "$TMP/s" --image "$TMP/good.img" extra
echo "all argument checks passed"
