#!/usr/bin/env bash
# needs: kvm
# Linux's virtio-blk driver on azote's block card: /dev/vda has the image's
# size, 4 MiB written with O_DIRECT, fsynced and read back match, and the
# host finds the same bytes in the image afterwards; a read-only drive is
# read-only to Linux, refuses writes and stays unchanged. Its queues
# interrupt through MSI-X, and the counts rise (irq check).
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
require_kvm
lg_itest_init
need_built "$AZOTE"

lg_make_disks
lg_run --vmm azote --checks boot,blk,blkro,irq \
	--drive "$TMP/rw.img" --drive "$TMP/ro.img,ro"
lg_check_disks
finish
