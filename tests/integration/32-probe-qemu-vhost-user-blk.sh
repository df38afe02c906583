#!/usr/bin/env bash
# The probe's virtio-blk client against vhost-user-blk-pci served by
# qemu-storage-daemon: the same block tests, through vhost-user. QEMU runs
# with KVM where /dev/kvm is usable, else with its TCG.
. "$(dirname "$0")/../lib/probe-common.sh"
require_qemu
require qemu-storage-daemon

img=$TMP/disk.img sock=$TMP/vub.sock
truncate -s 64M "$img"
# One export serves one VM at a time; each probe-run connects anew.
start_qsd "$img" "$sock"

q=(--vmm qemu-q35 --timeout 90 --vhost-user-blk "$sock")
expect_probe blk-info 0 'PASS .*capacity=131072 .*serial=' -- "${q[@]}" -- probe.test=blk-info
expect_probe blk-verify 0 'PASS .*sectors=4096 ' -- "${q[@]}" -- probe.test=blk-verify probe.seed=3 probe.sectors=4096
expect_probe blk-verify-read 0 'PASS .*mode=read' -- \
	"${q[@]}" -- probe.test=blk-verify probe.seed=3 probe.sectors=4096 probe.verify=read
printf '\x5a' | dd of="$img" bs=1 seek=$((1234 * 512 + 500)) conv=notrunc status=none
expect_probe blk-verify-corrupt 1 'FAIL .*bad_sectors=1 first_bad_sector=1234 ' -- \
	"${q[@]}" -- probe.test=blk-verify probe.seed=3 probe.sectors=4096 probe.verify=read
expect_probe blk-bench 0 'PASS .*rand4k_iops=[1-9][0-9]* ' -- "${q[@]}" -- probe.test=blk-bench probe.secs=1
expect_qsd_alive
finish
