#!/usr/bin/env bash
# Lazy snapshot loading without KVM: two processes map one memfd and each
# serves its own missing pages from the memory file with a userfaultfd of
# its own (src/common/uffd_pager.c), as azote and its cards do on a restore
# (docs/snapshot.md, "Memory"). Both must read the file's bytes, and each
# page must be copied in once between them. Then --prefetch-mem's prefetch
# (tests/host/uffd_share.c --prefetch): a file with a hole, the data all in
# and the hole left out, every page right once the pager has ended.
. "$(dirname "$0")/../lib/common.sh"

PROG=$BUILD/tests/uffd-share
need_built "$PROG"
modes=("" --prefetch)
# Guest RAM on 2 MiB pages (huge_pages "2M"): whole huge pages loaded. The
# pool is the host's: root's to size.
if [ "$(id -u)" -ne 0 ]; then
	echo "note: not root: guest RAM on huge pages not tried (the host's pool is root's)"
elif huge_pages_free 8; then
	modes+=(--huge)
fi
for mode in "${modes[@]}"; do
	out=$(timeout 60 "$PROG" $mode 2>&1)
	case $? in
	0) pass "${out//uffd-share: /}" ;;
	77) skip "no userfaultfd for this user here: $out" ;;
	*) die "uffd-share $mode: $out" ;;
	esac
done
finish
