#!/usr/bin/env bash
# Runs the integration tests (tests/integration/NN-*.sh, or those named),
# each where it can run:
#   "# needs: kvm"  on this machine when /dev/kvm is usable, otherwise inside
#                   the box (tests/box/run: KVM under QEMU's emulated AMD-V);
#   "# needs: box"  always inside the box (a stock kernel, which this kind of
#                   machine's emulated-ring-0 KVM cannot run in useful time);
#   no tag          on this machine (host-only tests, QEMU under TCG).
# All tests of the box run in one box. Each test exits 0 on pass, 77 when it
# must be skipped (it says why), anything else on failure.
#
# Inside the box a test that fails runs once more (see run_one below), and
# the tests a box that died left without a result run in a new box (see
# box_rounds): the test it died in is charged with it, and fails once it
# has ended two boxes; AZOTE_BOX_RETRY=0: none of this. The summary names
# the tests run twice.
#
# A skipped test was never judged: with CI=true any skip fails the run,
# unless AZOTE_ALLOW_SKIP=1 says a skip is acceptable on this machine.
# AZOTE_BOX=never keeps every test on this machine (the KVM tests then skip
# where /dev/kvm is missing); AZOTE_BOX_TIMEOUT bounds the boxes, all
# rounds together, and AZOTE_TEST_TIMEOUT each test (seconds; a test out of
# time fails).
set -uo pipefail
cd "$(dirname "$0")/../.."

tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(tests/integration/[0-9]*.sh)
for i in "${!tests[@]}"; do
	t=${tests[i]}
	[ -f "$t" ] || t=tests/integration/$t
	[ -f "$t" ] || t=$(ls tests/integration/"${tests[i]}"*.sh 2>/dev/null | head -n 1)
	[ -n "$t" ] && [ -f "$t" ] || { echo "run-all: no test ${tests[i]}" >&2; exit 2; }
	tests[i]=$t
done

kvm_here() { [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; }
# where TEST: host or box.
where() {
	local needs
	[ -z "${AZOTE_IN_BOX:-}" ] || { echo host; return; }
	needs=$(sed -n 's/^# needs: \([a-z]*\)$/\1/p' "$1" | head -n 1)
	case $needs in
	box) echo box ;;
	kvm) if kvm_here || [ "${AZOTE_BOX:-}" = never ]; then echo host; else echo box; fi ;;
	*) echo host ;;
	esac
}

pass=0 skip=0 failed=() skipped=()
# note NAME RC SECONDS: counts one result and prints its line.
note() {
	case $2 in
	0) pass=$((pass + 1)); echo "--- $1: PASS ($3s)" ;;
	77) skip=$((skip + 1)); skipped+=("$1"); echo "--- $1: SKIP ($3s)" ;;
	*) failed+=("$1"); echo "--- $1: FAIL rc=$2 ($3s)" ;;
	esac
}

host=() box=()
for t in "${tests[@]}"; do
	if [ "$(where "$t")" = box ]; then box+=("$t"); else host+=("$t"); fi
done

# The Linux guest's kernels are built (or found in the cache) here, before
# any test needs them: building or even hashing the sources inside the box
# runs under emulation. The tests read what was built from build/linux-guest.
prebuild_linux() {
	local mode
	mkdir -p build/linux-guest
	for mode in test stock; do
		LINUX_GUEST=$mode timeout 2400 tests/linux-guest/build.sh \
			> "build/linux-guest/$mode.env.tmp" || return 1
		mv "build/linux-guest/$mode.env.tmp" "build/linux-guest/$mode.env"
	done
}
if [ -z "${AZOTE_IN_BOX:-}" ] && printf '%s\n' "${tests[@]}" | grep -q '/[89][0-9]-linux-'; then
	start=$(date +%s)
	echo "--- building the Linux test guests (test and stock kernels; cached)"
	prebuild_linux || { echo "run-all: the Linux guest build failed" >&2; exit 1; }
	echo "--- Linux guests ready ($(( $(date +%s) - start ))s)"
	# Passed into the box too (tests/box/run passes LG_* on).
	export LG_PREBUILT=$PWD/build/linux-guest
fi

