#!/usr/bin/env bash
# needs: kvm
# Issue 6: the actions that act on a running guest. SendCtrlAltDel reaches
# it through the i8042 (the guest reads the scancodes), and FlushMetrics
# writes a line with the vCPU exits the guest caused.
. "$(dirname "$0")/../lib/api.sh"
require_kvm
kbd=$("$ROOT/tests/guests/build.sh" kbd "$TMP/guests")
API_SOCK=$TMP/api.sock

"$AZOTE" --api-sock "$API_SOCK" </dev/null >"$TMP/out" 2>"$TMP/err" &
pid=$!
kill_at_exit "$pid"
wait_socket "$API_SOCK"
api_expect 400 'not supported before starting' PUT /actions '{"action_type": "SendCtrlAltDel"}'
api_expect 204 '' PUT /metrics "{\"metrics_path\": \"$TMP/metrics.json\"}"
api_expect 204 '' PUT /boot-source "{\"kernel_image_path\": \"$kbd\"}"
api_expect 204 '' PUT /actions '{"action_type": "InstanceStart"}'
wait_for "$TMP/out" "KBD ready" 30 || fail "the keyboard guest did not start: $(cat "$TMP/out")"
api_expect 204 '' PUT /actions '{"action_type": "FlushMetrics"}'
line=$(tail -n 1 "$TMP/metrics.json")
# The guest's COM1 output alone is a dozen port writes.
out_exits=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["vcpu"]["exit_io_out"])' "$line")
[ "${out_exits:-0}" -ge 10 ] && pass "metrics count the guest's port writes ($out_exits)" ||
	fail "metrics line lacks vCPU exits: $line"
api_expect 204 '' PUT /actions '{"action_type": "SendCtrlAltDel"}'
status=0; wait_exit "$pid" 30 || status=$?
expect_eq "guest reset after reading the keys: exit status" "$status" 0
expect_match "the guest read Ctrl, Alt, Del and their releases" "$(cat "$TMP/out")" \
	"1d 38 e0 53 e0 d3 b8 9d"

# Block counters come from the card azote started, per drive and summed.
truncate -s 64M "$TMP/disk.img"
API_SOCK=$TMP/api2.sock
"$AZOTE" --api-sock "$API_SOCK" </dev/null >"$TMP/out2" 2>"$TMP/err2" &
pid=$!
kill_at_exit "$pid"
wait_socket "$API_SOCK"
api_expect 204 '' PUT /metrics "{\"metrics_path\": \"$TMP/metrics2.json\"}"
api_expect 204 '' PUT /boot-source "{\"kernel_image_path\": \"$PROBE_ELF\",
	\"boot_args\": \"probe.test=blk-verify probe.sectors=2048 probe.hold=1\"}"
api_expect 204 '' PUT /drives/scratch "{\"drive_id\": \"scratch\", \"path_on_host\": \"$TMP/disk.img\",
	\"is_root_device\": false, \"is_read_only\": false}"
api_expect 204 '' PUT /actions '{"action_type": "InstanceStart"}'
wait_for "$TMP/out2" "PROBE hold" 60 || fail "the probe did not finish its disk check"
expect_match "probe verified its disk" "$(cat "$TMP/out2")" "PROBE blk-verify PASS .*flush=ok"
api_expect 204 '' PUT /actions '{"action_type": "FlushMetrics"}'
line=$(tail -n 1 "$TMP/metrics2.json")
counts=$(/usr/bin/python3 -c '
import json, sys
m = json.loads(sys.argv[1])
d, a = m["block_scratch"], m["block"]
print(d["read_count"], d["write_count"], d["flush_count"], d["write_bytes"], a["write_count"])' "$line")
read r w f wb aw <<<"$counts"
# blk-verify writes and reads the 2048 sectors (1 MiB) at least once each.
[ "${r:-0}" -gt 0 ] && [ "${w:-0}" -gt 0 ] && [ "${f:-0}" -gt 0 ] &&
	[ "${wb:-0}" -ge $((2048 * 512)) ] && [ "$aw" = "$w" ] &&
	pass "card counters in the metrics: reads=$r writes=$w flushes=$f write_bytes=$wb" ||
	fail "card counters missing or wrong: $line"
kill -TERM "$pid"
wait "$pid"
finish
