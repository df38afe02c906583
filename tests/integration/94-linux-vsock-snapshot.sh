#!/usr/bin/env bash
# needs: box
# A vsock across a snapshot, with Debian's stock kernel (LINUX_GUEST=stock:
# its vmw_vsock_virtio_transport module), over virtio-pci and virtio-mmio.
# The guest (the init's vsnap check) listens on vsock port 5001, connects
# to the host's port 5000 (the card joins it to <uds>_5000, where the host
# answers upper-cased) and keeps that connection open; the host snapshots
# the VM then, kills azote and its cards, and loads the snapshot in a new
# azote with Firecracker's vsock_override, the vsock's socket moved to a
# new path. The restored card sends the guest a TRANSPORT_RESET, as
# Firecracker's device does after a restore: the guest's connection ends,
# reset (ECONNRESET), while its listener stays; then the guest connects to
# port 5000 again, now served on <new uds>_5000, and the host connects to
# its port 5001 through <new uds> (CONNECT), on the listener it had before
# the snapshot. The old path is left alone: nothing connects to
# <old uds>_5000 again and nothing listens on <old uds>. The card runs
# confined as nobody, as azote starts it when root. Last, vsock_override
# on a snapshot without a vsock (the probe's) is refused, naming the vsock.
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
. "$(dirname "$0")/../lib/snapshot.sh"
. "$(dirname "$0")/../linux-guest/lib/snapshot_restore.sh"
export LINUX_GUEST=stock
require_kvm
require_root "the card confined as nobody, as azote runs it as root"
require curl
lg_itest_init
need_built "$AZOTE" "$BUILD/azote-card-vsock" "$PROBE_ELF"

for transport in pci mmio; do
	echo "--- azote, stock bzImage, vsock over virtio-$transport, snapshotted and moved"
	# The card, as nobody, connects to <new uds>_5000 in this directory.
	moved=$TMP/moved-$transport
	mkdir -m 0755 "$moved"
	lg_snap_start 'LINUX vsnap-go' --kernel bzImage --transport "$transport" \
		--checks boot,vsnap --vsock-moved "$moved/v.sock" --timeout 600
	lg_snap_take
	lg_snap_load "\"vsock_override\": {\"uds_path\": \"$moved/v.sock\"}"
	lg_snap_end
	# Linux's TRANSPORT_RESET handler leaves a connected socket closed with
	# sk_err ECONNRESET and no SOCK_DONE, so a read after it says ENOTCONN
	# and SO_ERROR says ECONNRESET; the card's RST or SHUTDOWN (the host
	# end closed) would end it in order instead: read 0, SO_ERROR 0. The
	# card says so at info level, which the restored azote's logger (its
	# --log-path, Firecracker's default level) hands its cards.
	expect_match "the guest's connection from before the snapshot was reset after the load" \
		"$(lg_result vsnap ended)" '^read:ENOTCONN,so_error:ECONNRESET$'
	expect_match "the restored card sent the TRANSPORT_RESET" "$(cat "$TMP/console")" \
		'azote-card-vsock: info: vsock: transport reset sent to the guest'
	expect_match "the guest exchanged before, and both ways after the load" \
		"$(lg_result vsnap before) $(lg_result vsnap after) $(lg_result vsnap in)" \
		'^5000:20000 5000:20000 5001:20000$'
	expect_match "the host: the first connection held to the end, the new path both ways" \
		"$(grep -a 'vsock-host:' "$TMP/out")" \
		"before the snapshot guest-initiated ok .* on $moved/v.sock guest-initiated ok, host-initiated ok;"
	expect_match "the old path: nothing listens on it, nothing connected to its _5000 again" \
		"$(grep -a 'vsock-host:' "$TMP/out")" 'old path: [^ ]* not listening .*, 0 connection'
done

echo "--- vsock_override on a snapshot without a vsock"
API_SOCK=$TMP/p.sock
run_to_round3 12
snap_create "$TMP/novsock.snap" "$TMP/novsock.mem"
snap_kill "$pid"
API_SOCK=$TMP/q.sock
start second --api-sock "$API_SOCK"
wait_socket "$API_SOCK"
api_expect 400 'the snapshot has no vsock device' PUT /snapshot/load "{\"snapshot_path\": \"$TMP/novsock.snap\",
	\"mem_backend\": {\"backend_type\": \"File\", \"backend_path\": \"$TMP/novsock.mem\"},
	\"vsock_override\": {\"uds_path\": \"$TMP/nowhere.sock\"}}"
api_expect 200 '"state":"Not started"' GET /
finish
