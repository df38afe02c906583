#!/usr/bin/env bash
# The Linux test guest against a VMM nobody here wrote: QEMU (q35, qboot)
# with its own virtio-blk-pci and virtio-net-pci devices, 2 vCPUs. Every
# check passes there, which proves the guest and its checks before they
# judge azote: boot, blk (host compares the image), blkro, net (ICMP to the
# host's TAP in a namespace), irq (MSI-X), smp. The bzImage boots too.
# With KVM where this machine has it, else under QEMU's TCG.
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
lg_itest_init
require_root "a network namespace and a TAP"

# Without a usable /dev/kvm (or with AZOTE_QEMU_ACCEL=tcg), QEMU's
# software CPU (TCG) runs the same guest.
qemu_accel_pick
accel=()
[ "$QEMU_ACCEL_NAME" = tcg ] && accel=(--tcg)
lg_make_disks
echo "--- vmlinux (PVH), 2 vCPUs, every device"
lg_run --vmm qemu ${accel[@]+"${accel[@]}"} --kernel vmlinux --cpus 2 --checks boot,blk,blkro,net,irq,smp \
	--drive "$TMP/rw.img" --drive "$TMP/ro.img,ro" --net
lg_check_disks
echo "--- bzImage"
lg_run --vmm qemu ${accel[@]+"${accel[@]}"} --kernel bzImage --checks boot
finish
