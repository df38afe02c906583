#!/usr/bin/env bash
# Builds (or finds in the cache) everything the Linux test guest needs and
# prints it as shell assignments on stdout, for `eval "$(build.sh)"`:
#   LG_MODE=test|stock  LG_VMLINUX=...  LG_BZIMAGE=...  LG_INITRD=...
#   LG_SYSTEM_MAP=... (test kernel only)
# Progress goes to stderr. A rerun with unchanged inputs builds nothing.
#
# LINUX_GUEST=test (default): the project's tiny kernel, patched for the
#   development machines' emulated ring 0 (see README.md).
# LINUX_GUEST=stock: a stock distribution kernel, unpatched (stock-kernel.sh
#   says which), for hosts with real VT-x/AMD-V.
# AZOTE_CACHE: where builds are kept (default ~/.cache/azote).
set -euo pipefail
here=$(dirname "$0")

case ${LINUX_GUEST:-test} in
test)
	kdir=$("$here/build-kernel.sh")
	initrd=$("$here/build-initramfs.sh")
	printf 'LG_MODE=test\nLG_VMLINUX=%s\nLG_BZIMAGE=%s\nLG_SYSTEM_MAP=%s\nLG_INITRD=%s\n' \
		"$kdir/vmlinux" "$kdir/bzImage" "$kdir/System.map" "$initrd"
	;;
stock)
	sdir=$("$here/stock-kernel.sh")
	initrd=$("$here/build-initramfs.sh" "$sdir/modules")
	printf 'LG_MODE=stock\nLG_VMLINUX=%s\nLG_BZIMAGE=%s\nLG_SYSTEM_MAP=\nLG_INITRD=%s\n' \
		"$sdir/vmlinux" "$sdir/vmlinuz" "$initrd"
	;;
*)
	echo "build.sh: LINUX_GUEST=${LINUX_GUEST} is neither test nor stock" >&2
	exit 2
	;;
esac
