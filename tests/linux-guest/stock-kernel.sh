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

# What the checks need; a module the kernel has built in is skipped.
WANT=(virtio_pci virtio_blk virtio_net)

find_kernel() {
	local ver pkg deb root
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
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-/ { print $2; exit }')
	[ -n "$pkg" ] || lg_die "no stock kernel: set LINUX_GUEST_KERNEL, or apt-get update"
	root=$LG_CACHE/$pkg
	if [ ! -d "$root/boot" ]; then
		lg_log "downloading Debian's $pkg (unpacked in the cache, not installed)"
		deb=$(mktemp -d)
		(cd "$deb" && apt-get download -q "$pkg" >&2) || lg_die "apt-get download $pkg failed"
		mkdir -p "$root.tmp"
		dpkg-deb -x "$deb"/*.deb "$root.tmp"
		rm -rf "$deb"
		mv "$root.tmp" "$root"
	fi
	kernel=$(ls "$root"/boot/vmlinuz-* | head -1)
	ver=${kernel##*/vmlinuz-}
	moddir=$root/lib/modules/$ver
	# The package leaves modules.dep to depmod at install time.
	if [ ! -f "$moddir/modules.dep" ]; then
		lg_need_pkgs kmod
		/sbin/depmod -b "$root" "$ver"
	fi
}

# Prints the modules to load for one name, dependencies first, as paths
# relative to $moddir; nothing if the kernel has it built in.
module_chain() {
	local name=$1 line path deps i
	line=$(grep -E "/$name\.ko(\.[a-z]+)?:" "$moddir/modules.dep" || true)
	if [ -z "$line" ]; then
		grep -qE "/$name\.ko$" "$moddir/modules.builtin" 2>/dev/null && return 0
		lg_die "$name: neither a module nor built into $kernel"
	fi
	path=${line%%:*}
	read -r -a deps <<< "${line#*:}"
	# modules.dep lists each module's dependencies, deepest last.
	for (( i = ${#deps[@]} - 1; i >= 0; i-- )); do echo "${deps[i]}"; done
	echo "$path"
}

unpack_module() {
	local src=$1 dst=$2
	case $src in
	*.ko) cp "$src" "$dst" ;;
	*.ko.xz) xz -dc "$src" > "$dst" ;;
	*.ko.zst) zstd -qdc "$src" > "$dst" ;;
	*.ko.gz) gzip -dc "$src" > "$dst" ;;
	*) lg_die "$src: unknown module format" ;;
	esac
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
rm -rf "$out"
mkdir -p "$out/modules"
cp "$kernel" "$out/vmlinuz"
extract_vmlinux "$kernel" "$out/vmlinux"
: > "$out/modules/load.list"
for name in "${WANT[@]}"; do
	module_chain "$name"
done | awk '!seen[$0]++' | while read -r rel; do
	base=$(basename "$rel"); base=${base%.ko*}.ko
	unpack_module "$moddir/$rel" "$out/modules/$base"
	echo "$base" >> "$out/modules/load.list"
done
lg_log "stock kernel $kernel, modules: $(tr '\n' ' ' < "$out/modules/load.list")"
echo "$out"
