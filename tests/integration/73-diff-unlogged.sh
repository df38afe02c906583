#!/usr/bin/env bash
# needs: kvm
# Diff snapshots and a vhost-user back-end that does not log what it
# writes into guest memory (docs/snapshot.md, "Diff snapshots"): an
# azote-card-blk behind tests/host/vu_nolog_proxy.c, which takes its offer
# to log out of its answers, serves the probe's persist test as an
# external back-end (a drive with a `socket`) in a VM that tracks dirty
# pages. A Diff is refused while the device runs, and still once the
# probe has reset the device and stopped using it: the card wrote read
# data and used entries into guest memory since the last snapshot, which
# no record holds, so a Diff would restore a stale guest (before this
# test, that Diff was taken). A Full snapshot is taken either way, and
# after one, with the device still reset, a Diff is taken again.
. "$(dirname "$0")/../lib/api.sh"
. "$(dirname "$0")/../lib/snapshot.sh"
. "$(dirname "$0")/../lib/cards.sh"
require_kvm
require curl
PROXY=$BUILD/tests/vu-nolog-proxy
need_built "$AZOTE" "$PROBE_ELF" "$CARD_BLK" "$PROXY"

truncate -s 1M "$TMP/disk.img"
"$CARD_BLK" --socket "$TMP/card.sock" --image "$TMP/disk.img" 2>"$TMP/card.err" &
kill_at_exit $!
wait_socket "$TMP/card.sock" || finish
"$PROXY" "$TMP/vu.sock" "$TMP/card.sock" 2>"$TMP/proxy.err" &
kill_at_exit $!
wait_socket "$TMP/vu.sock" || finish

# create TYPE NAME: a PUT /snapshot/create body for $TMP/NAME.{snap,mem}.
create() { snap_body "$1" "$TMP/$2.snap" "$TMP/$2.mem"; }
REFUSED="cannot take a Diff snapshot: virtio-blk d0's vhost-user back-end does not log the guest memory it writes (VHOST_F_LOG_ALL with LOG_SHMFD) and has run since the last snapshot: take a Full snapshot"

echo "--- the persist test on a back-end that does not log, dirty pages tracked"
API_SOCK=$TMP/a.sock
start first --api-sock "$API_SOCK" --enable-pci
wait_socket "$API_SOCK" || finish
api_expect 204 '' PUT /boot-source "{\"kernel_image_path\": \"$PROBE_ELF\",
	\"boot_args\": \"probe.test=persist probe.rounds=4 probe.pause_ms=1000 probe.irq=1 probe.hold=1\"}"
api_expect 204 '' PUT /drives/d0 "{\"drive_id\": \"d0\", \"socket\": \"$TMP/vu.sock\",
	\"is_root_device\": false}"
api_expect 204 '' PUT /machine-config \
	'{"vcpu_count": 1, "mem_size_mib": 128, "track_dirty_pages": true}'
api_expect 204 '' PUT /actions '{"action_type": "InstanceStart"}'
expect_match "azote says at start that such a device rules out Diffs" \
	"$(cat "$TMP/first.err")" "d0: its vhost-user back-end cannot log the guest memory it writes"

wait_for "$TMP/first.out" "PROBE persist: round 1 ok" 120 ||
	die "the probe did not reach round 1: $(tail -5 "$TMP/first.out") $(tail -5 "$TMP/first.err")"
api_expect 204 '' PATCH /vm '{"state": "Paused"}'
api_expect 400 "$REFUSED" PUT /snapshot/create "$(create Diff running)"
api_expect 204 '' PUT /snapshot/create "$(create Full full1)"
api_expect 204 '' PATCH /vm '{"state": "Resumed"}'

echo "--- the probe done, its device reset and left so: the card wrote since the Full"
wait_for "$TMP/first.out" "PROBE hold" 120 ||
	die "the probe did not finish: $(tail -5 "$TMP/first.out") $(tail -5 "$TMP/first.err")"
expect_match "the probe passed on the proxied back-end" "$(cat "$TMP/first.out")" \
	"PROBE persist PASS .*counter=4 irq=msix"
api_expect 204 '' PATCH /vm '{"state": "Paused"}'
api_expect 400 "$REFUSED" PUT /snapshot/create "$(create Diff reset)"
expect_eq "no file left by the refused Diff" "$(ls "$TMP"/reset.* 2>/dev/null)" ""

echo "--- after a Full, nothing unrecorded: a Diff again"
api_expect 204 '' PUT /snapshot/create "$(create Full full2)"
api_expect 204 '' PUT /snapshot/create "$(create Diff diff)"
expect_eq "the Diff's memory file is the size of RAM" "$(stat -c %s "$TMP/diff.mem")" $((128 << 20))
expect_eq "the proxy passed every message (no complaint)" "$(cat "$TMP/proxy.err")" ""
finish
