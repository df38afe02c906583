# Shared helpers for integration tests (source it). Gives $ROOT, $AZOTE,
# a per-test scratch directory $TMP removed on exit, and assertions that
# say what they expected.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
AZOTE=${AZOTE:-$ROOT/build/azote}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/azote-test.XXXXXX")
FAILS=0
_cleanups=()

# Runs "$@" at exit (in reverse order of registration), then removes $TMP.
at_exit() { _cleanups+=("$*"); }
_run_cleanups() {
	local i
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[i]}" || true; done
	rm -rf "$TMP"
}
trap _run_cleanups EXIT

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; }

# expect_eq WHAT GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then pass "$1 = $3"; else fail "$1: got '$2', want '$3'"; fi
}

# expect_match WHAT TEXT REGEX
expect_match() {
	if grep -Eq -- "$3" <<<"$2"; then pass "$1"; else fail "$1: '$3' not in: $2"; fi
}

# The test's verdict: exit 0 if no check failed.
finish() {
	if [ "$FAILS" -gt 0 ]; then echo "$FAILS check(s) failed"; exit 1; fi
	exit 0
}

# skip WHY: this test cannot run here.
skip() { echo "SKIP: $*"; exit 77; }

need_kvm() { [ -c /dev/kvm ] || skip "no /dev/kvm on this machine"; }
