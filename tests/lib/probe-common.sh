# shellcheck shell=bash
# The probe guest's integration tests (source it): the harness
# (common.sh), $PROBE_RUN (tests/lib/probe-run) and checks built on it. It
# asks for neither QEMU nor KVM: a test that runs QEMU calls require_qemu
# (probe-run picks the same accelerator), one that boots azote require_kvm.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
PROBE_RUN=$ROOT/tests/lib/probe-run
# The last expect_probe's output (the probe's PROBE lines).
PROBE_OUT=$TMP/probe.out
# A regex every result line expect_probe checks must match as well (e.g.
# the virtio transport a test means to exercise), except a param_error=
# line (the probe refuses its parameters before it looks for a device);
# empty: none.
PROBE_LINE_ALSO=""
need_built "$PROBE_ELF"

# expect_probe NAME WANT_RC REGEX -- [in_ns_run] PROBE-RUN-ARGS...: runs
# probe-run (inside the network namespace $NS if the first word is
# in_ns_run), checks its exit status and that its last result line matches
# REGEX (a bash regex) and $PROBE_LINE_ALSO. Status 1 when the check
# failed.
expect_probe() {
	local name=$1 want=$2 re=$3 rc line pre=()
	shift 4
	if [ "${1:-}" = in_ns_run ]; then
		pre=(ip netns exec "$NS")
		shift
	fi
	"${pre[@]}" "$PROBE_RUN" "$@" >"$PROBE_OUT" 2>"$TMP/probe.err"
	rc=$?
	line=$(grep -E '^PROBE [a-z0-9-]+ (PASS|FAIL)' "$PROBE_OUT" | tail -n 1)
	if [ "$rc" != "$want" ] || ! [[ $line =~ $re ]] ||
	   { [ -n "$PROBE_LINE_ALSO" ] && [[ $line != *" param_error="* ]] &&
	     ! [[ $line =~ $PROBE_LINE_ALSO ]]; }; then
		fail "$name: rc=$rc (want $want), line: $line"
		cat "$TMP/probe.err"
		return 1
	fi
	pass "$name: $line"
}

# blk_checks IMG VMM-ARGS...: the block suite every VMM must pass with a
# 64 MiB raw image IMG as its first virtio-blk device (given with --disk):
# info, a seeded write/flush/read-back, the pattern read back by a new VM, a
# wrong seed and a corrupted byte found at the right sector (the check can
# fail), a read-only drive, and a short benchmark.
blk_checks() {
	local img=$1 sum
	shift
	expect_probe blk-info 0 'PASS .*capacity=131072 .*flush=1 ' -- \
		"$@" --disk "$img" -- probe.test=blk-info
	expect_probe blk-verify 0 'PASS .*sectors=4096 .*write_zeroes=ok discard=ok' -- \
		"$@" --disk "$img" -- probe.test=blk-verify probe.seed=7 probe.sectors=4096
	# The written pattern survives the VM: read it back in a new one.
	expect_probe blk-verify-read 0 'PASS .*mode=read' -- \
		"$@" --disk "$img" -- probe.test=blk-verify probe.seed=7 probe.sectors=4096 probe.verify=read
	expect_probe blk-verify-wrong-seed 1 'FAIL .*bad_sectors=4096 first_bad_sector=0 ' -- \
		"$@" --disk "$img" -- probe.test=blk-verify probe.seed=8 probe.sectors=4096 probe.verify=read
	# One corrupted byte in sector 3001 is found there and nowhere else.
	printf '\xff' | dd of="$img" bs=1 seek=$((3001 * 512 + 77)) conv=notrunc status=none
	printf '\x00' | dd of="$img" bs=1 seek=$((3001 * 512 + 78)) conv=notrunc status=none
	expect_probe blk-verify-corrupt 1 'FAIL .*bad_sectors=1 first_bad_sector=3001 last_bad_sector=3001' -- \
		"$@" --disk "$img" -- probe.test=blk-verify probe.seed=7 probe.sectors=4096 probe.verify=read
	# Read-only drive: writes fail with IOERR, the image stays as it was.
	sum=$(sha256sum <"$img")
	expect_probe blk-ro 0 'PASS .*ro=1 write_status=ioerr' -- "$@" --disk "$img,ro" -- probe.test=blk-ro
	expect_eq "blk-ro: image unchanged" "$(sha256sum <"$img")" "$sum"
	# ...and blk-ro on a writable drive fails (the check can fail).
	expect_probe blk-ro-on-rw 1 'FAIL .*reason=device_not_read_only' -- "$@" --disk "$img" -- probe.test=blk-ro
	expect_probe blk-bench 0 'PASS .*rand4k_iops=[1-9][0-9]* .*seqrd_mib_s=[0-9]+ .*seqwr_mib_s=[0-9]+' -- \
		"$@" --disk "$img" -- probe.test=blk-bench probe.secs=1 probe.qd=16
	# probe.phases= runs only the phases named (here: no seqrd/seqwr keys),
	# each with its latency percentiles, in order.
	expect_probe blk-bench-phases 0 'PASS .*qd=1 .* rand4k_mib_s=[0-9]+ rand4k_ticks=[1-9][0-9]* rand4k_p50_t=[1-9][0-9]* rand4k_p90_t=[1-9][0-9]* rand4k_p99_t=[1-9][0-9]* rand4k_p999_t=[1-9][0-9]* rand4kw_ops=[1-9][0-9]* .* rand4kw_p999_t=[1-9][0-9]*$' -- \
		"$@" --disk "$img" -- probe.test=blk-bench probe.secs=1 probe.qd=1 probe.phases=rand4k,rand4kw
	expect_probe blk-bench-bad-phase 1 'FAIL param_error=bad_value key=phases' -- \
		"$@" --disk "$img" -- probe.test=blk-bench probe.phases=rand4k,
}

