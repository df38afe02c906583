#!/usr/bin/env bash
# needs: kvm
# Firecracker's PUT /serial: the guest's console goes to the file it names
# instead of stdout, byte for byte (the metrics' uart.write_count is the
# file's size); with a rate limiter the file gets the bucket's bytes and
# the metrics count the rest as dropped (uart.rate_limiter_dropped_bytes);
# a FIFO nobody reads yet is taken as Firecracker takes it, and the guest
# runs to its end.
. "$(dirname "$0")/../lib/api.sh"
require_kvm

# boot NAME SERIAL-BODY PROBE-ARGS: azote serving $TMP/NAME.sock, PUT
# /metrics and /serial, the probe booted with PROBE-ARGS; sets pid.
boot() {
	API_SOCK=$TMP/$1.sock
	"$AZOTE" --api-sock "$API_SOCK" </dev/null >"$TMP/$1.out" 2>"$TMP/$1.err" &
	pid=$!
	kill_at_exit "$pid"
	wait_socket "$API_SOCK"
	api_expect 204 '' PUT /metrics "{\"metrics_path\": \"$TMP/$1.metrics\"}"
	api_expect 204 '' PUT /serial "$2"
	api_expect 204 '' PUT /boot-source "{\"kernel_image_path\": \"$PROBE_ELF\",
		\"boot_args\": \"$3\"}"
	api_expect 204 '' PUT /actions '{"action_type": "InstanceStart"}'
}

# uart_totals NAME: the uart group's totals over NAME's metrics lines (each
# a delta): "WRITTEN DROPPED LAST_WRITTEN".
uart_totals() {
	/usr/bin/python3 -c '
import json, sys
u = [json.loads(l)["uart"] for l in open(sys.argv[1])]
print(sum(x["write_count"] for x in u), sum(x["rate_limiter_dropped_bytes"] for x in u),
      u[-1]["write_count"])' "$TMP/$1.metrics"
}

# settled NAME MIN: flushes the metrics until the guest has written MIN
# bytes and then none since the line before; prints "WRITTEN DROPPED".
settled() {
	local i w=0 d=0 last=1
	for ((i = 0; i < 60; i++)); do
		api PUT /actions '{"action_type": "FlushMetrics"}' >/dev/null
		read -r w d last <<<"$(uart_totals "$1")"
		[ "$w" -ge "$2" ] && [ "$last" = 0 ] && break
		sleep 0.5
	done
	echo "$w $d"
}

echo "--- to a file"
boot a "{\"serial_out_path\": \"$TMP/console.log\"}" "probe.test=hello probe.hold=1"
wait_for "$TMP/console.log" "PROBE hold" 60 || fail "no console in the file: $(cat "$TMP/a.err")"
expect_match "the probe's console is in the file" "$(cat "$TMP/console.log")" "PROBE hello PASS"
expect_eq "and not on stdout" "$(grep -ac PROBE "$TMP/a.out")" 0
read -r written dropped <<<"$(settled a 1)"
full=$written
expect_eq "uart.write_count: every byte the guest sent, the file's size" \
	"$written" "$(stat -c %s "$TMP/console.log")"
expect_eq "nothing dropped without a limit" "$dropped" 0
kill -TERM "$pid"
wait "$pid"

echo "--- to a file, 200 bytes and then an hour's refill"
boot b "{\"serial_out_path\": \"$TMP/limited.log\", \"rate_limiter\": {\"size\": 200,
	\"refill_time\": 3600000}}" "probe.test=hello probe.hold=1"
# Once the same guest has written its console (but for the digits its
# timer line may differ by): until then a quiet moment is not the end.
read -r written dropped <<<"$(settled b $((full - 8)))"
expect_eq "the file holds the bucket's 200 bytes" "$(stat -c %s "$TMP/limited.log")" 200
[ "${written:-0}" -gt 200 ] && pass "the guest wrote $written bytes" ||
	fail "the guest wrote '$written' bytes: the limit was not reached"
expect_eq "uart.rate_limiter_dropped_bytes: the rest" "$dropped" $((written - 200))
kill -TERM "$pid"
wait "$pid"

echo "--- to a FIFO nobody reads"
mkfifo "$TMP/console.fifo"
boot c "{\"serial_out_path\": \"$TMP/console.fifo\"}" "probe.test=hello"
status=0
wait_exit "$pid" 60 || status=$?
expect_eq "the guest ran to its end: azote's status" "$status" 0
finish
