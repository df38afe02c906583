#!/usr/bin/env bash
# run-all.sh's box rounds, with a stand-in box: a copy of run-all.sh in a
# scratch tree whose tests/box/run runs the command here, in a process group
# a test can kill, as the box's emulated kernel does when it dies (status
# 125). The tests: one that passes, one that kills the first box it runs in
# and passes in the next, one that kills every box, one that passes after
# them, one that fails. Checks each verdict, what the summary names, that
# each round's timeout comes out of one budget, and AZOTE_BOX_RETRY=0.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/lib/common.sh"

tree=$TMP/tree
state=$TMP/state
mkdir -p "$tree/tests/integration" "$tree/tests/box" "$state"
cp "$here/tests/integration/run-all.sh" "$tree/tests/integration/"

cat > "$tree/tests/box/run" <<'EOF'
#!/usr/bin/env bash
# stand-in box: --timeout S --log FILE -- COMMAND..., or --qemu-version
while [ "$1" != -- ]; do
	case $1 in
	--qemu-version) echo "stand-in QEMU"; exit 0 ;;
	--timeout) echo "$2" >> "$STATE/timeouts"; shift ;;
	--log) echo "stand-in box console" > "$2"; shift ;;
	esac
	shift
done
shift
AZOTE_IN_BOX=1 setsid "$@" &
echo $! > "$STATE/box.pid"
wait $!
rc=$?
[ $rc -le 1 ] || { echo "box: the box ended before the command did" >&2; exit 125; }
exit $rc
EOF

# fake NAME BODY: a box test.
fake() {
	printf '#!/usr/bin/env bash\n# needs: box\n%s\n' "$2" > "$tree/tests/integration/$1.sh"
}
# Everything in the box ends at once: run-all inside, and the test (which
# timeout put in a process group of its own).
kill_box='kill -KILL -- -"$(cat "$STATE/box.pid")" 0'
# $STATE/runs-NAME: how often test NAME has started.
count='r=$STATE/runs-$(basename "$0" .sh); n=$(( $(cat "$r" 2>/dev/null || echo 0) + 1 )); echo $n > "$r"'
fake 01-passes 'exit 0'
fake 02-dies-once "$count; [ \$n -gt 1 ] || { $kill_box; }; exit 0"
fake 03-dies-always "$kill_box"
fake 04-passes-last "$count; exit 0"
fake 05-fails 'echo "ok: a check that held"; echo "FAIL: the reason it failed"; exit 1'
chmod +x "$tree/tests/box/run" "$tree"/tests/integration/*.sh

# run_all [VAR=VALUE...]: the scratch run-all on the five tests; sets out, status.
run_all() {
	rm -f "$state"/*
	out=$(cd "$tree" && env -u AZOTE_IN_BOX -u CI STATE="$state" AZOTE_BOX_TIMEOUT=4000 \
		"$@" bash tests/integration/run-all.sh 01 02 03 04 05 2>&1)
	status=$?
}

run_all
expect_eq "run-all: two tests failed" "$status" 1
expect_match "a passing test passes" "$out" '--- 01-passes: PASS'
expect_match "the test a box died in once passes in the next box" "$out" '--- 02-dies-once: PASS'
expect_eq "  after running twice" "$(cat "$state/runs-02-dies-once")" 2
expect_match "the test that ended two boxes fails, saying so" "$out" \
	'--- 03-dies-always: FAIL \(no result from the box: it ended two boxes, the last with status 125\)'
expect_match "the test after it passes in a box of its own" "$out" '--- 04-passes-last: PASS'
# after_line TEXT: the line of $out after the line TEXT.
after_line() { grep -A1 -Fx -- "$1" <<< "$out" | sed -n 2p; }
expect_eq "the summary quotes a failed test's FAIL lines" \
	"$(after_line 'why 05-fails failed:')" "    FAIL: the reason it failed"
expect_eq "  or, with none, says its log had nothing" \
	"$(after_line 'why 03-dies-always failed:')" "    (nothing in build/test-logs/03-dies-always.log)"
expect_match "  and names the box's QEMU with the box's end" "$out" 'box host: .*stand-in QEMU'
expect_eq "  having run once" "$(cat "$state/runs-04-passes-last")" 1
expect_match "the summary" "$out" \
	'integration: 3 passed, 2 failed, 0 skipped \(run twice in the box: 05-fails 02-dies-once 03-dies-always 04-passes-last\)'
expect_eq "four boxes" "$(wc -l < "$state/timeouts")" 4
expect_eq "each box's time out of one budget: the first gets it all" "$(head -n 1 "$state/timeouts")" 4000
expect_eq "  and none gets more than what is left" \
	"$(sort -rn "$state/timeouts" | tr '\n' ' ')" "$(tr '\n' ' ' < "$state/timeouts")"

run_all AZOTE_BOX_RETRY=0
expect_eq "AZOTE_BOX_RETRY=0: one box" "$(wc -l < "$state/timeouts")" 1
expect_match "  the tests it did not finish fail" "$out" \
	'integration: 1 passed, 4 failed, 0 skipped'
expect_match "  saying why" "$out" \
	'--- 04-passes-last: FAIL \(no result from the box: the box ended with status 125'

run_all AZOTE_BOX_TIMEOUT=200
expect_eq "under 300 s of budget left after a death: no second box" "$(wc -l < "$state/timeouts")" 1

finish
