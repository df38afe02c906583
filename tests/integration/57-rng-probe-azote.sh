#!/usr/bin/env bash
# needs: kvm
# The entropy device end to end: the probe's virtio-rng client drives
# azote-card-rng through azote, over virtio-pci and virtio-mmio; a request
# of 128 KiB gets 64 KiB, Firecracker's cap. Then as a Firecracker client
# sets it up (PUT /entropy with a rate limiter): the guest's requests never
# pass the ops limit, and FlushMetrics's entropy group counts the bytes the
# guest received, exactly, and the requests the limiter held back. azote's
# --rng=ops_limit= holds the same limit. (How exactly the card holds a rate
# is measured on the host, test 56; in the box every timer wakes late, so
# a throttled queue runs below its limit, never above.)
. "$(dirname "$0")/../lib/api.sh"
. "$(dirname "$0")/../lib/probe-common.sh"
require_kvm
need_built "$BUILD/azote-card-rng"

for transport in pci mmio; do
	expect_probe "rng-$transport" 0 \
		"PASS transport=$transport .*max=65536 big=131072 big_used=65536 " -- \
		--vmm azote --transport "$transport" --rng -- probe.test=rng probe.max=65536
done

LIMIT=20
# field KEY: KEY= of the probe's rng result line in $TMP/out
field() { grep -a 'PROBE rng PASS' "$TMP/out" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# held HOW RATE: a rate under the limit's 5 %, and not 0
held() {
	if [ -n "$2" ] && [ "$2" -gt 0 ] && [ "$2" -le $((LIMIT * 105 / 100)) ]; then
		pass "$1: $2 requests/s, the limit of $LIMIT held"
	else
		fail "$1: '$2' requests/s against a limit of $LIMIT: $(cat "$TMP/out")"
	fi
}

echo "--- unlimited, then limited on azote's command line"
timeout 120 "$PROBE_RUN" --vmm azote --rng -- probe.test=rng probe.secs=3 >"$TMP/out" 2>&1
free=$(field reqs_per_s)
[ -n "$free" ] && [ "$free" -gt $((LIMIT * 2)) ] &&
	pass "without a limit: $free requests/s, more than twice the limit" ||
	fail "without a limit: '$free' requests/s, not clearly above $LIMIT: the test cannot tell"
timeout 120 "$PROBE_RUN" --vmm azote --rng=ops_limit=1/50 -- probe.test=rng probe.secs=3 \
	>"$TMP/out" 2>&1
held "--rng=ops_limit=1/50" "$(field reqs_per_s)"

echo "--- as a Firecracker client: PUT /entropy with a rate limiter, FlushMetrics"
API_SOCK=$TMP/api.sock
"$AZOTE" --api-sock "$API_SOCK" </dev/null >"$TMP/out" 2>"$TMP/err" &
pid=$!
kill_at_exit "$pid"
wait_socket "$API_SOCK"
api_expect 204 '' PUT /metrics "{\"metrics_path\": \"$TMP/metrics.json\"}"
api_expect 204 '' PUT /boot-source "{\"kernel_image_path\": \"$PROBE_ELF\",
	\"boot_args\": \"probe.test=rng probe.secs=3 probe.hold=1\"}"
api_expect 204 '' PUT /entropy '{"rate_limiter": {"ops": {"size": 1, "refill_time": 50}}}'
api_expect 204 '' PUT /actions '{"action_type": "InstanceStart"}'
wait_for "$TMP/out" "PROBE hold" 60 || fail "the probe did not finish: $(cat "$TMP/out")"
held "PUT /entropy, ops 1 per 50 ms" "$(field reqs_per_s)"
api_expect 204 '' PUT /actions '{"action_type": "FlushMetrics"}'
read -r bytes count throttled <<<"$(/usr/bin/python3 -c '
import json, sys
e = json.loads(sys.argv[1])["entropy"]
print(e["entropy_bytes"], e["entropy_event_count"], e["entropy_rate_limiter_throttled"])' \
	"$(tail -n 1 "$TMP/metrics.json")")"
expect_eq "entropy_bytes: what the guest received" "$bytes" "$(field bytes)"
[ "${count:-0}" -ge "$(field reqs)" ] &&
	pass "entropy_event_count $count, at least the guest's $(field reqs) requests" ||
	fail "entropy_event_count '$count' below the guest's $(field reqs) requests"
[ "${throttled:-0}" -gt 0 ] && pass "entropy_rate_limiter_throttled: $throttled" ||
	fail "entropy_rate_limiter_throttled '$throttled': the limiter held nothing back"
kill -TERM "$pid"
wait "$pid"
finish
