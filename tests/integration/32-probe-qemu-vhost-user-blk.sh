#!/usr/bin/env bash
# The probe's virtio-blk client against vhost-user-blk-pci served by
# qemu-storage-daemon: the same block tests, through vhost-user.
set -uo pipefail
. "$(dirname "$0")/../lib/probe-common.sh"
command -v qemu-storage-daemon >/dev/null || { echo "skip: no qemu-storage-daemon"; exit 77; }

img=$tmp/disk.img sock=$tmp/vub.sock
truncate -s 64M "$img"
# One export serves one VM at a time; each probe-run connects anew.
start_qsd "$img" "$sock"

q=(--vmm qemu-q35 --timeout 90 --vhost-user-blk "$sock")
expect blk-info 0 'PASS .*capacity=131072 .*serial=' -- "${q[@]}" -- probe.test=blk-info
expect blk-verify 0 'PASS .*sectors=4096 ' -- "${q[@]}" -- probe.test=blk-verify probe.seed=3 probe.sectors=4096
expect blk-verify-read 0 'PASS .*mode=read' -- \
	"${q[@]}" -- probe.test=blk-verify probe.seed=3 probe.sectors=4096 probe.verify=read
printf '\x5a' | dd of="$img" bs=1 seek=$((1234 * 512 + 500)) conv=notrunc status=none
expect blk-verify-corrupt 1 'FAIL .*bad_sectors=1 first_bad_sector=1234 ' -- \
	"${q[@]}" -- probe.test=blk-verify probe.seed=3 probe.sectors=4096 probe.verify=read
expect blk-bench 0 'PASS .*rand4k_iops=[1-9][0-9]* ' -- "${q[@]}" -- probe.test=blk-bench probe.secs=1
kill -0 "$qsd" 2>/dev/null || { echo "FAIL: qemu-storage-daemon died"; cat "$tmp/qsd.log"; failed=1; }
exit $failed
