#!/usr/bin/env bash
# Durability: writes and a FLUSH through the card, the card killed with
# SIGKILL, and the image holds the data.
. "$(dirname "$0")/../lib/cards.sh"

img=$TMP/disk.img
truncate -s 16M "$img"
start_card_blk "$TMP/blk.sock" --image "$img"
# The driver tears down cleanly and leaves; the card keeps listening until
# SIGKILL, right after the flush.
expect_ok "writes and a flush through the card" \
	timeout 60 "$DRV" --socket "$TMP/blk.sock" --seed 7 durable-write
kill -9 "$CARD_PID"
wait "$CARD_PID" 2>/dev/null
expect_ok "the image holds the data after SIGKILL" timeout 60 "$DRV" --check-image "$img" --seed 7
finish
