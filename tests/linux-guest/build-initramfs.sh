#!/usr/bin/env bash
# Builds the guest's initramfs: the static C init (init/*.c) and, for a
# stock kernel, the modules listed in MODULE_DIR/load.list. Output:
# $LG_CACHE/initramfs-<key>.cpio, <key> hashing the init sources and the
# modules. Prints its path on stdout.
#
# --fio: the bench-only variant (bench/, metric fio; never the tests'):
# the same, plus Debian's fio (/usr/bin/fio, package fio), every shared
# library ldd finds for it, at the path ldd finds it, and the dynamic
# loader, so that the init's fio check can run it. Output
# $LG_CACHE/initramfs-fio-<key>.cpio, <key> hashing those files too.
#
# Usage: build-initramfs.sh [--fio] [MODULE_DIR]
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

fio=0
if [ "${1:-}" = --fio ]; then
	fio=1
	shift
fi
mod_dir=${1:-}
lg_need_pkgs build-essential libc6-dev python3
[ "$fio" -eq 0 ] || lg_need_pkgs fio

modules=()
if [ -n "$mod_dir" ]; then
	while read -r m; do modules+=("$mod_dir/$m"); done < "$mod_dir/load.list"
fi
# --fio: "GUEST_PATH=HOST_FILE" for mkcpio.py --add, and the host files.
added=() fio_files=()
if [ "$fio" -eq 1 ]; then
	bin=/usr/bin/fio
	# "libx.so.1 => /lib/.../libx.so.1 (0x...)", and the loader as
	# "/lib64/ld-linux-x86-64.so.2 (0x...)"; linux-vdso has no file.
	! ldd "$bin" | grep -q 'not found' || lg_die "ldd $bin: a library is not found"
	libs=$(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
	[ -n "$libs" ] || lg_die "ldd $bin found no libraries"
	for f in "$bin" $libs; do
		[ -f "$f" ] || lg_die "$f (needed by $bin) is missing"
		added+=(--add "$f=$f")
		fio_files+=("$f")
	done
fi
key=$( { gcc --version | head -1; [ "$fio" -eq 0 ] || printf '%s\n' "${added[@]}"; } |
	lg_hash "$0" "$LG_DIR/mkcpio.py" "$LG_DIR"/init/*.[ch] ${modules[@]+"${modules[@]}"} \
		${fio_files[@]+"${fio_files[@]}"})
out=$LG_CACHE/initramfs-$([ "$fio" -eq 0 ] || echo fio-)$key.cpio
if [ -f "$out" ]; then
	lg_log "initramfs up to date: $out"
	echo "$out"
	exit 0
fi
lg_lock
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Static: the initramfs holds no libc. The project's warning flags, so the
# init meets the same bar as the rest of the C code.
gcc -static -O2 -s -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wformat=2 -Wstrict-prototypes -Wmissing-prototypes -Wvla \
	-o "$tmp/init" "$LG_DIR"/init/*.c
/usr/bin/python3 "$LG_DIR/mkcpio.py" "$out" "$tmp/init" ${modules[@]+"${modules[@]}"} \
	${added[@]+"${added[@]}"}
lg_log "initramfs built: $out"
echo "$out"
