#!/usr/bin/env bash
# The Linux test guest against a VMM nobody here wrote: QEMU (q35, qboot)
# with its own virtio-blk-pci and virtio-net-pci devices, 2 vCPUs. Every
# check passes there, which proves the guest and its checks before they
# judge azote: boot, blk (host compares the image), blkro, net (ICMP to the
# host's TAP in a namespace), irq (MSI-X), smp. The bzImage boots too.
# With KVM where this machine has it, else under QEMU's TCG.
set -euo pipefail
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
lg_itest_init
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for a network namespace and a TAP"; exit 77; }

# Without a usable /dev/kvm, QEMU's software CPU (TCG) runs the same guest.
accel=()
[ -c /dev/kvm ] && [ -w /dev/kvm ] || accel=(--tcg)
lg_make_disks
echo "--- vmlinux (PVH), 2 vCPUs, every device"
lg_run --vmm qemu ${accel[@]+"${accel[@]}"} --kernel vmlinux --cpus 2 --checks boot,blk,blkro,net,irq,smp \
	--drive "$LG_T/rw.img" --drive "$LG_T/ro.img,ro" --net
lg_check_disks
echo "--- bzImage"
lg_run --vmm qemu ${accel[@]+"${accel[@]}"} --kernel bzImage --checks boot
