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

# blk_checks IMG VMM-ARGS...: the block suite every VMM must pass with a
# 64 MiB raw image IMG as its first virtio-blk device (given with --disk):
# info, a seeded write/flush/read-back, the pattern read back by a new VM, a
# wrong seed and a corrupted byte found at the right sector (the check can
# fail), a read-only drive, and a short benchmark.
blk_checks() {
	local img=$1 sum
	shift
	expect blk-info 0 'PASS .*capacity=131072 .*flush=1 ' -- \
		"$@" --disk "$img" -- probe.test=blk-info
	expect blk-verify 0 'PASS .*sectors=4096 .*write_zeroes=ok discard=ok' -- \
		"$@" --disk "$img" -- probe.test=blk-verify probe.seed=7 probe.sectors=4096
	# The written pattern survives the VM: read it back in a new one.
	expect blk-verify-read 0 'PASS .*mode=read' -- \
		"$@" --disk "$img" -- probe.test=blk-verify probe.seed=7 probe.sectors=4096 probe.verify=read
	expect blk-verify-wrong-seed 1 'FAIL .*bad_sectors=4096 first_bad_sector=0 ' -- \
		"$@" --disk "$img" -- probe.test=blk-verify probe.seed=8 probe.sectors=4096 probe.verify=read
	# One corrupted byte in sector 3001 is found there and nowhere else.
	printf '\xff' | dd of="$img" bs=1 seek=$((3001 * 512 + 77)) conv=notrunc status=none
	printf '\x00' | dd of="$img" bs=1 seek=$((3001 * 512 + 78)) conv=notrunc status=none
	expect blk-verify-corrupt 1 'FAIL .*bad_sectors=1 first_bad_sector=3001 last_bad_sector=3001' -- \
		"$@" --disk "$img" -- probe.test=blk-verify probe.seed=7 probe.sectors=4096 probe.verify=read
	# Read-only drive: writes fail with IOERR, the image stays as it was.
	sum=$(sha256sum <"$img")
	expect blk-ro 0 'PASS .*ro=1 write_status=ioerr' -- "$@" --disk "$img,ro" -- probe.test=blk-ro
	[ "$(sha256sum <"$img")" = "$sum" ] || { echo "FAIL blk-ro: image changed"; failed=1; }
	# ...and blk-ro on a writable drive fails (the check can fail).
	expect blk-ro-on-rw 1 'FAIL .*reason=device_not_read_only' -- "$@" --disk "$img" -- probe.test=blk-ro
	expect blk-bench 0 'PASS .*rand4k_iops=[1-9][0-9]* .*seqrd_mib_s=[0-9]+ .*seqwr_mib_s=[0-9]+' -- \
		"$@" --disk "$img" -- probe.test=blk-bench probe.secs=1 probe.qd=16
	# probe.phases= runs only the phases named (here: no seqrd/seqwr keys).
	expect blk-bench-phases 0 'PASS .*qd=1 .* rand4k_mib_s=[0-9]+$' -- \
		"$@" --disk "$img" -- probe.test=blk-bench probe.secs=1 probe.qd=1 probe.phases=rand4k
	expect blk-bench-bad-phase 1 'FAIL param_error=bad_value key=phases' -- \
		"$@" --disk "$img" -- probe.test=blk-bench probe.phases=rand4k,
}

# start_qsd IMG SOCK: qemu-storage-daemon exporting IMG as a writable
# one-queue vhost-user-blk device on SOCK, stopped at exit. Each VM that
# connects is served in turn. Sets $qsd (its pid).
start_qsd() {
	qemu-storage-daemon \
		--blockdev "driver=file,node-name=file0,filename=$1" \
		--blockdev driver=raw,node-name=disk0,file=file0 \
		--export "type=vhost-user-blk,id=exp0,node-name=disk0,addr.type=unix,addr.path=$2,writable=on,num-queues=1" \
		>"$tmp/qsd.log" 2>&1 &
	qsd=$!
	cleanups+=("kill $qsd 2>/dev/null; wait $qsd 2>/dev/null")
	for _ in $(seq 50); do [ -S "$2" ] && return 0; sleep 0.1; done
	echo "FAIL: qemu-storage-daemon did not start"
	cat "$tmp/qsd.log"
	exit 1
}
