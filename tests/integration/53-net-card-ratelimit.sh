#!/usr/bin/env bash
# azote-card-net's rate limiters (Firecracker's rx_rate_limiter and
# tx_rate_limiter), from the host, no VM: vunet-drv sends 1514-byte frames
# as fast as the card takes them (tx-rate), then has the TAP's side send
# them faster than the limits (rx-rate, a batch of 64 a millisecond), and
# after a 1-second warm-up (the buckets start full) takes the median of
# six 1-second rates (tests/host/drv_rate.h: robust to a stall of a
# loaded machine). Bytes count the 12-byte virtio-net header, as Firecracker
# counts them. Each card limits one direction in bytes and the other in
# frames; buckets hold half a second's worth.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/rates.sh"

CARD=$BUILD/azote-card-net
DRV=$BUILD/tests/vunet-drv
need_built "$CARD" "$DRV"
netns_init
netns_tap aztap0
netns_use_tap 10.77.0.1/24 aztap0 aztap0

# Low enough that a loaded 2-core machine still receives several times
# as fast without a limit (an unlimited RX run there can drop to ~6000
# frames/s).
BW=2097152    # bytes/s: 2 MiB/s, 1374 frames of 1526 bytes
OPS=1000      # frames/s
bw_bucket="size=$((BW / 2)),refill_time=500"
ops_bucket="size=$((OPS / 2)),refill_time=500"
drv() { netns_run 60 "$DRV" --tap aztap0 "$@"; }
# The driver's memory cannot be sealed: the card's warning about it is noise here.
card=(-- "$CARD" --tap aztap0 --fd '{fd}' --stats-fd '{stats}' --log-level error)

echo "--- no limit: the reference"
free=$(drv --bench-seconds 1 --warmup-ms 300 tx-rate rx-rate "${card[@]}")
echo "$free" | grep -E '^(tx|rx)-rate'
expect_eq "no limit: no TX throttle event" "$(throttled_of "$free" tx-rate)" 0
expect_eq "no limit: no RX throttle event" "$(throttled_of "$free" rx-rate)" 0

echo "--- --tx-bw-limit $bw_bucket --rx-ops-limit $ops_bucket"
out=$(drv --bench-seconds 6 tx-rate rx-rate "${card[@]}" --tx-bw-limit "$bw_bucket" \
	--rx-ops-limit "$ops_bucket")
echo "$out" | grep -E '^(tx|rx)-rate'
expect_rate "TX, bytes/s" "$(rate_of "$out" tx-rate bytes/s)" "$BW"
expect_throttled "TX" "$(throttled_of "$out" tx-rate)"
expect_rate "RX, frames/s" "$(rate_of "$out" rx-rate ops/s)" "$OPS"
expect_throttled "RX" "$(throttled_of "$out" rx-rate)"

echo "--- --tx-ops-limit $ops_bucket --rx-bw-limit $bw_bucket"
out=$(drv --bench-seconds 6 tx-rate rx-rate "${card[@]}" --tx-ops-limit "$ops_bucket" \
	--rx-bw-limit "$bw_bucket")
echo "$out" | grep -E '^(tx|rx)-rate'
expect_rate "TX, frames/s" "$(rate_of "$out" tx-rate ops/s)" "$OPS"
expect_rate "RX, bytes/s" "$(rate_of "$out" rx-rate bytes/s)" "$BW"

expect_faster "TX without a limit, bytes/s" "$(rate_of "$free" tx-rate bytes/s)" "$BW"
expect_faster "RX without a limit, bytes/s" "$(rate_of "$free" rx-rate bytes/s)" "$BW"
finish
