#!/usr/bin/env bash
# The trust boundary (docs/architecture.md), checked on a build: azote
# reads no virtio ring, so it links none of the cards' ring code
# (src/cards/virtio/virtqueue.c, gmem.c, iov.c: no symbol virtq_*, gmem_* or
# iov_*, defined or undefined); and each folder under src includes only
# headers of the folders its side may use (the table below).
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

# 2. Which folder may include which (docs/architecture.md, "The tree"):
# the folders both sides link include only each other; the hypervisor's
# base (guest memory, I/O bus, event loop) includes no arch/, devices/ or
# vmm/ header, arch/ and devices/ none of vmm/; no card includes a
# hypervisor header, and the hypervisor none of the cards' (the card
# interface is iface/).
declare -A allowed=(
	[common]="common"
	[iface]="common iface"
	[virtio]="common virtio"
	[vhost]="common virtio vhost"
	[jail]="common jail"
	[base]="common base"
	[arch]="common base arch"
	[devices]="common base virtio devices"
	[cards]="common iface virtio vhost jail cards"
	[api]="common iface virtio vhost jail base arch devices api vmm"
	[vmm]="common iface virtio vhost jail base arch devices api vmm"
	[jailer]="common jailer"
	[tools]="common tools"
)
checked=0 before=$status status=0
for dir in "${!allowed[@]}"; do
	[ -d "src/$dir" ] || { echo "check-boundary: src/$dir: no such folder" >&2; status=1; continue; }
	while IFS= read -r hit; do
		[ -n "$hit" ] || continue
		top=$(sed -E 's/^[^:]*:[0-9]+:[[:space:]]*#[[:space:]]*include[[:space:]]*"([^/"]*)\/.*/\1/' <<<"$hit")
		[[ " ${allowed[$dir]} " == *" $top "* ]] && continue
		echo "check-boundary: src/$dir may not include $top/: $hit" >&2
		status=1
	done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^/"]+/' "src/$dir" \
		--include='*.[ch]' || true)
	checked=$((checked + $(find "src/$dir" -name '*.[ch]' | wc -l)))
done
[ "$status" -ne 0 ] || echo "ok: every folder includes only what its side may ($checked files checked)"
[ "$before" -eq 0 ] || status=1
exit "$status"
