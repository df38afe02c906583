#!/usr/bin/env bash
# needs: kvm
# Issue 16 (snapshots), the machine-state slice, with Linux: while a
# 2-vCPU Linux guest boots and runs its boot and smp checks, the host
# pauses and resumes it again and again through the API, and each pause
# saves the whole machine state and loads it back into the same VM
# (AZOTE_DEBUG_STATE_ROUNDTRIP=load, src/vmm/instance.c; --no-seccomp, as
# loading into a running VM issues KVM's SET ioctls on the event loop).
# Linux's timers (LAPIC, TSC deadline, kvmclock), its interrupts (IOAPIC,
# PIC, UART), its AP start-up (INIT/SIPI: MP state) and whatever a vCPU
# was doing when paused must survive: the checks pass and azote ends with
# status 0. Test 18 does the same, seccomp on, with a tiny guest.
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
require_kvm
require curl
lg_itest_init
need_built "$AZOTE"

sock=$TMP/api.sock
# azote's own lines go to a file (info level), not between the console's.
cat >"$TMP/azote" <<SH
#!/bin/sh
exec env AZOTE_DEBUG_STATE_ROUNDTRIP=load "$AZOTE" --api-sock "$sock" --no-seccomp \
	--log-path "$TMP/azote.log" "\$@"
SH
chmod +x "$TMP/azote"

# The host's side: a pause and a resume every 0.2 s while the VM is
# there (each round trip takes about a second in the box: 5 in a run) (before InstanceStart and after the end they are refused; azote
# logs each round trip it did, and each one that failed).
patch_vm() {
	curl -s --max-time 30 --unix-socket "$sock" -X PATCH -o /dev/null \
		-H 'Content-Type: application/json' -d "{\"state\": \"$1\"}" http://localhost/vm
}
(
	for ((i = 0; i < 1200; i++)); do
		if [ -S "$sock" ]; then
			patch_vm Paused
			patch_vm Resumed
		fi
		sleep 0.2
	done
) &
pauser=$!
kill_at_exit "$pauser" TERM
at_exit "grep -a failed $TMP/azote.log | head -5"

lg_run --vmm azote --azote "$TMP/azote" --cpus 2 --memory 256M --checks boot,smp \
	--timeout 600
kill "$pauser" 2>/dev/null
wait "$pauser" 2>/dev/null
loaded=$(grep -ac 'machine state saved and loaded back' "$TMP/azote.log")
[ "$loaded" -ge 3 ] && pass "the state went out and back $loaded times during the run" ||
	fail "only $loaded round trips during the run (3 wanted)"
failed=$(grep -a 'API request failed: .*\(KVM\|snapshot\|vCPU\)' "$TMP/azote.log")
expect_eq "round trips that failed" "$failed" ""
finish
