#!/usr/bin/env bash
# The probe's virtio-blk client against QEMU's own virtio-blk-pci on a raw
# image: info, verify (and a corrupted byte found at the right sector), a
# read-only drive, and a short benchmark; then two queues driven from two
# vCPUs (blk_mq_checks). QEMU runs with KVM where /dev/kvm
# is usable, else with its TCG.
. "$(dirname "$0")/../lib/probe-common.sh"
require_qemu

img=$TMP/disk.img
truncate -s 64M "$img"
q=(--vmm qemu-q35 --timeout 90)

# qboot leaves the 64-bit BAR for the probe to assign; SeaBIOS assigns it.
expect_probe blk-info-qboot 0 'PASS .*capacity=131072 .*flush=1 .*bars_assigned=1' -- \
	"${q[@]}" --disk "$img" -- probe.test=blk-info
expect_probe blk-info-seabios 0 'PASS .*capacity=131072 .*bars_assigned=0' -- \
	"${q[@]}" --bios default --disk "$img" -- probe.test=blk-info
blk_checks "$img" "${q[@]}"
blk_mq_checks "$img" "${q[@]}"
finish
