# Shared by the probe's integration tests (source it). Sets $run, checks
# that QEMU and KVM are usable (exit 77 otherwise), and gives a scratch
# directory $tmp removed on exit, plus helpers.
cd "$(dirname "$0")/../.." || exit 1
run=tests/lib/probe-run
command -v qemu-system-x86_64 >/dev/null || { echo "skip: no qemu-system-x86_64"; exit 77; }
[ -w /dev/kvm ] || { echo "skip: no usable /dev/kvm"; exit 77; }
[ -r build/probe.elf ] || { echo "build/probe.elf missing: run make"; exit 1; }
tmp=$(mktemp -d /tmp/probe-test.XXXXXX)
failed=0
cleanups=()
on_exit() {
	local i
	for ((i = ${#cleanups[@]} - 1; i >= 0; i--)); do eval "${cleanups[$i]}"; done
	rm -rf "$tmp"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# expect NAME WANT_RC REGEX -- [in_ns_run] probe-run args: runs probe-run
# (inside network namespace $ns if the first word is in_ns_run), checks
# its exit status and that its result line matches REGEX.
expect() {
	local name=$1 want=$2 re=$3 rc line pre=()
	shift 4
	if [ "${1:-}" = in_ns_run ]; then
		pre=(ip netns exec "$ns")
		shift
	fi
	"${pre[@]}" "$run" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	line=$(grep -E '^PROBE [a-z0-9-]+ (PASS|FAIL)' "$tmp/out" | tail -n 1)
	if [ "$rc" != "$want" ] || ! [[ $line =~ $re ]]; then
		echo "FAIL $name: rc=$rc (want $want), line: $line"
		cat "$tmp/err"
		failed=1
		return 1
	fi
	echo "ok   $name: $line"
}
