# shellcheck shell=bash
# Tests 91 and 94 (sourced after itest.sh and tests/lib/snapshot-api.sh):
# the Linux guest snapshotted while it works (91: writes its disk and pings
# the host; 94: holds a vsock connection), then loaded in a new azote
# process.
#
# run.sh runs one VMM and judges its console; here that VMM is a wrapper
# ($TMP/azote): azote with an API socket and, once the test has
# snapshotted that azote and killed it (after touching $TMP/restore), a new
# azote on the same console, stdin, network namespace and TAP, into which
# the test loads the snapshot (PUT /snapshot/load, resume_vm), lazily
# (snap_lazy). run.sh sees the guest's lines go on, and the second azote's
# exit status.

# lg_snap_start GO_LINE RUN.SH-ARGS...: run.sh in the background (its
# output in $TMP/out, the console in $TMP/console) on that wrapper, until
# the console shows GO_LINE; sets LG_SNAP_PID (run.sh's) and
# LG_SNAP_CONSOLE (the console as it is written).
lg_snap_start() {
	local go=$1
	shift
	rm -rf "$TMP/go" "$TMP/restore" "$TMP/a.sock" "$TMP/b.sock" "$TMP/b.pid" "$TMP/vm.snap" \
		"$TMP/vm.mem"
	cat >"$TMP/azote" <<SH
#!/usr/bin/env bash
(echo "\$BASHPID" >"$TMP/a.pid"; exec "$AZOTE" --api-sock "$TMP/a.sock" --log-path "$TMP/a.log" "\$@")
rc=\$?
[ -e "$TMP/restore" ] || exit \$rc
echo "\$\$" >"$TMP/b.pid"
exec "$AZOTE" --api-sock "$TMP/b.sock" --log-path "$TMP/b.log"
SH
	chmod +x "$TMP/azote"
	"$LG_RUN" --vmm azote --azote "$TMP/azote" --log "$TMP/console" \
		--when "$go" "echo \"\$LG_CONSOLE\" >$TMP/go.new && mv $TMP/go.new $TMP/go" \
		"$@" >"$TMP/out" 2>&1 &
	LG_SNAP_PID=$!
	kill_at_exit "$LG_SNAP_PID" TERM
	# run.sh ends at its own --timeout, or at once on a failed boot:
	# waiting on after it would only hide its verdict.
	wait_for "$TMP/go" . 600 "$LG_SNAP_PID" || { cat "$TMP/out"; die "no $go from the guest"; }
	LG_SNAP_CONSOLE=$(cat "$TMP/go")
}

# lg_snap_take: the first azote paused, snapshotted and killed (the wrapper
# then starts the second).
lg_snap_take() {
	API_SOCK=$TMP/a.sock
	snap_create "$TMP/vm.snap" "$TMP/vm.mem"
	touch "$TMP/restore"
	snap_kill "$(cat "$TMP/a.pid")"
}

# lg_snap_load [MORE]: the snapshot loaded into the second azote, resumed,
# lazily (checked); MORE: more of the load's body. A load that fails (a
# failed check already) ends that azote, so that run.sh, which would wait
# for a guest that never comes back until its timeout, ends at once.
lg_snap_load() {
	API_SOCK=$TMP/b.sock
	if ! wait_socket "$API_SOCK" ||
		! snap_load "$TMP/vm.snap" "$TMP/vm.mem" "\"resume_vm\": true${1:+, $1}"; then
		echo "note: the second azote did not take the snapshot: ending it, so that run.sh ends now"
		kill "$(cat "$TMP/b.pid" 2>/dev/null)" 2>/dev/null
		return 1
	fi
	snap_lazy "$(cat "$TMP/b.pid")"
}

# lg_snap_end: run.sh's end, its output shown; a check that every check
# passed and the restored azote ended with status 0.
lg_snap_end() {
	local rc=0
	wait "$LG_SNAP_PID" || rc=$?
	cat "$TMP/out"
	expect_eq "run.sh: every check passed, the restored azote ended with status 0" "$rc" 0
}

