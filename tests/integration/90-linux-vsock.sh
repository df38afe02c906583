#!/usr/bin/env bash
# needs: box
# Debian's stock kernel talks vsock to the host through azote's vsock card
# (LINUX_GUEST=stock: its vmw_vsock_virtio_transport module, unpatched):
# the guest reads its CID from /dev/vsock, connects to the host's port 5000
# (the card joins it to the Unix socket <uds>_5000, where the host answers
# upper-cased) and accepts the host's connection to its port 5001 (the host
# writes "CONNECT 5001" on <uds> and reads "OK <port>"), 20000 bytes each
# way, over virtio-pci and over virtio-mmio. The card runs confined as
# nobody, as azote starts it when root.
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
export LINUX_GUEST=stock
require_kvm
lg_itest_init
need_built "$AZOTE" "$BUILD/azote-card-vsock"
require_root "the card confined as nobody, as azote runs it as root"

for transport in pci mmio; do
	echo "--- azote, stock bzImage, vsock over virtio-$transport"
	lg_run --vmm azote --kernel bzImage --transport "$transport" --checks boot,vsock \
		--vsock --timeout 600 --log "$TMP/console"
	expect_match "the guest's CID is the one given" "$(lg_result vsock cid)" '^3$'
	expect_match "guest-initiated and host-initiated exchanges" \
		"$(grep -a 'vsock-host:' "$TMP/out")" 'guest-initiated ok, host-initiated ok'
done
finish