# One hung test must not eat the time of those after it (nor the box's).
test_timeout=${AZOTE_TEST_TIMEOUT:-1200}
# Each test's output is kept in build/test-logs/NAME.log (its last run):
# the summary quotes a failed test's FAIL lines from there, and the box,
# which shares build/, leaves its tests' logs there too.
mkdir -p build/test-logs
[ -n "${AZOTE_IN_BOX:-}" ] || rm -f build/test-logs/*.log
# run_one TEST: runs it, bounded; sets rc and secs.
run_one() {
	local start=$(date +%s)
	timeout -k 10 "$test_timeout" "$1" 2>&1 | tee "build/test-logs/$(basename "$1" .sh).log"
	rc=${PIPESTATUS[0]}
	secs=$(( $(date +%s) - start ))
	[ "$rc" -ne 124 ] || echo "run-all: $(basename "$1" .sh) did not end within ${test_timeout}s (AZOTE_TEST_TIMEOUT)"
}
# Inside the box a failed test runs once more: the box's emulation (QEMU
# 7.2, multi-threaded TCG, nested SVM) now and then resets or wedges a guest
# that passes on a rerun, whichever VMM runs it (README, "The box"). Both
# outcomes are printed and the retries counted in the summary; a test that
# fails twice fails. AZOTE_BOX_RETRY=0 turns this off. (The Linux tier's
# lg_run reruns a single boot the same way and prints the same line, so
# the summary names it as TEST:bootN.)
retried=()
tier_start=$(date +%s)
for t in ${host[@]+"${host[@]}"}; do
	name=$(basename "$t" .sh)
	printf '\n--- %s\n' "$name"
	run_one "$t"
	if [ -n "${AZOTE_IN_BOX:-}" ] && [ "${AZOTE_BOX_RETRY:-1}" = 1 ] &&
	   [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		printf -- '--- %s failed (rc=%d, %ds) in the box: running it once more\n' \
			"$name" "$rc" "$secs"
		retried+=("$name")
		run_one "$t"
	fi
	note "$name" "$rc" "$secs"
done
host_secs=$(( $(date +%s) - tier_start ))

# box_digest CONSOLE: what a box that died printed of its end (the panic
# or BUG line, the task, RIP and the call trace's functions), and what it
# ran on: the QEMU and host CPU that emulated it. The console is in build/,
# which a CI log does not show; this goes into the summary repeated last.
box_digest() {
	local cpu
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	local end
	end=$(tr -d '\r' < "$1" | grep -aE 'Kernel panic|BUG:|Oops|general protection|corrupted|Comm:|RIP:|^\[[ 0-9.]+\]  [a-z_0-9.]+\+0x' |
		tail -n 24)
	# No panic in it (a box stopped by its timeout): its last lines.
	[ -n "$end" ] || end=$(tr -d '\r' < "$1" | tail -n 5)
	echo "box console ($1), its end:"
	sed 's/^\[ *[0-9.]*\] */    /' <<< "$end"
	echo "box host: ${cpu:-unknown CPU}, $(nproc) CPUs, $(tests/box/run --qemu-version 2>&1 | tail -n 1)"
}

# box_round LOG CONSOLE SECONDS TESTS...: runs TESTS in one box for at most
# SECONDS, its output in LOG and its console in CONSOLE; sets rc (the box's
# status) and lost (the tests it gave no result for, in order).
box_round() {
	local log=$1 console=$2 limit=$3 t name line secs
	shift 3
	printf '\n--- into the box for %d test(s) that need KVM: %s\n' "$#" \
		"$(printf '%s ' "${@##*/}")"
	# AZOTE_IN_BOX makes run-all.sh inside run everything it is given.
	tests/box/run --timeout "$limit" --log "$console" \
		-- tests/integration/run-all.sh "$@" | tee "$log"
	rc=${PIPESTATUS[0]}
	lost=()
	# Fold the box's results into ours.
	for t in "$@"; do
		name=$(basename "$t" .sh)
		line=$(grep -a "^--- $name: \(PASS\|SKIP\|FAIL\)" "$log" | tail -n 1)
		secs=$(sed -n 's/.*(\([0-9]*\)s)$/\1/p' <<< "$line")
		case $line in
		*": PASS "*) note "$name" 0 "$secs" >/dev/null ;;
		*": SKIP "*) note "$name" 77 "$secs" >/dev/null ;;
		*": FAIL "*) note "$name" 1 "$secs" >/dev/null ;;
		*) lost+=("$t") ;;
		esac
	done
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
		echo "run-all: the box ended with status $rc (console: $console)"
		box_digest "$console" | tee -a build/box-digest
	fi
}

# lose TEST WHY: TEST fails without a result.
lose() {
	note "$(basename "$1" .sh)" 1 0 >/dev/null
	echo "--- $(basename "$1" .sh): FAIL (no result from the box: $2)"
}

