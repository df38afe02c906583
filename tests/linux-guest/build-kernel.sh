#!/usr/bin/env bash
# Builds the test kernel from Debian's linux-source-6.1: tinyconfig plus
# kernel.config, patched with patches/*.patch. Output in
# $LG_CACHE/linux-<key>/ (vmlinux with its PVH note, bzImage, System.map,
# config), where <key> hashes everything that goes into the kernel, so an
# unchanged input never rebuilds. Prints that directory on stdout.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

SRC_PKG=linux-source-6.1
SRC_TAR=/usr/src/$SRC_PKG.tar.xz
lg_need_pkgs "$SRC_PKG" build-essential bc bison flex libelf-dev libssl-dev xz-utils

key=$( { dpkg-query -W -f='${Version}\n' "$SRC_PKG"; gcc --version | head -1; } |
	lg_hash "$0" "$LG_DIR/kernel.config" "$LG_DIR"/patches/*.patch)
out=$LG_CACHE/linux-$key
if [ -f "$out/bzImage" ]; then
	touch "$out"
	lg_log "kernel up to date: $out"
	echo "$out"
	exit 0
fi
lg_lock
if [ -f "$out/bzImage" ]; then	# built while we waited for the lock
	echo "$out"
	exit 0
fi

work=$out.tmp
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
lg_log "building kernel $key in $work (about 3 minutes on 2 cores)"
start=$(date +%s)
tar -xf "$SRC_TAR" -C "$work"
src=$work/$SRC_PKG
for p in "$LG_DIR"/patches/*.patch; do
	patch -d "$src" -p1 --batch --forward --silent < "$p" ||
		lg_die "patch $(basename "$p") does not apply to $SRC_PKG"
done

kmake() {
	nice -n 10 make -C "$src" ARCH=x86_64 KBUILD_BUILD_USER=azote \
		KBUILD_BUILD_HOST=azote KBUILD_BUILD_TIMESTAMP=@0 "$@" \
		>>"$work/build.log" 2>&1 ||
		{ tail -30 "$work/build.log" >&2; lg_die "make $* failed (log above)"; }
}
kmake tinyconfig
(cd "$src" && scripts/kconfig/merge_config.sh -m .config "$LG_DIR/kernel.config") \
	>>"$work/build.log" 2>&1
kmake olddefconfig

# The fragment must say what the kernel really has: a line Kconfig dropped
# (a typo, an unmet dependency) fails the build instead of going unseen.
bad=0
while read -r line; do
	case $line in
	CONFIG_*=*)
		grep -qxF "$line" "$src/.config" || { lg_log "kernel.config: $line not kept"; bad=1; } ;;
	"# CONFIG_"*" is not set")
		opt=${line#"# "}; opt=${opt%" is not set"}
		! grep -q "^$opt=" "$src/.config" || { lg_log "kernel.config: $opt still set"; bad=1; } ;;
	esac
done < "$LG_DIR/kernel.config"
[ "$bad" -eq 0 ] || lg_die "kernel.config does not match the configured kernel"

kmake -j"$(nproc)" vmlinux bzImage
cp "$src/vmlinux" "$src/arch/x86/boot/bzImage" "$src/System.map" "$work/"
cp "$src/.config" "$work/config"
rm -rf "$src"
trap - EXIT
mv "$work" "$out"
# Kernels nobody used for a week go (each use touches its directory);
# other branches and checkouts keep theirs.
find "$LG_CACHE" -maxdepth 1 -name 'linux-????????????????' -type d -mtime +7 \
	-exec rm -rf {} + 2>/dev/null || true
lg_log "kernel built in $(( $(date +%s) - start ))s: $out"
echo "$out"
