#!/usr/bin/env bash
# Builds every libFuzzer target and runs each for a bounded time
# (FUZZ_SECONDS, default 20) from its seed corpus in fuzz/corpus/NAME.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-20}
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
	"$f" -max_total_time="$secs" -print_final_stats=0 "$work" 2>&1 | tail -n 3
	rm -rf "$work"
done
