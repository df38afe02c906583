#!/usr/bin/env bash
# needs: kvm
# Linux over virtio-mmio, as Firecracker's clients boot it (pci=off, the
# devices named by virtio_mmio.device= on the command line): under azote
# --transport mmio, /dev/vda and a read-only vdb carry the blk checks, eth0
# the net check, and each device interrupts on its own IO-APIC line, edge,
# whose count rises (irq). The same kernel and checks under QEMU's microvm
# with its modern virtio-mmio devices show the checks themselves judge
# virtio-mmio as a reference implementation provides it.
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
require_kvm
lg_itest_init
need_built "$AZOTE"
require_root "a network namespace and a TAP"

lg_make_disks
for vmm in azote qemu; do
	lg_run --vmm "$vmm" --transport mmio --append pci=off --net \
		--checks boot,blk,blkro,net,irq --drive "$TMP/rw.img" --drive "$TMP/ro.img,ro"
	grep -aq '^LINUX irq PASS .*virtio0:ioapic-edge=yes' "$TMP/out" ||
		die "$vmm: virtio0 did not interrupt on an IO-APIC line"
	lg_check_disks
done
finish
