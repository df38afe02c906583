# Test 88 (sourced after itest.sh): a Linux guest paused and resumed
# again and again through the API while it runs its checks, each pause
# saving the whole machine state and loading it back into the same VM
# (AZOTE_DEBUG_STATE_ROUNDTRIP=load, src/vmm/instance.c; --no-seccomp, as
# loading into a running VM issues KVM's SET ioctls on the event loop).

# lg_state_roundtrip RUN.SH-ARGS...: one run.sh run under that treatment;
# it must pass, with at least 3 round trips and none failed.
lg_state_roundtrip() {
	local sock=$TMP/api.sock pauser loaded failed
	rm -f "$TMP/azote.log"
	# azote's own lines go to a file (info level), not between the
	# console's.
	cat >"$TMP/azote" <<SH
#!/bin/sh
exec env AZOTE_DEBUG_STATE_ROUNDTRIP=load "$AZOTE" --api-sock "$sock" --no-seccomp \
	--log-path "$TMP/azote.log" "\$@"
SH
	chmod +x "$TMP/azote"
	# The host's side: a pause and a resume every 0.2 s while the API is
	# there (refused before InstanceStart; a round trip takes about a
	# second in the box). azote logs each round trip, and each failure.
	(
		for ((i = 0; i < 3000; i++)); do
			if [ -S "$sock" ]; then
				_lg_patch_vm "$sock" Paused
				_lg_patch_vm "$sock" Resumed
			fi
			sleep 0.2
		done
	) &
	pauser=$!
	kill_at_exit "$pauser" TERM
	at_exit "grep -a failed $TMP/azote.log | head -5"
	lg_run --vmm azote --azote "$TMP/azote" "$@"
	kill "$pauser" 2>/dev/null
	wait "$pauser" 2>/dev/null
	loaded=$(grep -ac 'machine state saved and loaded back' "$TMP/azote.log")
	[ "$loaded" -ge 3 ] && pass "the state went out and back $loaded times during the run" ||
		fail "only $loaded round trips during the run (3 wanted)"
	failed=$(grep -a 'API request failed: .*\(KVM\|snapshot\|vCPU\)' "$TMP/azote.log")
	expect_eq "round trips that failed" "$failed" ""
}

_lg_patch_vm() {	# SOCK STATE
	curl -s --max-time 30 --unix-socket "$1" -X PATCH -o /dev/null \
		-H 'Content-Type: application/json' -d "{\"state\": \"$2\"}" http://localhost/vm
}
