#!/usr/bin/env bash
# needs: kvm
# Snapshots through Firecracker's API (docs/snapshot.md):
#  1. the probe guest booted through the API and paused; PUT /snapshot/create
#     writes the state file and the guest's RAM; every refusal is a 400 with
#     a message naming what is wrong, and leaves the VM as it was
#     (resumable): a snapshot of running vCPUs, an unwritable path, a Diff
#     snapshot without dirty page tracking (Firecracker's refusal; test 68
#     takes Diff snapshots), a load once booted; after a snapshot, a create
#     whose state file cannot be written leaves that snapshot's memory file
#     as it was, a mem_file_path that is the snapshot_path in other words is
#     refused, and a full disk (as root: a tmpfs with room for the state
#     file, not for RAM) keeps neither file;
#  2. --describe-snapshot prints the format version first, then what the
#     snapshot holds; a damaged state file, another file, a memory file of
#     the wrong size are refused by a fresh process (PUT /snapshot/load and
#     --describe-snapshot), naming the file;
#  3. restore and continue: the keyboard guest (with a disk it does not
#     use) snapshotted while it waits for keys, loaded by PUT /snapshot/load
#     into a new azote (resume_vm),
#     and by --restore: it reads Ctrl+Alt+Del sent after the restore and
#     resets, as the original would. This needs the vCPU state
#     (vmm/vm_state.c) that snapshots carry once every part is in. A load
#     sets kvmclock as it was at the pause, or with clock_realtime
#     (Firecracker 1.16) moved on by the time since.
. "$(dirname "$0")/../lib/api.sh"
require_kvm
need_built "$AZOTE" "$PROBE_ELF"
kbd=$("$ROOT/tests/guests/build.sh" kbd "$TMP/guests")

# start_api NAME: an azote serving the API on $TMP/NAME.sock, console
# output in $TMP/NAME.out; sets $pid and API_SOCK.
start_api() {
	API_SOCK=$TMP/$1.sock
	"$AZOTE" --api-sock "$API_SOCK" "${@:2}" </dev/null >"$TMP/$1.out" 2>"$TMP/$1.err" &
	pid=$!
	kill_at_exit "$pid"
	wait_socket "$API_SOCK"
}

create() { echo "{\"snapshot_path\": \"$1\", \"mem_file_path\": \"$2\"${3:+, $3}}"; }
load() { echo "{\"snapshot_path\": \"$1\", \"mem_file_path\": \"$2\"${3:+, $3}}"; }

echo "--- 1. create: the probe guest, paused"
start_api probe
api_expect 204 '' PUT /boot-source "{\"kernel_image_path\": \"$PROBE_ELF\",
	\"boot_args\": \"probe.test=hello probe.hold=1\"}"
api_expect 204 '' PUT /machine-config '{"vcpu_count": 2, "mem_size_mib": 64}'
api_expect 400 'not supported before starting' PUT /snapshot/create "$(create "$TMP/a" "$TMP/b")"
api_expect 204 '' PUT /actions '{"action_type": "InstanceStart"}'
wait_for "$TMP/probe.out" "PROBE hold" 60 || fail "the probe did not start: $(cat "$TMP/probe.out")"
api_expect 400 'save/restore unavailable while running' PUT /snapshot/create \
	"$(create "$TMP/vm.snap" "$TMP/vm.mem")"
api_expect 204 '' PATCH /vm '{"state": "Paused"}'
api_expect 400 "$TMP/no/such/dir/vm.mem: No such file or directory" PUT /snapshot/create \
	"$(create "$TMP/vm.snap" "$TMP/no/such/dir/vm.mem")"
api_expect 400 'Diff snapshots are not allowed on uVMs with dirty page tracking disabled' \
	PUT /snapshot/create \
	"$(create "$TMP/vm.snap" "$TMP/vm.mem" '"snapshot_type": "Diff"')"
[ ! -e "$TMP/vm.snap" ] && [ ! -e "$TMP/vm.mem" ] &&
	pass "failed creates wrote neither file" || fail "a failed create left files"
