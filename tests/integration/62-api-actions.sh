#!/usr/bin/env bash
# needs: kvm
# Issue 6: the actions that act on a running guest. SendCtrlAltDel reaches
# it through the i8042 (the guest reads the scancodes), and FlushMetrics
# writes a line with the vCPU exits the guest caused. Firecracker's launch
# flags (logger, metrics, payload limit, the jailer's start-up times) take
# effect as Firecracker's do.
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

echo "--- Firecracker's launch flags: logger, metrics, payload limit, start-up times"
# As Firecracker's jailer would pass them: it began 2 s ago, and used 70 ms
# of CPU before azote; azote's own CPU clock starts near 0 at exec.
API_SOCK=$TMP/api3.sock
now_us=$(/usr/bin/python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000)')
"$AZOTE" --api-sock "$API_SOCK" --id fc-flags --level Debug --log-path "$TMP/fc.log" \
	--show-level --show-log-origin --metrics-path "$TMP/metrics3.json" \
	--http-api-max-payload-size 300 --enable-pci --start-time-us $((now_us - 2000000)) \
	--start-time-cpu-us 0 --parent-cpu-time-us 70000 </dev/null >"$TMP/out3" 2>"$TMP/err3" &
pid=$!
kill_at_exit "$pid"
wait_socket "$API_SOCK"
expect_match "--id shows in GET /" "$(api GET /)" '"id": ?"fc-flags"'
long=$(printf 'x%.0s' $(seq 400))
api_expect 400 "larger than the limit of 300" PUT /boot-source \
	"{\"kernel_image_path\": \"$kbd\", \"boot_args\": \"$long\"}"
api_expect 204 '' PUT /boot-source "{\"kernel_image_path\": \"$kbd\"}"
api_expect 204 '' PUT /actions '{"action_type": "InstanceStart"}'
wait_for "$TMP/out3" "KBD ready" 30 || fail "the keyboard guest did not start: $(cat "$TMP/out3")"
api_expect 204 '' PUT /actions '{"action_type": "FlushMetrics"}'
times=$(/usr/bin/python3 -c '
import json, sys
a = json.loads(sys.argv[1])["api_server"]
print(a["process_startup_time_us"], a["process_startup_time_cpu_us"])' "$(tail -n 1 "$TMP/metrics3.json")")
read -r wall cpu <<<"$times"
[ "${wall:-0}" -ge 2000000 ] && [ "$wall" -lt 62000000 ] &&
	pass "process_startup_time_us counts from the jailer's start: $wall" ||
	fail "process_startup_time_us: '$wall'"
[ "${cpu:-0}" -ge 70000 ] && [ "$cpu" -lt 10000000 ] &&
	pass "process_startup_time_cpu_us adds the jailer's CPU time: $cpu" ||
	fail "process_startup_time_cpu_us: '$cpu'"
expect_match "--log-path, --level Debug, --show-level, --show-log-origin: Firecracker's format" \
	"$(cat "$TMP/fc.log")" \
	'^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9} \[fc-flags:[^]:]+:DEBUG:src/[a-z0-9_/]+\.c:[0-9]+\] '
expect_eq "nothing logged on stderr" "$(cat "$TMP/err3")" ""
kill -TERM "$pid"
wait "$pid"
finish
