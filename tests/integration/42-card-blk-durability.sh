#!/usr/bin/env bash
# Durability: writes and a FLUSH through the card, the card killed with
# SIGKILL, and the image holds the data.
set -euo pipefail
source "$(dirname "$0")/../lib/cards.sh"

img=$TMP/disk.img
truncate -s 16M "$img"
start_card_blk "$TMP/blk.sock" --image "$img"
# The driver tears down cleanly and leaves; the card keeps listening until
# SIGKILL, right after the flush.
timeout 60 "$DRV" --socket "$TMP/blk.sock" --seed 7 durable-write
kill -9 "$CARD_PID"
wait "$CARD_PID" 2>/dev/null || true
timeout 60 "$DRV" --check-image "$img" --seed 7