api_expect 204 '' PUT /snapshot/create "$(create "$TMP/vm.snap" "$TMP/vm.mem" '"snapshot_type": "Full"')"
expect_eq "the memory file holds all of the guest's RAM" "$(stat -c %s "$TMP/vm.mem")" $((64 << 20))
expect_eq "the state file starts with its magic" "$(head -c 8 "$TMP/vm.snap")" AZOTESNP
expect_eq "the files are the user's alone" "$(stat -c %a "$TMP/vm.snap") $(stat -c %a "$TMP/vm.mem")" "600 600"
# A create whose state file cannot be written fails before RAM replaces
# the memory file: the snapshot there stays a pair (the same RAM size, a
# load would not notice another memory file beside its state file).
mem_inode=$(stat -c %i "$TMP/vm.mem")
api_expect 400 "$TMP/no/such/dir/vm.snap: No such file or directory" PUT /snapshot/create \
	"$(create "$TMP/no/such/dir/vm.snap" "$TMP/vm.mem")"
expect_eq "a failed create keeps the memory file of the snapshot there" \
	"$(stat -c %i "$TMP/vm.mem")" "$mem_inode"
# The state file, renamed last, would replace the memory.
api_expect 400 "\`$TMP/./vm.snap\` is the same file as the snapshot_path" PUT /snapshot/create \
	"$(create "$TMP/vm.snap" "$TMP/./vm.snap")"
# A disk that RAM fills: room for the state file (written first) and 8 KiB
# more; the memory file is sparse (the guest's untouched RAM left holes),
# but the probe's image alone is more than that. Both files go.
room=$(( ($(stat -c %s "$TMP/vm.snap") + 4095) / 4096 * 4 + 8 ))
if [ "$(id -u)" = 0 ] && mkdir "$TMP/full" && mount -t tmpfs -o size=${room}k tmpfs "$TMP/full"; then
	at_exit "umount $TMP/full"
	api_expect 400 "$TMP/full/vm.mem: No space left on device" PUT /snapshot/create \
		"$(create "$TMP/full/vm.snap" "$TMP/full/vm.mem")"
	expect_eq "a full disk keeps no partial file" "$(ls -A "$TMP/full")" ""
else
	echo "(not root: no full-disk check)"
fi
expect_eq "no temporary file is left" "$(ls -A "$TMP" | grep -c azote-tmp || true)" 0
expect_match "still paused" "$(api GET /)" '"state": ?"Paused"'
api_expect 204 '' PATCH /vm '{"state": "Resumed"}'
expect_match "running again after the failures and the snapshot" "$(api GET /)" '"state": ?"Running"'
api_expect 400 'not supported after starting the microVM' PUT /snapshot/load \
	"$(load "$TMP/vm.snap" "$TMP/vm.mem")"
expect_match "a load refused while the VM runs leaves it running" "$(api GET /)" \
	'"state": ?"Running"'
kill -TERM "$pid"
wait "$pid" || true

echo "--- 2. describe, and what a load refuses"
out=$("$AZOTE" --describe-snapshot "$TMP/vm.snap") || fail "--describe-snapshot failed: $out"
# The version this build writes, as snapshot_file.h defines it.
version=$(sed -n 's/^#define SNAPSHOT_FORMAT_VERSION \([0-9]*\)u.*/\1/p' src/vmm/snapshot_file.h)
expect_eq "--describe-snapshot: the format version first" "$(head -n 1 <<<"$out")" "v${version:-unknown}"
expect_match "--describe-snapshot: the vCPUs" "$out" '^vCPUs: 2$'
expect_match "--describe-snapshot: the RAM" "$out" '^memory: 64 MiB$'
expect_match "--describe-snapshot: the memory file" "$out" "memory file: $TMP/vm.mem"
expect_match "--describe-snapshot: the configuration" "$out" '"vcpu_count": ?2'
expect_eq "--snapshot-version" "$("$AZOTE" --snapshot-version)" "v${version:-unknown}"
cp "$TMP/vm.snap" "$TMP/bad.snap"
printf '\x55' | dd of="$TMP/bad.snap" bs=1 seek=300 conv=notrunc status=none
err=$("$AZOTE" --describe-snapshot "$TMP/bad.snap" 2>&1) && fail "a damaged file described"
expect_match "--describe-snapshot refuses a damaged file" "$err" "$TMP/bad.snap: checksum mismatch"
head -c $((32 << 20)) "$TMP/vm.mem" >"$TMP/short.mem"
start_api fresh
api_expect 400 "$TMP/bad.snap: checksum mismatch" PUT /snapshot/load "$(load "$TMP/bad.snap" "$TMP/vm.mem")"
api_expect 400 "not an azote snapshot" PUT /snapshot/load "$(load "$TMP/vm.mem" "$TMP/vm.mem")"
api_expect 400 "$TMP/none.snap: No such file or directory" PUT /snapshot/load \
	"$(load "$TMP/none.snap" "$TMP/vm.mem")"
