#!/usr/bin/env bash
# needs: kvm
# Firecracker's --boot-timer: the probe writes the byte 123 to 0xc0000000
# before anything else (probe.boot_timer=1, as Firecracker's test init
# does once booted), and azote logs, once, Firecracker's line
#   Guest-boot-time = US us MS ms, US CPU us MS CPU ms
# with the time since the boot was requested: from the command line
# (--kernel), with 3.5 GiB (the page right after low RAM's end), through
# the API (counted from InstanceStart, not from the process's start), and
# from a config file (its logger's file). Without the flag the write goes
# to no device: azote drops it (an unclaimed MMIO write) and the guest
# runs on. A VM restored with the flag has no boot timer: the probe's
# second write, after its test (probe.boot_timer=2), is dropped as
# unclaimed, and the guest runs on.
. "$(dirname "$0")/../lib/api.sh"
. "$(dirname "$0")/../lib/snapshot.sh"
require_kvm
need_built "$AZOTE" "$PROBE_ELF"

now_us() { echo $(($(date +%s%N) / 1000)); }

# expect_boot_time WHAT FILE MAX_US: FILE has exactly one Guest-boot-time
# line, in Firecracker's form (its own tests' regex), ms the us / 1000 on
# both clocks, the wall-clock time above 0 and at most MAX_US.
expect_boot_time() {
	local what=$1 file=$2 max=$3 lines re
	lines=$(grep -a 'Guest-boot-time' "$file")
	expect_eq "$what: one Guest-boot-time line" "$(grep -c . <<<"$lines")" 1 || {
		cat "$file"
		return 1
	}
	re='Guest-boot-time =[[:space:]]+([0-9]+) us[[:space:]]+([0-9]+) ms,[[:space:]]+([0-9]+) CPU us[[:space:]]+([0-9]+) CPU ms$'
	if ! [[ $lines =~ $re ]]; then
		fail "$what: not Firecracker's line: $lines"
		return 1
	fi
	local us=${BASH_REMATCH[1]} ms=${BASH_REMATCH[2]} cpu_us=${BASH_REMATCH[3]} cpu_ms=${BASH_REMATCH[4]}
	echo "$what: $lines"
	expect_eq "$what: ms = us / 1000, CPU ms = CPU us / 1000" "$ms/$cpu_ms" \
		"$((us / 1000))/$((cpu_us / 1000))"
	expect_eq "$what: 0 < $us us <= $max us (the host's own measure)" \
		"$([ "$us" -gt 0 ] && [ "$us" -le "$max" ] && echo yes)" yes
}

# boot NAME ARGS...: azote with ARGS in the foreground, console in
# $TMP/NAME.out, log in $TMP/NAME.err; sets status and took (us).
boot() {
	local name=$1 t0
	shift
	status=0
	t0=$(now_us)
	timeout 120 "$AZOTE" "$@" </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err" || status=$?
	took=$(($(now_us) - t0))
	expect_eq "$name: azote's exit status" "$status" 0 || cat "$TMP/$name.out" "$TMP/$name.err"
}

# expect_probe NAME TEST: the probe wrote the boot timer and passed TEST.
expect_probe() {
	expect_match "$1: the probe wrote 123 to 0xc0000000" "$(cat "$TMP/$1.out")" \
		'^PROBE boot_timer addr=0xc0000000 value=123 written'
	expect_match "$1: and passed" "$(cat "$TMP/$1.out")" "^PROBE $2 PASS"
}

echo "--- azote's command line: --kernel --boot-timer"
boot cli --kernel "$PROBE_ELF" --cmdline "probe.test=exit probe.boot_timer=1" \
	--boot-timer --log-level info
expect_probe cli exit
expect_boot_time cli "$TMP/cli.err" "$took"

echo "--- without --boot-timer: nothing decodes the page, the write is dropped"
boot off --kernel "$PROBE_ELF" --cmdline "probe.test=exit probe.boot_timer=1" --log-level debug
expect_probe off exit
expect_eq "off: no Guest-boot-time line" "$(grep -c 'Guest-boot-time' "$TMP/off.err")" 0
expect_match "off: an unclaimed MMIO write, ignored" "$(cat "$TMP/off.err")" \
	'write to unclaimed MMIO 0xc0000000 ignored'

