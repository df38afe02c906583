#!/usr/bin/env bash
# Runs every integration test (tests/integration/NN-*.sh) in order. Each
# test exits 0 on pass, 77 when it must be skipped (it says why), anything
# else on failure. All tests run; the summary lists the failures.
set -uo pipefail
cd "$(dirname "$0")/../.."
pass=0 skip=0 failed=()
for t in tests/integration/[0-9]*.sh; do
	name=$(basename "$t" .sh)
	printf '\n--- %s\n' "$name"
	start=$(date +%s)
	"$t"
	rc=$?
	dur=$(( $(date +%s) - start ))
	case $rc in
	0) pass=$((pass + 1)); echo "--- $name: PASS (${dur}s)" ;;
	77) skip=$((skip + 1)); echo "--- $name: SKIP (${dur}s)" ;;
	*) failed+=("$name"); echo "--- $name: FAIL rc=$rc (${dur}s)" ;;
	esac
done
printf '\nintegration: %d passed, %d skipped, %d failed\n' "$pass" "$skip" "${#failed[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
	printf 'failed: %s\n' "${failed[*]}"
	exit 1
fi
