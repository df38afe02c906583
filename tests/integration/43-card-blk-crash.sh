#!/usr/bin/env bash
# A card killed in the middle of I/O: the front-end (the driver, with
# azote's front-end library) must see an error promptly, not hang.
. "$(dirname "$0")/../lib/cards.sh"

img=$TMP/disk.img
truncate -s 16M "$img"
start_card_blk "$TMP/blk.sock" --image "$img"
timeout 30 "$DRV" --socket "$TMP/blk.sock" --timeout 3000 crash-io 2>"$TMP/drv.log" &
drv=$!
kill_at_exit "$drv"
wait_for "$TMP/drv.log" "crash-io: running" 5
sleep 0.3
kill -9 "$CARD_PID"
start=$(date +%s%N)
wait "$drv"
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
cat "$TMP/drv.log"
expect_eq "driver exit status (3: back-end gone)" "$rc" 3
expect_match "the driver saw the disconnect" "$(cat "$TMP/drv.log")" "closed the connection"
echo "driver saw the card's death after ${ms} ms"
if [ "$ms" -lt 3000 ]; then pass "the error came in ${ms} ms"; else fail "took ${ms} ms"; fi
finish
