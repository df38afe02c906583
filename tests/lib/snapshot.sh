# shellcheck shell=bash
# Snapshot tests with the probe's persist test (source it after api.sh):
# tests 67 and 68 run a VM, snapshot it, kill it (snap_kill, from
# snapshot-api.sh), and check that a new process goes on where the
# snapshot left the guest.
. "$(dirname "${BASH_SOURCE[0]}")/snapshot-api.sh"

# start NAME ARGS...: azote in the background, console in $TMP/NAME.out,
# its log in $TMP/NAME.err; sets pid.
start() {
	local name=$1
	shift
	"$AZOTE" --log-level info "$@" </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err" &
	pid=$!
	kill_at_exit "$pid"
}

# boot_persist ROUNDS MACHINE_CONFIG: the probe's persist test, ROUNDS
# rounds a second apart with its queue on MSI-X, on $TMP/disk.img as d0,
# booted through the API on $API_SOCK with the machine-config body given.
boot_persist() {
	api_expect 204 '' PUT /boot-source "{\"kernel_image_path\": \"$PROBE_ELF\",
		\"boot_args\": \"probe.test=persist probe.rounds=$1 probe.pause_ms=1000 probe.irq=1\"}"
	api_expect 204 '' PUT /drives/d0 "{\"drive_id\": \"d0\", \"path_on_host\": \"$TMP/disk.img\",
		\"is_root_device\": false, \"is_read_only\": false}"
	api_expect 204 '' PUT /machine-config "$2"
	api_expect 204 '' PUT /actions '{"action_type": "InstanceStart"}'
}

# run_to_round3 ROUNDS: azote "first" on $API_SOCK (PCI: the probe's
# interrupt-driven queue needs MSI-X) boots the persist test of ROUNDS
# rounds on a fresh 1 MiB $TMP/disk.img, 2 vCPUs and 128 MiB, and gets to
# its round 3 (the test dies otherwise).
run_to_round3() {
	truncate -s 1M "$TMP/disk.img"
	start first --api-sock "$API_SOCK" --enable-pci
	wait_socket "$API_SOCK"
	boot_persist "$1" '{"vcpu_count": 2, "mem_size_mib": 128}'
	wait_for "$TMP/first.out" "PROBE persist: round 3 ok" 120 ||
		die "the probe did not reach round 3: $(tail -5 "$TMP/first.out") $(tail -5 "$TMP/first.err")"
}

# last_round FILE: the last round the probe reported done in FILE.
last_round() { grep -a -o 'round [0-9]* ok' "$1" | tail -n 1 | awk '{print $2}'; }

# expect_resumed NAME LAST ROUNDS: the probe restored in the azote whose
# console is $TMP/NAME.out ($pid) goes on from round LAST + 1, passes all
# ROUNDS with its interrupts, and azote ends as the guest does.
expect_resumed() {
	local name=$1 last=$2 rounds=$3 status=0
	wait_for "$TMP/$name.out" "PROBE persist (PASS|FAIL)" 120 ||
		fail "the restored probe did not finish: $(tail -5 "$TMP/$name.out") $(tail -5 "$TMP/$name.err")"
	# The verdict line is read whole once azote has ended: the guest
	# writes it a byte at a time, and its start is what wait_for saw.
	wait_exit "$pid" 60 || status=$?
	expect_match "the restored probe goes on from round $((last + 1))" \
		"$(grep -a -o 'round [0-9]* ok' "$TMP/$name.out" | head -n 1)" "^round $((last + 1)) ok$"
	expect_match "and passes, every request with its interrupt" "$(cat "$TMP/$name.out")" \
		"PROBE persist PASS .*rounds=$rounds .*counter=$rounds irq=msix"
	expect_eq "the restored VM ends as the guest does" "$status" 0
}
