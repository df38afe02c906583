#!/usr/bin/env bash
# Builds every libFuzzer target and runs each for a bounded time
# (FUZZ_SECONDS, default 20) from its seed corpus in fuzz/corpus/NAME.
# One input taking FUZZ_UNIT_TIMEOUT seconds (default 10; the slowest
# take milliseconds) is a hang and fails the run at once, instead of after
# libFuzzer's own 20 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-20}
unit_timeout=${FUZZ_UNIT_TIMEOUT:-10}
make -j"$(nproc)" BUILD=build/fuzz fuzz
shopt -s nullglob
for f in build/fuzz/fuzz/*; do
	name=$(basename "$f")
	corpus=fuzz/corpus/$name
	# A scratch corpus inside the build tree, so nothing else's /tmp
	# clean-up can pull it from under the fuzzer.
	work=build/fuzz/work/$name
	rm -rf "$work" && mkdir -p "$work"
	[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
	echo "== $name (${secs}s)"
	"$f" -max_total_time="$secs" -timeout="$unit_timeout" -print_final_stats=0 "$work" 2>&1 | tail -n 3
	rm -rf "$work"
done
