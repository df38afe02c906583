#!/usr/bin/env bash
# The probe's virtio-blk client against QEMU's own virtio-blk-pci on a raw
# image: info, verify (and a corrupted byte found at the right sector), a
# read-only drive, and a short benchmark.
set -uo pipefail
. "$(dirname "$0")/../lib/probe-common.sh"

img=$tmp/disk.img
truncate -s 64M "$img"
q=(--vmm qemu-q35 --timeout 90)

# qboot leaves the 64-bit BAR for the probe to assign; SeaBIOS assigns it.
expect blk-info 0 'PASS .*capacity=131072 .*flush=1 .*bars_assigned=1' -- \
	"${q[@]}" --disk "$img" -- probe.test=blk-info
expect blk-info-seabios 0 'PASS .*capacity=131072 .*bars_assigned=0' -- \
	"${q[@]}" --bios default --disk "$img" -- probe.test=blk-info
expect blk-verify 0 'PASS .*sectors=4096 .*write_zeroes=ok discard=ok' -- \
	"${q[@]}" --disk "$img" -- probe.test=blk-verify probe.seed=7 probe.sectors=4096
# The written pattern survives the VM: read it back in a new one.
expect blk-verify-read 0 'PASS .*mode=read' -- \
	"${q[@]}" --disk "$img" -- probe.test=blk-verify probe.seed=7 probe.sectors=4096 probe.verify=read
# A wrong seed must not verify (the check can fail).
expect blk-verify-wrong-seed 1 'FAIL .*bad_sectors=4096 first_bad_sector=0 ' -- \
	"${q[@]}" --disk "$img" -- probe.test=blk-verify probe.seed=8 probe.sectors=4096 probe.verify=read
# One corrupted byte in sector 3001 is found there and nowhere else.
printf '\xff' | dd of="$img" bs=1 seek=$((3001 * 512 + 77)) conv=notrunc status=none
printf '\x00' | dd of="$img" bs=1 seek=$((3001 * 512 + 78)) conv=notrunc status=none
expect blk-verify-corrupt 1 'FAIL .*bad_sectors=1 first_bad_sector=3001 last_bad_sector=3001' -- \
	"${q[@]}" --disk "$img" -- probe.test=blk-verify probe.seed=7 probe.sectors=4096 probe.verify=read
# Read-only drive: writes fail with IOERR, the image stays as it was.
sum=$(sha256sum <"$img")
expect blk-ro 0 'PASS .*ro=1 write_status=ioerr' -- "${q[@]}" --disk "$img,ro" -- probe.test=blk-ro
[ "$(sha256sum <"$img")" = "$sum" ] || { echo "FAIL blk-ro: image changed"; failed=1; }
# ...and blk-ro on a writable drive fails (the check can fail).
expect blk-ro-on-rw 1 'FAIL .*reason=device_not_read_only' -- "${q[@]}" --disk "$img" -- probe.test=blk-ro
expect blk-bench 0 'PASS .*rand4k_iops=[1-9][0-9]* .*seqrd_mib_s=[0-9]+ .*seqwr_mib_s=[0-9]+' -- \
	"${q[@]}" --disk "$img" -- probe.test=blk-bench probe.secs=1 probe.qd=16
exit $failed
