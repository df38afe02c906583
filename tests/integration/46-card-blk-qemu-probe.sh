#!/usr/bin/env bash
# QEMU (q35) with azote-card-blk as its vhost-user-blk back-end, judged by
# the probe guest's block tests (blk-info, blk-verify, and blk-bench as a
# smoke run). QEMU runs with KVM where /dev/kvm is usable, else with its
# TCG.
. "$(dirname "$0")/../lib/cards.sh"
. tests/lib/probe-common.sh
require_qemu

img=$TMP/disk.img
truncate -s 64M "$img"
start_card_blk "$TMP/blk.sock" --image "$img" --queues 1
for t in blk-info blk-verify blk-bench; do
	echo "-- probe $t"
	if "$PROBE_RUN" --vmm qemu-q35 --vhost-user-blk "$TMP/blk.sock" --timeout 120 \
		--log "$TMP/vm.log" -- "probe.test=$t"; then
		pass "probe $t under QEMU with the card"
	else
		fail "probe $t under QEMU with the card"
		tail -n 20 "$TMP/vm.log" "$TMP/card.log"
	fi
	expect_card_alive "the card serves on after $t"
done
finish
