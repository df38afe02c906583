#!/usr/bin/env bash
# A card killed in the middle of I/O: the front-end (the driver, with
# azote's front-end library) must see an error promptly, not hang.
set -euo pipefail
source "$(dirname "$0")/../lib/cards.sh"

img=$TMP/disk.img
truncate -s 16M "$img"
start_card_blk "$TMP/blk.sock" --image "$img"
timeout 30 "$DRV" --socket "$TMP/blk.sock" --timeout 3000 crash-io 2>"$TMP/drv.log" &
drv=$!
PIDS+=("$drv")
for _ in $(seq 50); do
	grep -q "crash-io: running" "$TMP/drv.log" && break
	sleep 0.1
done
sleep 0.3
kill -9 "$CARD_PID"
start=$(date +%s%N)
rc=0
wait "$drv" || rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
cat "$TMP/drv.log"
[ "$rc" = 3 ] || fail "driver exited $rc, expected 3 (back-end gone)"
grep -q "closed the connection" "$TMP/drv.log" || fail "driver did not see the disconnect"
echo "driver saw the card's death after ${ms} ms"
[ "$ms" -lt 3000 ] || fail "took ${ms} ms"