echo "--- 3.5 GiB: low RAM ends where the page begins"
boot big --kernel "$PROBE_ELF" --memory 3584M --cmdline "probe.test=hello probe.boot_timer=1" \
	--boot-timer --log-level info
expect_probe big hello
expect_boot_time big "$TMP/big.err" "$took"

echo "--- Firecracker's API: counted from InstanceStart"
API_SOCK=$TMP/api.sock
"$AZOTE" --api-sock "$API_SOCK" --boot-timer --level Info </dev/null >"$TMP/api.out" \
	2>"$TMP/api.err" &
pid=$!
kill_at_exit "$pid"
wait_socket "$API_SOCK" || die "no API socket: $(cat "$TMP/api.err")"
api_expect 204 '' PUT /boot-source "{\"kernel_image_path\": \"$PROBE_ELF\",
	\"boot_args\": \"probe.test=exit probe.boot_timer=1\"}"
# Long enough that a timer counting from the process's start could not
# pass the check below.
sleep 2
t0=$(now_us)
api_expect 204 '' PUT /actions '{"action_type": "InstanceStart"}'
status=0
wait_exit "$pid" 60 || status=$?
took=$(($(now_us) - t0))
expect_eq "api: azote's exit status" "$status" 0
expect_probe api exit
expect_boot_time api "$TMP/api.err" "$took"
expect_match "api: written by Firecracker's logger" "$(cat "$TMP/api.err")" \
	'^[0-9T:.-]+ \[anonymous-instance:[^]]*\] Guest-boot-time'

echo "--- a config file, its logger's file"
cat >"$TMP/vm.json" <<EOF
{"boot-source": {"kernel_image_path": "$PROBE_ELF",
                 "boot_args": "probe.test=exit probe.boot_timer=1"},
 "drives": [],
 "logger": {"log_path": "$TMP/cf.log", "level": "Info"}}
EOF
touch "$TMP/cf.log"
boot cf --config-file "$TMP/vm.json" --no-api --boot-timer
expect_probe cf exit
expect_boot_time cf "$TMP/cf.log" "$took"

echo "--- a restore with --boot-timer: no boot timer, the guest runs on"
truncate -s 1M "$TMP/disk.img"
API_SOCK=$TMP/first.sock
start first --api-sock "$API_SOCK" --enable-pci --boot-timer
wait_socket "$API_SOCK" || die "no API socket: $(cat "$TMP/first.err")"
api_expect 204 '' PUT /boot-source "{\"kernel_image_path\": \"$PROBE_ELF\",
	\"boot_args\": \"probe.test=persist probe.rounds=8 probe.pause_ms=1000 probe.boot_timer=2\"}"
api_expect 204 '' PUT /drives/d0 "{\"drive_id\": \"d0\", \"path_on_host\": \"$TMP/disk.img\",
	\"is_root_device\": false, \"is_read_only\": false}"
api_expect 204 '' PUT /actions '{"action_type": "InstanceStart"}'
wait_for "$TMP/first.out" "PROBE persist: round 2 ok" 120 ||
	die "the probe did not reach round 2: $(tail -5 "$TMP/first.out") $(tail -5 "$TMP/first.err")"
snap_create "$TMP/vm.snap" "$TMP/vm.mem"
last=$(last_round "$TMP/first.out")
snap_kill "$pid"
expect_boot_time first "$TMP/first.err" 120000000
"$AZOTE" --restore "$TMP/vm.snap" --boot-timer --log-level debug </dev/null \
	>"$TMP/restored.out" 2>"$TMP/restored.err"
expect_eq "restored: azote's exit status" "$?" 0
expect_match "restored: the probe goes on from round $((last + 1))" \
	"$(grep -a -o 'round [0-9]* ok' "$TMP/restored.out" | head -n 1)" "^round $((last + 1)) ok$"
expect_match "restored: and passes" "$(cat "$TMP/restored.out")" 'PROBE persist PASS .*counter=8'
expect_eq "restored: the probe's second write (after its test)" \
	"$(grep -c '^PROBE boot_timer .* written' "$TMP/restored.out")" 1
expect_eq "restored: no Guest-boot-time line" "$(grep -c 'Guest-boot-time' "$TMP/restored.err")" 0
expect_match "restored: the write went to no device" "$(cat "$TMP/restored.err")" \
	'write to unclaimed MMIO 0xc0000000 ignored'
finish
