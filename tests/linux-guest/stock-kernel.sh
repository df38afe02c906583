#!/usr/bin/env bash
# Finds a stock distribution kernel for LINUX_GUEST=stock and the virtio
# modules it needs, copied (uncompressed) to $LG_CACHE/stock-<version>/
# with load.list in load order. Prints that directory on stdout; it holds
# vmlinuz and modules/.
#
# Which kernel, in this order:
#   LINUX_GUEST_KERNEL=/path/vmlinuz-VERSION (modules from
#     LINUX_GUEST_MODULES, default /lib/modules/VERSION);
#   the host's own /boot/vmlinuz-$(uname -r) with /lib/modules/$(uname -r);
#   Debian's linux-image-amd64, downloaded and unpacked into the cache
#     (never installed: no boot loader or initramfs hooks run).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
DK_WHO=linux-guest
. "$(dirname "$0")/../lib/debian-kernel.sh"

# What the checks need; a module the kernel has built in is skipped.
# virtio_pmem makes the device an nvdimm region (libnvdimm, nd_virtio), and
# nd_pmem the block device /dev/pmem0 on it; the bus probes the region's
# namespace whichever of the two loads first.
WANT=(virtio_pci virtio_mmio virtio_blk virtio_net vmw_vsock_virtio_transport virtio_rng
      virtio_balloon virtio_pmem nd_pmem)

find_kernel() {
	local ver root
	if [ -n "${LINUX_GUEST_KERNEL:-}" ]; then
		ver=$(basename "$LINUX_GUEST_KERNEL"); ver=${ver#vmlinuz-}
		kernel=$LINUX_GUEST_KERNEL
		moddir=${LINUX_GUEST_MODULES:-/lib/modules/$ver}
		return
	fi
	ver=$(uname -r)
	if [ -r "/boot/vmlinuz-$ver" ] && [ -f "/lib/modules/$ver/modules.dep" ]; then
		kernel=/boot/vmlinuz-$ver
		moddir=/lib/modules/$ver
		return
	fi
	lg_need_pkgs kmod xz-utils
	root=$(dk_unpacked) || exit 1
	ver=$(dk_version "$root")
	kernel=$root/boot/vmlinuz-$ver
	moddir=$root/lib/modules/$ver
}

# A bzImage carries the ELF vmlinux compressed inside; unpack it so the PVH
# entry (its ELF note) can be tried as well. Same idea as the kernel's
# scripts/extract-vmlinux: try each compressor's magic.
extract_vmlinux() {
	local img=$1 out=$2 magic tool off
	for magic in '\x1f\x8b\x08:gzip -dc' '\xfd7zXZ\x00:xz -dc' \
		     '\x28\xb5\x2f\xfd:zstd -qdc' '\x02\x21\x4c\x18:lz4 -dc'; do
		tool=${magic#*:}
		command -v "${tool%% *}" >/dev/null || continue
		for off in $(LC_ALL=C grep -aboP "${magic%%:*}" "$img" | cut -d: -f1); do
			tail -c +$((off + 1)) "$img" | $tool > "$out" 2>/dev/null || true
			[ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] && return 0
		done
	done
	rm -f "$out"
	lg_log "$img: no ELF vmlinux inside (bzImage boots only)"
}

lg_lock
find_kernel
[ -r "$kernel" ] || lg_die "$kernel: not readable"
[ -f "$moddir/modules.dep" ] || lg_die "$moddir/modules.dep: missing"
out=$LG_CACHE/stock-$(basename "$kernel" | sed 's/^vmlinuz-//')
# Done once per kernel: the stamp names what it was made from.
stamp="$kernel $(stat -c '%s %Y' "$kernel") ${WANT[*]}"
if [ "$(cat "$out/made-from" 2>/dev/null)" != "$stamp" ]; then
	rm -rf "$out"
	mkdir -p "$out"
	cp "$kernel" "$out/vmlinuz"
	extract_vmlinux "$kernel" "$out/vmlinux"
	dk_copy_modules "$moddir" "$out/modules" "${WANT[@]}"
	echo "$stamp" > "$out/made-from"
fi
lg_log "stock kernel $kernel, modules: $(tr '\n' ' ' < "$out/modules/load.list")"
echo "$out"
