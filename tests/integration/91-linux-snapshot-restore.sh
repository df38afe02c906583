#!/usr/bin/env bash
# needs: box
# Issue 16 with Linux: a snapshot taken while the guest works, loaded in a
# new process. The guest (a disk, a NIC on a TAP) writes numbered,
# checksummed blocks to its disk with O_DIRECT and fdatasync and pings the
# host between them (the init's snap check); meanwhile the host pauses it,
# snapshots it through the API, kills azote and its cards, and loads the
# snapshot in a new azote (resume_vm) on the same console and TAP. Linux
# carries on: every block it reported written reads back with its
# checksum (and the image agrees), the host answers its pings after the
# restore with the ARP entry it had, and its kernel logged no warning;
# Debian's kernel also reseeds its random generator, told of a new VM
# generation ID.
# First the test kernel on 2 vCPUs with a NIC of 2 queue pairs, which
# Linux puts in use at probe and never chooses again: before the snapshot
# and after the restore, pings from each vCPU must have replies come in on
# pair 1 too (the new card told the pairs in use, NET_PAIRS); then
# Debian's stock kernel, on 1 vCPU and 1 pair, which is why this runs in
# the box (as tests 86 and 88).
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
. "$(dirname "$0")/../lib/snapshot-api.sh"
. "$(dirname "$0")/../linux-guest/lib/snapshot_restore.sh"
require_kvm
require_root "a network namespace and a TAP"
lg_itest_init
need_built "$AZOTE"

# 80 blocks, 100 ms apart at least: a loop of 8 s or more, so that the
# pause lands mid-loop even on a slow, busy box (at 40, one CI's box may
# have let the loop end first; it failed there twice, reason not printed).
echo "--- test kernel, vmlinux, 2 vCPUs, 2 queue pairs"
lg_snapshot_restore 80 --timeout 400 --cpus 2 --net-queues 2
expect_match "2 queue pairs in use before the snapshot and after the restore: replies on pair 1" \
	"$(grep -a '^LINUX snap ' "$TMP/out")" \
	'mq_before=16/16,pair1_irqs=[1-9][0-9]* .* mq_after=16/16,pair1_irqs=[1-9]'

echo "--- stock kernel, bzImage"
export LINUX_GUEST=stock
lg_itest_init
lg_snapshot_restore 80 --kernel bzImage --timeout 600
finish
