#!/usr/bin/env bash
# The trust boundary (docs/architecture.md), checked on a build: azote
# reads no virtio ring, so it links none of the cards' ring code
# (src/cards/virtio/virtqueue.c, gmem.c, iov.c: no symbol virtq_*, gmem_* or
# iov_*, defined or undefined), and no card includes a header of the
# hypervisor's (no #include of vmm/... under src/cards).
#
#   tests/lib/check-boundary.sh [BUILD]      (default: the clone's build)
#
# Prints one "ok: ..." line per check and exits 0; or names each symbol or
# include that crosses the boundary and exits 1.
set -euo pipefail
build=${1:-build}
# BUILD is taken from where the script is run; the sources from the clone.
[ $# -eq 0 ] || [[ $build == /* ]] || build=$PWD/$build
cd "$(dirname "$0")/../.."
azote=$build/azote
status=0

# 1. The symbols of azote (nm: "ADDR TYPE NAME", or "TYPE NAME" when
# undefined; a versioned name carries "@VERSION").
if [ ! -f "$azote" ]; then
	echo "check-boundary: $azote: no such file (build it first)" >&2
	exit 1
fi
syms=$(nm "$azote") || { echo "check-boundary: nm $azote failed" >&2; exit 1; }
if [ -z "$syms" ]; then
	echo "check-boundary: $azote has no symbol table (stripped?): nothing to check" >&2
	exit 1
fi
crossing=$(awk '{
	name = $NF; sub(/@.*/, "", name)
	if (name ~ /^(virtq_|gmem_|iov_)/)
		printf "%s (%s, nm type %s)\n", name, NF == 2 ? "undefined" : "defined",
		       NF == 2 ? $1 : $2
}' <<<"$syms")
if [ -n "$crossing" ]; then
	while IFS= read -r s; do
		echo "check-boundary: $azote links ring code: $s" >&2
	done <<<"$crossing"
	status=1
else
	echo "ok: $azote has no virtq_, gmem_ or iov_ symbol ($(wc -l <<<"$syms") symbols checked)"
fi

# 2. The cards' includes: "vmm/x.h", <vmm/x.h>, or a relative path
# ending in vmm/.
mapfile -t files < <(find src/cards -name '*.[ch]' | LC_ALL=C sort)
includes=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([.][.]/)*vmm/' \
	"${files[@]}" /dev/null || true)
if [ -n "$includes" ]; then
	while IFS= read -r i; do
		echo "check-boundary: a card includes a vmm/ header: $i" >&2
	done <<<"$includes"
	status=1
else
	echo "ok: no file under src/cards includes a vmm/ header (${#files[@]} files checked)"
fi
exit "$status"
