#!/usr/bin/env bash
# needs: kvm
# The probe's persist test under azote, without a snapshot yet: the rounds
# (counter in memory and on the disk, TSC and PIT) and the block queue's
# MSI-X interrupts through azote's card and KVM's routing (probe.irq=1),
# which a snapshot's restore must bring back. Over virtio-mmio the probe
# polls (no MSI-X there) and says so when asked for interrupts. The same
# run across a snapshot and a restore belongs with the snapshot API; test
# 35 runs it across QEMU's.
. "$(dirname "$0")/../lib/probe-common.sh"
require_kvm

a=(--vmm azote --timeout 90)
truncate -s 1M "$TMP/a.img" "$TMP/b.img" "$TMP/c.img"
expect_probe persist-msix 0 'PASS .*rounds=6 .*counter=6 irq=msix interrupts=(2[4-9]|[3-9][0-9])$' -- \
	"${a[@]}" --disk "$TMP/a.img" -- probe.test=persist probe.rounds=6 probe.pause_ms=20 probe.irq=1
expect_probe persist-polled-mmio 0 'PASS .*counter=3 irq=polled interrupts=0$' -- \
	"${a[@]}" --transport mmio --disk "$TMP/b.img" -- probe.test=persist probe.rounds=3 probe.pause_ms=20
expect_probe persist-irq-mmio 1 'FAIL .*reason=irq_not_on_this_transport' -- \
	"${a[@]}" --transport mmio --disk "$TMP/c.img" -- probe.test=persist probe.irq=1
# Run again on a disk that holds 6: memory at boot state disagrees.
expect_probe persist-rerun 1 'FAIL .*reason=disk_memory_disagree round=1 memory=0 disk=6' -- \
	"${a[@]}" --disk "$TMP/a.img" -- probe.test=persist probe.rounds=2 probe.irq=1
finish
