#!/usr/bin/env bash
# LINUX_GUEST=stock, the switch users on real VT-x/AMD-V hosts take: a stock
# Debian kernel, unpatched, with no emulator workaround arguments, its
# virtio drivers loaded as modules by the same init. KVM here cannot run a
# stock kernel's ring 0, so this proves the stock path under QEMU's
# software CPU (TCG) instead: every check passes, bzImage and the vmlinux
# unpacked from it (PVH entry) alike.
set -euo pipefail
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
export LINUX_GUEST=stock
lg_itest_init
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for a network namespace and a TAP"; exit 77; }

lg_make_disks
echo "--- stock bzImage, 2 vCPUs, every device (QEMU TCG)"
lg_run --vmm qemu --tcg --kernel bzImage --cpus 2 \
	--checks boot,blk,blkro,net,irq,smp \
	--drive "$LG_T/rw.img" --drive "$LG_T/ro.img,ro" --net
lg_check_disks
echo "--- stock vmlinux, PVH entry (QEMU TCG)"
lg_run --vmm qemu --tcg --kernel vmlinux --checks boot
