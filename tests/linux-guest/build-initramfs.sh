#!/usr/bin/env bash
# Builds the guest's initramfs: the static C init (init/*.c) and, for a
# stock kernel, the modules listed in MODULE_DIR/load.list. Output:
# $LG_CACHE/initramfs-<key>.cpio, <key> hashing the init sources and the
# modules. Prints its path on stdout.
#
# Usage: build-initramfs.sh [MODULE_DIR]
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

mod_dir=${1:-}
lg_need_pkgs build-essential libc6-dev python3

modules=()
if [ -n "$mod_dir" ]; then
	while read -r m; do modules+=("$mod_dir/$m"); done < "$mod_dir/load.list"
fi
key=$(gcc --version | head -1 |
	lg_hash "$0" "$LG_DIR/mkcpio.py" "$LG_DIR"/init/*.[ch] ${modules[@]+"${modules[@]}"})
out=$LG_CACHE/initramfs-$key.cpio
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
/usr/bin/python3 "$LG_DIR/mkcpio.py" "$out" "$tmp/init" ${modules[@]+"${modules[@]}"}
lg_log "initramfs built: $out"
echo "$out"