# blk_mq_checks IMG VMM-ARGS...: two queues from two vCPUs on a 64 MiB raw
# image IMG given with --disk IMG,queues=2 (the device offers two):
# blk-verify's requests take the queues in turn (most sectors read back on
# the other queue), blk-bench polls each queue from a vCPU of its own; a
# device or a VM with fewer than asked for fails, saying so.
blk_mq_checks() {
	local img=$1
	shift
	expect_probe blk-verify-2q 0 'PASS .*sectors=2048 .*queues=2 q0_requests=[1-9][0-9]* q1_requests=[1-9][0-9]*$' -- \
		"$@" --cpus 2 --disk "$img,queues=2" -- probe.test=blk-verify probe.queues=2 probe.seed=12
	expect_probe blk-verify-2q-read 0 'PASS .*mode=read .*queues=2 ' -- \
		"$@" --cpus 1 --disk "$img,queues=2" -- probe.test=blk-verify probe.queues=2 probe.seed=12 probe.verify=read
	expect_probe blk-bench-2q 0 'PASS .*queues=2 rand4k_ops=[1-9][0-9]* .* rand4k_q0_iops=[1-9][0-9]* rand4k_q1_iops=[1-9][0-9]* seqrd_ops=[1-9][0-9]* .* seqrd_q1_iops=[1-9][0-9]*$' -- \
		"$@" --cpus 2 --disk "$img,queues=2" -- probe.test=blk-bench probe.queues=2 probe.qd=32 probe.secs=1 probe.phases=rand4k,seqrd
	expect_probe blk-queues-too-few 1 'FAIL .*reason=device_queues_too_few queues=4 num_queues=2' -- \
		"$@" --disk "$img,queues=2" -- probe.test=blk-info probe.queues=4
	expect_probe blk-bench-cpus-too-few 1 'FAIL .*reason=too_few_cpus cpus=1 wanted=2' -- \
		"$@" --cpus 1 --disk "$img,queues=2" -- probe.test=blk-bench probe.queues=2
}

# start_qsd IMG SOCK: qemu-storage-daemon exporting IMG as a writable
# one-queue vhost-user-blk device on SOCK, stopped at exit. Each VM that
# connects is served in turn. Sets $qsd (its pid).
start_qsd() {
	qemu-storage-daemon \
		--blockdev "driver=file,node-name=file0,filename=$1" \
		--blockdev driver=raw,node-name=disk0,file=file0 \
		--export "type=vhost-user-blk,id=exp0,node-name=disk0,addr.type=unix,addr.path=$2,writable=on,num-queues=1" \
		>"$TMP/qsd.log" 2>&1 &
	qsd=$!
	kill_at_exit "$qsd" TERM
	wait_socket "$2" || { cat "$TMP/qsd.log"; die "qemu-storage-daemon did not start"; }
}

# expect_qsd_alive: qemu-storage-daemon (start_qsd) still runs.
expect_qsd_alive() {
	if kill -0 "$qsd" 2>/dev/null; then
		pass "qemu-storage-daemon survived its front-ends"
	else
		fail "qemu-storage-daemon died"
		cat "$TMP/qsd.log"
	fi
}
