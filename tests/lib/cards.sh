# Shared by the card integration tests (tests/integration/4x-*.sh): a temp
# dir, processes to stop, and helpers to start a card. Source it after
# `set -euo pipefail`; everything is cleaned up on exit.
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BUILD=${BUILD:-build}
CARD_BLK=$BUILD/azote-card-blk
DRV=$BUILD/tests/vublk-drv
for f in "$CARD_BLK" "$DRV"; do
	[ -x "$f" ] || { echo "missing $f: run make first"; exit 1; }
done

TMP=$(mktemp -d /tmp/azote-cards.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; exit 1; }

# Waits up to 5 s for a unix socket to appear.
wait_socket() {
	for _ in $(seq 50); do
		[ -S "$1" ] && return 0
		sleep 0.1
	done
	fail "socket $1 did not appear"
}

# start_card_blk SOCKET ARGS...: runs the card listening on SOCKET (stderr
# to $TMP/card.log), sets CARD_PID.
start_card_blk() {
	local sock=$1
	shift
	"$CARD_BLK" --socket "$sock" "$@" 2>>"$TMP/card.log" &
	CARD_PID=$!
	PIDS+=("$CARD_PID")
	wait_socket "$sock"
}
