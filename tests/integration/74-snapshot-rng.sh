#!/usr/bin/env bash
# needs: kvm
# A snapshot of a microVM with an entropy device, taken while its guest
# uses it. The probe's rng client keeps one request after another going
# for 15 s; the VM is paused in the middle, snapshotted through
# Firecracker's API, and azote and its cards are killed as a crash would.
# A new azote loads the snapshot and resumes it, and the probe's run ends
# and passes: the request taken at the pause was completed in the ring
# before the snapshot, and the new card took the ring up where the old one
# left it (a request lost would time out in the guest; one done twice
# would give it a used entry it never made available). The device comes
# back with its rate limiter, and the restored card serves with it.
. "$(dirname "$0")/../lib/snapshot-api.sh"
require_kvm
need_built "$BUILD/azote-card-rng"

API_SOCK=$TMP/a.sock
"$AZOTE" --api-sock "$API_SOCK" </dev/null >"$TMP/first.out" 2>"$TMP/first.err" &
pid=$!
kill_at_exit "$pid"
wait_socket "$API_SOCK"
api_expect 204 '' PUT /boot-source "{\"kernel_image_path\": \"$PROBE_ELF\",
	\"boot_args\": \"probe.test=rng probe.secs=15 probe.size=256\"}"
# 100 MiB/s: a limit the probe never reaches, so that its run is not
# slowed, and that shows the limiter comes back with the device.
api_expect 204 '' PUT /entropy \
	'{"rate_limiter": {"bandwidth": {"size": 10485760, "refill_time": 100}}}'
api_expect 204 '' PUT /actions '{"action_type": "InstanceStart"}'
wait_for "$TMP/first.out" "PROBE mark rng.rate start" 60 ||
	die "the probe's requests did not start: $(cat "$TMP/first.out" "$TMP/first.err")
$(threads_of "$pid")"
sleep 3
snap_create "$TMP/vm.snap" "$TMP/vm.mem"
expect_eq "paused before its run ended: no result line yet" \
	"$(grep -ac 'PROBE rng ' "$TMP/first.out")" 0
snap_kill "$pid"

echo "--- a new process loads it and resumes"
API_SOCK=$TMP/b.sock
"$AZOTE" --api-sock "$API_SOCK" </dev/null >"$TMP/second.out" 2>"$TMP/second.err" &
pid=$!
kill_at_exit "$pid"
wait_socket "$API_SOCK"
snap_load "$TMP/vm.snap" "$TMP/vm.mem"
size=$(api GET /vm/config | /usr/bin/python3 -c '
import json, sys
body = sys.stdin.read().rsplit(" ", 1)[0]
print(json.loads(body)["entropy"]["rate_limiter"]["bandwidth"]["size"])')
expect_eq "the entropy device and its limit are the snapshot's" "$size" 10485760
api_expect 204 '' PATCH /vm '{"state": "Resumed"}'
status=0
wait_exit "$pid" 120 threads_of "$pid" || status=$?
expect_eq "the restored guest ends normally" "$status" 0 ||
	echo "the restored azote's log, last lines: $(tail -n 20 "$TMP/second.err")"
expect_match "the probe's run, begun before the snapshot, passes after it" \
	"$(cat "$TMP/second.out")" "PROBE rng PASS .*rate_reqs=[1-9][0-9]* "
finish
