#!/usr/bin/env bash
# needs: kvm
# Issue 4: the probe's block suite (the same checks QEMU's own virtio-blk
# passes in 31) under azote, with the azote-card-blk azote starts itself and
# with qemu-storage-daemon's vhost-user-blk export; the suite again over
# virtio-mmio (QEMU microvm's pass it in 34).
. "$(dirname "$0")/../lib/probe-common.sh"
require_kvm
require qemu-storage-daemon

img=$TMP/disk.img
truncate -s 64M "$img"
a=(--vmm azote --timeout 90)
# azote assigns BARs itself, as firmware would.
expect_probe blk-info-bars 0 'PASS .*bars_assigned=0 ' -- "${a[@]}" --disk "$img" -- probe.test=blk-info
blk_checks "$img" "${a[@]}"
# The card's queue polling: off (every request kicked), and with the
# driver's EVENT_IDX (kicks held back by avail_event rather than the flag).
expect_probe blk-verify-nopoll 0 'PASS .*sectors=2048 ' -- "${a[@]}" --disk "$img,poll_us=0" \
	-- probe.test=blk-verify probe.seed=5
expect_probe blk-verify-event-idx 0 'PASS .*sectors=2048 ' -- "${a[@]}" --disk "$img" \
	-- probe.test=blk-verify probe.seed=6 probe.event_idx=1
# The card's io_uring modes (--drive ...,uring=MODE, docs/card-blk.md),
# polling and not.
expect_probe blk-verify-single-issuer 0 'PASS .*sectors=2048 ' -- "${a[@]}" \
	--disk "$img,uring=single-issuer" -- probe.test=blk-verify probe.seed=7
expect_probe blk-verify-defer-taskrun 0 'PASS .*sectors=2048 ' -- "${a[@]}" \
	--disk "$img,uring=defer-taskrun,poll_us=0" -- probe.test=blk-verify probe.seed=8
# A multi-queue drive: the probe drives queue 0, the card serves 4.
expect_probe blk-verify-mq 0 'PASS .*sectors=2048 ' -- "${a[@]}" --cpus 2 --disk "$img,queues=4" \
	-- probe.test=blk-verify probe.seed=11
# Two of the card's queues, each driven from a vCPU of its own.
blk_mq_checks "$img" "${a[@]}"

# virtio-mmio (azote --transport mmio, Firecracker's transport): the
# first device's window and line.
PROBE_LINE_ALSO='transport=mmio mmio=0xfeb00000 irq=5'
blk_checks "$img" "${a[@]}" --transport mmio
PROBE_LINE_ALSO=

# Through qemu-storage-daemon's export instead of a card.
sock=$TMP/vub.sock
truncate -s 64M "$TMP/qsd.img"
start_qsd "$TMP/qsd.img" "$sock"
v=(--vmm azote --timeout 90 --vhost-user-blk "$sock")
expect_probe qsd-blk-info 0 'PASS .*capacity=131072 .*serial=' -- "${v[@]}" -- probe.test=blk-info
expect_probe qsd-blk-verify 0 'PASS .*sectors=4096 ' -- "${v[@]}" -- probe.test=blk-verify probe.seed=3 probe.sectors=4096
expect_probe qsd-blk-verify-read 0 'PASS .*mode=read' -- \
	"${v[@]}" -- probe.test=blk-verify probe.seed=3 probe.sectors=4096 probe.verify=read
expect_probe qsd-blk-bench 0 'PASS .*rand4k_iops=[1-9][0-9]* ' -- "${v[@]}" -- probe.test=blk-bench probe.secs=1
expect_qsd_alive
finish
