#!/usr/bin/env bash
# needs: kvm
# Issue 14: Firecracker's updates after boot, with a guest writing to its
# disk all along. PATCH /drives/ID with a new path_on_host: the card,
# confined to an empty root, gets the new image from azote (which opens
# it) over its control channel; the guest's writes land in the new file
# from then on and no longer in the old one. PATCH of a drive's
# rate_limiter: the card throttles (the metrics count it). PATCH of a
# NIC's rate limiters: taken. Refusals leave the VM running.
. "$(dirname "$0")/../lib/api.sh"
require_kvm
require python3

# Images of 0xff bytes: the probe writes zeros, which shows where it wrote.
ones() { head -c "$2" /dev/zero | tr '\0' '\377' >"$1"; }
ones "$TMP/a.img" $((8 << 20))
ones "$TMP/b.img" $((16 << 20))
ones "$TMP/ones16" $((16 << 20))
tap=azpt$$
tap=${tap:0:15}
ip tuntap add dev "$tap" mode tap || die "cannot create TAP $tap"
at_exit "ip link del $tap"
ip link set "$tap" up

API_SOCK=$TMP/api.sock
"$AZOTE" --api-sock "$API_SOCK" --log-level info </dev/null >"$TMP/out" 2>"$TMP/err" &
pid=$!
kill_at_exit "$pid"
wait_socket "$API_SOCK"
api_expect 204 '' PUT /metrics "{\"metrics_path\": \"$TMP/metrics.json\"}"
api_expect 204 '' PUT /boot-source "{\"kernel_image_path\": \"$PROBE_ELF\",
	\"boot_args\": \"probe.test=blk-bench probe.phases=seqwr probe.secs=600 probe.qd=2\"}"
api_expect 204 '' PUT /drives/d0 "{\"drive_id\": \"d0\", \"path_on_host\": \"$TMP/a.img\",
	\"is_root_device\": false, \"is_read_only\": false}"
api_expect 204 '' PUT /network-interfaces/n0 "{\"iface_id\": \"n0\", \"host_dev_name\": \"$tap\"}"
api_expect 400 'not supported before starting' PATCH /drives/d0 \
	"{\"drive_id\": \"d0\", \"path_on_host\": \"$TMP/b.img\"}"
api_expect 204 '' PUT /actions '{"action_type": "InstanceStart"}'
wait_for "$TMP/out" "blk-bench.seqwr" 60 || die "the probe's writes did not start: $(cat "$TMP/err")"

# written FILE: the file holds a byte the probe wrote (not 0xff).
written() { ! cmp -s -n "$(stat -c %s "$1")" "$1" "$TMP/ones16"; }
for ((i = 0; i < 60; i++)); do written "$TMP/a.img" && break; sleep 1; done
expect_ok "the guest writes to a.img" written "$TMP/a.img"
written "$TMP/b.img" && fail "b.img written before the PATCH" || pass "b.img untouched so far"

api_expect 400 "The block device backing file cannot be opened: No such file or directory: $TMP/missing.img" PATCH /drives/d0 \
	"{\"drive_id\": \"d0\", \"path_on_host\": \"$TMP/missing.img\"}"
expect_ok "azote runs on after a refused PATCH" kill -0 "$pid"

api_expect 204 '' PATCH /drives/d0 "{\"drive_id\": \"d0\", \"path_on_host\": \"$TMP/b.img\"}"
expect_match "the card took the new image (16 MiB)" "$(cat "$TMP/err")" \
	"virtio-blk d0: now $TMP/b.img, 32768 sectors"
for ((i = 0; i < 60; i++)); do written "$TMP/b.img" && break; sleep 1; done
expect_ok "the guest's writes now land in b.img" written "$TMP/b.img"
sum1=$(md5sum <"$TMP/a.img")
sleep 3
expect_eq "and no longer in a.img" "$(md5sum <"$TMP/a.img")" "$sum1"

# throttled: the drive's rate_limiter_throttled_events in a fresh line.
throttled() {
	api_expect 204 '' PUT /actions '{"action_type": "FlushMetrics"}' >/dev/null
	python3 -c 'import json,sys; print(json.loads(sys.argv[1])["block_d0"]["rate_limiter_throttled_events"])' \
		"$(tail -n 1 "$TMP/metrics.json")"
}
before=$(throttled)
api_expect 204 '' PATCH /drives/d0 \
	'{"drive_id": "d0", "rate_limiter": {"ops": {"size": 10, "refill_time": 1000}}}'
sleep 3
after=$(throttled)
[ "${after:-0}" -gt "${before:-0}" ] && pass "the new limit throttles ($before -> $after events)" ||
	fail "no throttling after the PATCH ($before -> $after)"
api_expect 204 '' PATCH /drives/d0 \
	'{"drive_id": "d0", "rate_limiter": {"ops": {"size": 0, "refill_time": 0}}}'

api_expect 204 '' PATCH /network-interfaces/n0 '{"iface_id": "n0",
	"rx_rate_limiter": {"bandwidth": {"size": 1000000, "refill_time": 100}},
	"tx_rate_limiter": {"ops": {"size": 100, "refill_time": 1000}}}'
expect_match "the net card took both limiters" "$(cat "$TMP/err")" "virtio-net n0: rate limits updated"
api_expect 200 '"state":"Running"' GET /
kill -TERM "$pid"
status=0; wait_exit "$pid" 30 || status=$?
expect_eq "SIGTERM ends it" "$status" 143
finish
