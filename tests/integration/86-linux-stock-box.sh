#!/usr/bin/env bash
# needs: box
# The stock-kernel tier: Debian's unpatched kernel (LINUX_GUEST=stock), with
# no emulator workaround arguments, under azote and under QEMU as the peer,
# on real hardware-virtualization semantics: run-all.sh always runs this
# test inside tests/box/run (KVM on QEMU's emulated AMD-V), since this kind
# of machine's own KVM cannot run a stock kernel's ring 0 in useful time.
# Both boot paths, bzImage (64-bit boot protocol) and the vmlinux unpacked
# from it (PVH entry), 2 vCPUs, every check in one boot each: boot, blk
# (the host compares the image), blkro, net (ICMP to the host's TAP in a
# network namespace), irq (MSI-X counts rose), smp.
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
export LINUX_GUEST=stock
require_kvm
lg_itest_init
need_built "$AZOTE"
require_root "a network namespace and a TAP"

all=(--cpus 2 --checks boot,blk,blkro,net,irq,smp --net --timeout 600)
for vmm in azote qemu; do
	for kernel in bzImage vmlinux; do
		echo "--- $vmm, stock $kernel"
		lg_make_disks
		lg_run --vmm "$vmm" --kernel "$kernel" "${all[@]}" \
			--drive "$TMP/rw.img" --drive "$TMP/ro.img,ro"
		lg_check_disks
	done
done
finish