# box_rounds TESTS...: runs TESTS in boxes until each has a result. A box
# that died (its emulated kernel panicked or wedged, README, "The box")
# gave none for the tests it had not finished; the first of them is the
# one it died in. That one is charged with the box, and fails once it has
# ended two; the others never ran and are not charged. The rest go to a
# new box, while AZOTE_BOX_TIMEOUT (all rounds together) leaves one 300 s.
# Sets box_lost (the tests carried to another box).
box_rounds() {
	local budget=${AZOTE_BOX_TIMEOUT:-3600} start=$(date +%s) round=1 died
	local left=$budget
	local -A deaths=()
	local pending=("$@")
	box_lost=()
	while :; do
		box_round "build/box-tests-$round.log" "build/box-console-$round.log" "$left" \
			"${pending[@]}"
		[ ${#lost[@]} -gt 0 ] || return 0
		died=${lost[0]}
		deaths[$died]=$(( ${deaths[$died]:-0} + 1 ))
		if [ "${deaths[$died]}" -ge 2 ]; then
			lose "$died" "it ended two boxes, the last with status $rc"
			lost=("${lost[@]:1}")
			[ ${#lost[@]} -gt 0 ] || return 0
		fi
		left=$(( budget - ($(date +%s) - start) ))
		if [ "${AZOTE_BOX_RETRY:-1}" != 1 ] || [ "$left" -lt 300 ]; then
			for t in "${lost[@]}"; do
				lose "$t" "the box ended with status $rc, ${left}s of AZOTE_BOX_TIMEOUT left"
			done
			return 0
		fi
		printf -- '--- the box ended with status %d in %s, before %d test(s) ended: a new box for them\n' \
			"$rc" "$(basename "$died" .sh)" "${#lost[@]}"
		box_lost+=("${lost[@]##*/}")
		pending=("${lost[@]}")
		round=$((round + 1))
	done
}

box_secs=0 box_lost=()
# (Not inside the box: it shares build/ with the run-all outside, which is
# writing these.)
[ -n "${AZOTE_IN_BOX:-}" ] || rm -f build/box-digest build/box-tests-*.log build/box-console-*.log
if [ ${#box[@]} -gt 0 ]; then
	tier_start=$(date +%s)
	box_rounds "${box[@]}"
	box_secs=$(( $(date +%s) - tier_start ))
fi

# Tests the box ran twice (their names, from its log when we are outside).
if [ -z "${AZOTE_IN_BOX:-}" ] && [ ${#box[@]} -gt 0 ]; then
	mapfile -t retried < <(cat build/box-tests-*.log |
		sed -n 's/^--- \([^ ]*\) failed (rc=.*running it once more$/\1/p')
	retried+=(${box_lost[@]+"${box_lost[@]%.sh}"})
	# Once each, in order (a test can be carried to more than one box).
	mapfile -t retried < <(printf '%s\n' ${retried[@]+"${retried[@]}"} | awk 'NF && !seen[$0]++')
fi
summary="integration: $pass passed, ${#failed[@]} failed, $skip skipped"
[ ${#retried[@]} -eq 0 ] || summary+=" (run twice in the box: ${retried[*]})"
# why_failed: each failed test's FAIL lines (its last run's, at most 8), or
# its log's last lines when it printed none: a CI log shows only its end.
why_failed() {
	local name log why
	for name in ${failed[@]+"${failed[@]}"}; do
		log=build/test-logs/$name.log
		why=$(grep -a '^FAIL' "$log" 2>/dev/null | tail -n 8)
		[ -n "$why" ] || why=$(tail -n 4 "$log" 2>/dev/null)
		echo "why $name failed:"
		sed 's/^/    /' <<< "${why:-(nothing in $log)}" | cut -c1-300
	done
}
if [ -z "${AZOTE_IN_BOX:-}" ]; then
	kvm_here && kvm="a usable /dev/kvm" || kvm="no usable /dev/kvm"
	tiers=$(printf 'tier times: on this machine (%s) %ds for %d tests, in the box %ds for %d tests' \
		"$kvm" "$host_secs" "${#host[@]}" "$box_secs" "${#box[@]}")
	printf '\n%s\n' "$tiers"
	# tests/run repeats these last.
	{ printf '%s\n%s\n' "$tiers" "$summary"
	  why_failed
	  [ ! -f build/box-digest ] || cat build/box-digest; } > build/integration-summary
fi
printf '\n%s\n' "$summary"
[ -n "${AZOTE_IN_BOX:-}" ] || why_failed
[ ${#skipped[@]} -eq 0 ] || printf 'skipped: %s\n' "${skipped[*]}"
if [ "${#failed[@]}" -gt 0 ]; then
	printf 'failed: %s\n' "${failed[*]}"
	exit 1
fi
if [ "$skip" -gt 0 ] && [ "${CI:-}" = true ] && [ "${AZOTE_ALLOW_SKIP:-0}" != 1 ]; then
	echo "CI: a skipped test was never judged; set AZOTE_ALLOW_SKIP=1 to accept skips"
	exit 1
fi
exit 0
