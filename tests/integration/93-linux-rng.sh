#!/usr/bin/env bash
# needs: box
# Debian's stock kernel takes azote's entropy device (azote-card-rng,
# Firecracker's PUT /entropy) as its hardware RNG (LINUX_GUEST=stock: its
# virtio_rng module, unpatched): /sys/class/misc/hw_random names
# virtio_rng.0 current and /dev/hwrng gives 4096 random bytes, over
# virtio-pci and over virtio-mmio. (Test 85 runs the same check against
# QEMU's virtio-rng, and shows that it fails when told to expect another
# device.)
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
export LINUX_GUEST=stock
require_kvm
lg_itest_init
need_built "$AZOTE" "$BUILD/azote-card-rng"

for transport in pci mmio; do
	echo "--- azote, stock bzImage, entropy over virtio-$transport"
	lg_run --vmm azote --kernel bzImage --transport "$transport" --checks boot,rng --rng \
		--timeout 600 --log "$TMP/console"
	expect_match "the virtio-rng is the kernel's hardware RNG" "$(lg_result rng current)" \
		'^virtio_rng\.0$'
	expect_match "4096 bytes from /dev/hwrng" "$(lg_result rng bytes)" '^4096$'
done
finish