api_expect 400 "is 33554432 bytes, the snapshot's guest has 67108864 bytes" PUT /snapshot/load \
	"$(load "$TMP/vm.snap" "$TMP/short.mem")"
expect_match "nothing runs after the refusals" "$(api GET /)" '"state": ?"Not started"'
kill -TERM "$pid"
wait "$pid" || true
start_api configured
api_expect 204 '' PUT /machine-config '{"vcpu_count": 1, "mem_size_mib": 64}'
api_expect 400 'not allowed after configuring boot-specific resources' PUT /snapshot/load \
	"$(load "$TMP/vm.snap" "$TMP/vm.mem")"
kill -TERM "$pid"
wait "$pid" || true

echo "--- 3. restore and continue: the keyboard guest"
# With a disk the guest does not use: the snapshot carries it, and the
# restored VM starts a new card for it.
truncate -s 16M "$TMP/disk.img"
start_api kbd
api_expect 204 '' PUT /boot-source "{\"kernel_image_path\": \"$kbd\"}"
api_expect 204 '' PUT /drives/scratch "{\"drive_id\": \"scratch\", \"path_on_host\": \"$TMP/disk.img\",
	\"is_root_device\": false, \"is_read_only\": true}"
api_expect 204 '' PUT /actions '{"action_type": "InstanceStart"}'
wait_for "$TMP/kbd.out" "KBD ready" 30 || fail "the keyboard guest did not start: $(cat "$TMP/kbd.out")"
api_expect 204 '' PATCH /vm '{"state": "Paused"}'
api_expect 204 '' PUT /snapshot/create "$(create "$TMP/kbd.snap" "$TMP/kbd.mem")"
created=$(date +%s)
kill -TERM "$pid"
wait "$pid" || true

# restored NAME: the restored guest (in $pid, console $TMP/NAME.out) takes
# the keys and resets, azote ending with 0.
restored() {
	api_expect 204 '' PUT /actions '{"action_type": "SendCtrlAltDel"}'
	local status=0
	wait_exit "$pid" 30 || status=$?
	expect_eq "$1: the restored guest reset after reading the keys: exit status" "$status" 0
	expect_match "$1: the restored guest read Ctrl, Alt, Del" "$(cat "$TMP/$1.out")" \
		"1d 38 e0 53 e0 d3 b8 9d"
}
start_api loaded --log-level info
out=$(api PUT /snapshot/load "$(load "$TMP/kbd.snap" "$TMP/kbd.mem" '"resume_vm": true')")
[[ $out == *" 204" ]] || die "PUT /snapshot/load of the keyboard guest: $out"
pass "PUT /snapshot/load of the keyboard guest, resume_vm -> 204"
expect_match "loaded: Running" "$(api GET /)" '"state": ?"Running"'
expect_match "loaded: the snapshot's disk is the VM's" "$(api GET /vm/config)" \
	"\"drive_id\": ?\"scratch\".*\"path_on_host\": ?\"$TMP/disk.img\""
expect_match "loaded: its card runs" "$(ps -o args= --ppid "$pid")" "azote-card-blk"

expect_match "loaded: kvmclock as at the pause" "$(cat "$TMP/loaded.err")" \
	'snapshot clock: kvmclock set to .*moved on by 0\.000 s: not asked'
restored loaded
start_api cli --restore "$TMP/kbd.snap"
restored cli

echo "--- clock_realtime (Firecracker 1.16): kvmclock moved on by the time since the pause"
sleep 1
start_api realtime --log-level info
since=$(($(date +%s) - created))
api_expect 204 '' PUT /snapshot/load "$(load "$TMP/kbd.snap" "$TMP/kbd.mem" \
	'"resume_vm": true, "clock_realtime": true')"
moved=$(sed -n 's/.*moved on by \([0-9]*\)\.[0-9]* s: clock_realtime.*/\1/p' "$TMP/realtime.err")
if [ -n "$moved" ] && [ "$moved" -ge $((since - 1)) ] && [ "$moved" -le $((since + 5)) ]; then
	pass "realtime: kvmclock moved on by ${moved} s, the ${since} s since the snapshot"
else
	fail "realtime: kvmclock moved on by '${moved}' s, not the ${since} s since the snapshot: $(grep 'snapshot clock' "$TMP/realtime.err")"
fi
restored realtime
finish
