#!/usr/bin/env bash
# needs: kvm
# Issue 16 (snapshots), the machine-state slice: azote saves a paused VM's
# whole machine state (every vCPU's KVM state, irqchip, PIT, kvmclock, the
# platform devices) and loads it back into the same VM, and the guest goes
# on as if nothing happened. Until snapshots have their API, the pause
# request does it when AZOTE_DEBUG_STATE_ROUNDTRIP is set (instance.c):
#  1. =save under azote's seccomp lists (kill): the vCPU threads read their
#     own vCPUs, the event loop the VM-wide state; a call outside the lists
#     would kill azote;
#  2. =load (save, then load back; --no-seccomp, since loading into a
#     running VM issues KVM's SET ioctls on the event loop's thread).
# The guest is the echo guest with 2 vCPUs (the second waits for INIT, so
# its MP state and LAPIC matter): it polls the UART with IN instructions,
# so the pause lands after an I/O exit that the save must complete first.
. "$(dirname "$0")/../lib/api.sh"

require_kvm
need_built "$AZOTE"
dir=$TMP

echo_guest=$("$ROOT/tests/guests/build.sh" echo "$dir/guests")
cat >"$dir/echo.json" <<JSON
{"boot-source": {"kernel_image_path": "$echo_guest"}, "drives": [],
 "machine-config": {"vcpu_count": 2, "mem_size_mib": 64}}
JSON

# roundtrip MODE SECCOMP-ARGS...: one VM, paused once, resumed, must echo
# what it was sent before and after and end with status 0.
roundtrip() {
	local mode=$1 name=rt-$1; shift
	rm -f "$dir/in"
	mkfifo "$dir/in"
	exec 3<>"$dir/in"
	API_SOCK=$dir/$name.sock
	AZOTE_DEBUG_STATE_ROUNDTRIP=$mode "$AZOTE" --config-file "$dir/echo.json" \
		--api-sock "$API_SOCK" --log-level info "$@" <"$dir/in" >"$dir/$name.out" 2>"$dir/$name.err" &
	local pid=$!
	kill_at_exit "$pid" TERM
	wait_socket "$API_SOCK"
	printf 'one ' >&3
	wait_for "$dir/$name.out" 'one' 30 && pass "$mode: running guest echoes" ||
		fail "$mode: running guest did not echo"
	for round in 1 2; do
		api_expect 204 '' PATCH /vm '{"state": "Paused"}'
		printf "r$round " >&3
		api_expect 204 '' PATCH /vm '{"state": "Resumed"}'
		wait_for "$dir/$name.out" "r$round" 30 &&
			pass "$mode: guest echoes after round $round" ||
			fail "$mode: guest did not echo after round $round"
	done
	local want="machine state saved: [0-9]+ sections"
	[ "$mode" = load ] && want="machine state saved and loaded back: [0-9]+ sections"
	expect_match "$mode: azote says so" "$(cat "$dir/$name.err")" "$want"
	grep -m1 'machine state' "$dir/$name.err"
	printf 'q' >&3
	local status=0
	wait_exit $pid 60 || status=$?
	expect_eq "$mode: exit status" "$status" 0
	[ "$status" = 0 ] || tail -20 "$dir/$name.err"
	exec 3>&-
}

roundtrip save
roundtrip load --no-seccomp
finish
