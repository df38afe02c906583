# shellcheck shell=bash
# The block card's integration tests (tests/integration/4x-*.sh; source
# it): the harness (common.sh), $CARD_BLK and the host-side driver $DRV,
# and start_card_blk.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
CARD_BLK=$BUILD/azote-card-blk
DRV=$BUILD/tests/vublk-drv
need_built "$CARD_BLK" "$DRV"

# start_card_blk SOCKET ARGS...: runs the card listening on SOCKET (stderr
# to $TMP/card.log, killed at exit), sets CARD_PID.
start_card_blk() {
	local sock=$1
	shift
	"$CARD_BLK" --socket "$sock" "$@" 2>>"$TMP/card.log" &
	CARD_PID=$!
	kill_at_exit "$CARD_PID"
	wait_socket "$sock" || die "the card did not listen on $sock"
}

# expect_card_alive WHAT: the card started last still runs.
expect_card_alive() {
	if kill -0 "$CARD_PID" 2>/dev/null; then pass "$1"; else fail "$1: the card died"; fi
}
