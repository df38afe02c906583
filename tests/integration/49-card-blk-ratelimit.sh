#!/usr/bin/env bash
# azote-card-blk's rate limiter (Firecracker's drive rate_limiter), from
# the host, no VM: vublk-drv reads as fast as the card lets it, 32 deep on
# each of 2 queues (which share the card's one limiter), and after a
# 1-second warm-up (the buckets start full: that first fill is not the
# rate) takes the median of seven 1-second rates, which a stall of a loaded
# machine moves in one slice only (tests/host/drv_rate.h). Buckets hold
# half a second's worth. The same card is limited in bytes and in
# requests: 64 KiB reads meet the bandwidth limit first, 4 KiB reads the
# ops limit.
. "$(dirname "$0")/../lib/cards.sh"
. "$(dirname "$0")/../lib/rates.sh"

BW=10485760   # bytes/s: 10 MiB/s
OPS=1000      # requests/s
LIMITS=(--bw-limit "size=$((BW / 2)),refill_time=500" --ops-limit "size=$((OPS / 2)),refill_time=500")

img=$TMP/disk.img
truncate -s 64M "$img"
drv() { timeout 60 "$DRV" --image "$img" "$@"; }
# The driver's memory cannot be sealed: the card's warning about it is noise here.
card=(-- "$CARD_BLK" --fd '{fd}' --image "$img" --stats-fd '{stats}' --log-level error)

echo "-- no limit: the reference"
free64=$(drv --bench-seconds 1 --warmup-ms 200 --bench-size 65536 throughput "${card[@]}")
echo "$free64" | grep '^throughput'
free4=$(drv --bench-seconds 1 --warmup-ms 200 --bench-size 4096 throughput "${card[@]}")
echo "$free4" | grep '^throughput'
expect_eq "no limit: no throttle event" "$(throttled_of "$free64" throughput)" 0

echo "-- ${LIMITS[*]}, 2 queues: 64 KiB reads meet the bandwidth limit"
out=$(drv --queues 2 --bench-seconds 7 --bench-size 65536 throughput "${card[@]}" \
	--queues 2 "${LIMITS[@]}")
echo "$out" | grep '^throughput'
expect_rate "64 KiB reads, bytes/s" "$(rate_of "$out" throughput bytes/s)" "$BW"
expect_throttled "64 KiB reads" "$(throttled_of "$out" throughput)"
expect_faster "64 KiB reads without the limit, bytes/s" \
	"$(rate_of "$free64" throughput bytes/s)" "$BW"

echo "-- the same limits, 4 KiB reads meet the ops limit"
out=$(drv --queues 2 --bench-seconds 7 --bench-size 4096 throughput "${card[@]}" \
	--queues 2 "${LIMITS[@]}")
echo "$out" | grep '^throughput'
expect_rate "4 KiB reads, ops/s" "$(rate_of "$out" throughput ops/s)" "$OPS"
expect_throttled "4 KiB reads" "$(throttled_of "$out" throughput)"
expect_faster "4 KiB reads without the limit, ops/s" "$(rate_of "$free4" throughput ops/s)" "$OPS"

echo "-- a request held back stays on the ring: the ring stops at once, the card serves on"
expect_ok "throttled card stopped and reset" \
	drv throttle-stop "${card[@]}" --ops-limit size=1,refill_time=60000

echo "-- a WRITE_ZEROES costs its length in bytes, as a write does (the host may write every zero)"
# The driver sets 10 MiB/s through the control channel (azote's PATCH).
# Its largest WRITE_ZEROES, 16 ranges of 4 GiB, needs an image that large:
# sparse, and zeroed with UNMAP, which punches holes, so no disk is used.
truncate -s 64G "$TMP/big.img"
expect_ok "WRITE_ZEROES throttled by its length; the largest held back until the limit is lifted" \
	timeout 60 "$DRV" --timeout 20000 zeroes-limit -- "$CARD_BLK" --fd '{fd}' \
	--image "$TMP/big.img" --control-fd '{ctl}' --log-level error

echo "-- refused limits name the option and the value"
out=$("$CARD_BLK" --socket "$TMP/x.sock" --image "$img" --bw-limit size=1M,refill_time=100 2>&1)
expect_match "a size with a unit is refused" "$out" \
	"--bw-limit 'size=1M,refill_time=100': size '1M' must be a number"
finish
