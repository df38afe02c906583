#!/usr/bin/env bash
# needs: kvm
# Issue 14: Firecracker's PATCH of a drive's path_on_host, seen by Linux.
# The test kernel boots with an 8 MiB disk and waits; the host PATCHes the
# drive to a 16 MiB image through the API; Linux's virtio-blk driver takes
# the configuration change interrupt, reads the new capacity
# (/sys/block/vda/size) and reads the new image's last 4 KiB, past the old
# end, as the host wrote them.
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
require_kvm
require curl
lg_itest_init
need_built "$AZOTE"

truncate -s 8M "$TMP/small.img"
truncate -s 16M "$TMP/big.img"
head -c 4096 /dev/urandom | dd of="$TMP/big.img" bs=4096 seek=$((16 * 256 - 1)) conv=notrunc status=none
patch="curl -s --unix-socket $TMP/api.sock -X PATCH http://localhost/drives/d0 \
	-H 'Content-Type: application/json' \
	-d '{\"drive_id\": \"d0\", \"path_on_host\": \"$TMP/big.img\"}' -o $TMP/patch.out \
	-w '%{http_code}' >$TMP/patch.code"
lg_run --vmm azote --checks boot,blkgrow --drive "$TMP/small.img" \
	--vmm-arg --api-sock --vmm-arg "$TMP/api.sock" --append "lg.blkgrow=vda:32768" \
	--when 'LINUX blkgrow-wait' "$patch"
expect_eq "PATCH /drives/d0 answered" "$(cat "$TMP/patch.code")" 204
expect_eq "the new image's last 4 KiB, as Linux read them past the old end: crc" \
	"$(lg_result blkgrow tail_crc)" "$(lg_crc32 "$TMP/big.img" $((16 * 1048576 - 4096)) 4096)"
finish
