#!/usr/bin/env bash
# Builds every libFuzzer target and runs each for a bounded time
# (FUZZ_SECONDS, default 20) from its seed corpus in fuzz/corpus/NAME, as
# many at once as there are CPUs (each fuzzer uses one). One input taking
# FUZZ_UNIT_TIMEOUT seconds (default 10; the slowest take milliseconds) is
# a hang and fails that target at once, instead of after libFuzzer's own 20
# minutes. Each target's last lines are printed in name order, a failed
# one's with its report; any failure fails the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-20}
unit_timeout=${FUZZ_UNIT_TIMEOUT:-10}
make -j"$(nproc)" BUILD=build/fuzz fuzz

# fuzz_one TARGET: its bounded run, its output in build/fuzz/log/NAME and
# its exit status in build/fuzz/log/NAME.rc.
fuzz_one() {
	local f=$1 name corpus work log
	name=$(basename "$f")
	corpus=fuzz/corpus/$name
	# A scratch corpus inside the build tree, so nothing else's /tmp
	# clean-up can pull it from under the fuzzer.
	work=build/fuzz/work/$name
	log=build/fuzz/log/$name
	rm -rf "$work" && mkdir -p "$work"
	[ ! -d "$corpus" ] || cp -r "$corpus"/. "$work"/
	local rc=0
	"$f" -max_total_time="$secs" -timeout="$unit_timeout" -print_final_stats=0 "$work" \
		> "$log" 2>&1 || rc=$?
	echo "$rc" > "$log.rc"
	rm -rf "$work"
}
export -f fuzz_one
export secs unit_timeout

rm -rf build/fuzz/log && mkdir -p build/fuzz/log
shopt -s nullglob
targets=(build/fuzz/fuzz/*)
[ ${#targets[@]} -gt 0 ] || { echo "fuzz-smoke: no targets built in build/fuzz/fuzz" >&2; exit 1; }
printf '%s\0' "${targets[@]}" | xargs -0 -n 1 -P "$(nproc)" bash -c 'fuzz_one "$1"' _ || true

failed=()
for f in "${targets[@]}"; do
	name=$(basename "$f")
	log=build/fuzz/log/$name
	rc=$(cat "$log.rc" 2>/dev/null || echo "none")
	echo "== $name (${secs}s)"
	if [ "$rc" = 0 ]; then
		tail -n 3 "$log"
	else
		tail -n 40 "$log" 2>/dev/null
		echo "fuzz-smoke: $name failed (status $rc; whole output in $log)"
		failed+=("$name")
	fi
done
[ ${#failed[@]} -eq 0 ] || { echo "fuzz-smoke: failed: ${failed[*]}"; exit 1; }