# lg_snapshot_restore BLOCKS RUN.SH-ARGS...: one such run, with the checks
# boot,net,snap on a 64 MiB disk, the snap loop BLOCKS blocks long; the
# checks the guest and the host make afterwards.
lg_snapshot_restore() {
	local blocks=$1 n
	shift
	rm -f "$TMP/rw.img"
	truncate -s 64M "$TMP/rw.img"
	lg_snap_start 'LINUX snap-go' --net --drive "$TMP/rw.img" --checks boot,net,snap \
		--append "lg.snap=vda:$blocks" "$@"
	wait_for "$LG_SNAP_CONSOLE" 'LINUX snap-wrote 2' 120 "$LG_SNAP_PID" ||
		{ cat "$TMP/out"; die "the guest's loop did not get to block 2"; }

	echo "--- paused, snapshotted, killed mid-loop; a new azote loads it"
	lg_snap_take
	n=$(grep -ao 'LINUX snap-wrote [0-9]*' "$LG_SNAP_CONSOLE" | tail -n 1 | awk '{print $3}')
	lg_snap_load
	lg_snap_end
	if [ "$n" -lt $((blocks - 1)) ]; then
		pass "snapshotted after block $n of $blocks"
	else
		fail "the loop was at block $n of $blocks at the snapshot: not mid-loop"
	fi
	expect_match "the restored guest wrote the loop's last block" "$(cat "$TMP/console")" \
		"LINUX snap-wrote $((blocks - 1))"
	expect_match "snap: blocks read back, pings answered, ARP entry kept, no warning" \
		"$(grep -a '^LINUX snap ' "$TMP/out")" "bad=0 .* replies=5/5 arp=.* warnings=0"
	# The VM generation ID (vmm/vm_genid.h): the load wrote a new one and
	# raised the GED's interrupt; a kernel with ACPI and vmgenid (Debian's;
	# the test kernel has neither) reads it and reseeds its generator, as
	# a clone must.
	if [ "${LINUX_GUEST:-}" = stock ]; then
		expect_match "the restored guest saw a new VM generation ID and reseeded" \
			"$(sed -n '/LINUX snap-go/,$p' "$TMP/console")" \
			'crng reseeded due to virtual machine fork'
	fi
	# The clocksource watchdog's skew verdicts (counted apart by the guest;
	# its other complaints, a late timer's included, are warnings): on a host whose
	# KVM reports no KVM_CLOCK_HOST_TSC (its clocksource is not a stable
	# TSC: the box's L1), kvmclock and the TSC drift apart with no
	# snapshot at all (the watchdog fired before the pause there too), so
	# its verdict is the host's and only shown; elsewhere azote pairs the
	# clocks exactly and the watchdog must stay quiet.
	local clockw
	clockw=$(_lg_snap_value clock_warnings)
	if grep -q 'does not report KVM_CLOCK_HOST_TSC' "$TMP/b.log" 2>/dev/null; then
		echo "note: clocksource watchdog skew records since snap-go: ${clockw:-none seen}" \
			"(not judged: this host's KVM keeps no stable TSC)"
	else
		expect_eq "the guest's clocksource watchdog skew records since snap-go" "$clockw" 0
	fi
	# The snap line's values, passed or failed (lg_result reads PASS lines).
	local off bytes crc
	off=$(_lg_snap_value offset) bytes=$(_lg_snap_value bytes) crc=$(_lg_snap_value crc)
	if [ -z "$off" ] || [ -z "$bytes" ] || [ -z "$crc" ]; then
		fail "no region on the snap line to compare with the image"
	else
		expect_eq "the image holds the blocks as the guest read them back: crc" \
			"$(lg_crc32 "$TMP/rw.img" "$off" "$bytes")" "$crc"
	fi
	# From snap-go on: what the boot logs is the boot tests' business.
	expect_eq "the console's kernel warnings, oopses, stalls since snap-go" \
		"$(sed -n '/LINUX snap-go/,$p' "$TMP/console" |
			grep -aE 'WARNING|BUG:|Call Trace|soft lockup|rcu.*stall')" ""
	grep -ah 'snapshot\|restor\|load' "$TMP/a.log" "$TMP/b.log" 2>/dev/null | sed 's/^/    azote: /' | tail -n 6
	# The clocks' pairing across the load (docs/snapshot.md, "The clock"):
	# how azote took and set it, and what the guest's watchdog said.
	grep -ah 'snapshot clock' "$TMP/a.log" "$TMP/b.log" 2>/dev/null | sed 's/^/    azote: /'
	sed -n '/LINUX snap-go/,$p' "$TMP/console" | grep -a 'clocksource' | sed 's/^/    guest: /'
}

_lg_snap_value() {	# KEY: its value on the guest's snap line
	grep -a '^LINUX snap ' "$TMP/out" | head -n 1 | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
}
