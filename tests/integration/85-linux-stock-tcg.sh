#!/usr/bin/env bash
# LINUX_GUEST=stock, the switch users on real VT-x/AMD-V hosts take: a stock
# Debian kernel, unpatched, with no emulator workaround arguments, its
# virtio drivers loaded as modules by the same init. KVM here cannot run a
# stock kernel's ring 0, so this proves the stock path under QEMU's
# software CPU (TCG) instead: every check passes, bzImage and the vmlinux
# unpacked from it (PVH entry) alike, QEMU's virtio-rng (the peer of
# azote's entropy device, test 93) included, QEMU's virtio-pmem-pci (the
# peer of azote's persistent memory device, test 97: the guest's pattern
# reaches the file), and QEMU's virtio-balloon (the
# reference for azote's balloon, test 95: the guest's MemTotal falls by the
# balloon's size and comes back, the guest RAM memfd gives most of it
# back, the guest's statistics show it). Booting is quick there, so this test
# also shows that each check can fail: told wrong values or given a
# writable "read-only" drive and devices without MSI-X, the guest reports
# FAIL with the reason.
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
export LINUX_GUEST=stock
lg_itest_init
require_root "a network namespace and a TAP"

lg_make_disks
echo "--- stock bzImage, 2 vCPUs, every device (QEMU TCG)"
lg_run --vmm qemu --tcg --kernel bzImage --cpus 2 \
	--checks boot,blk,blkro,net,rng,irq,smp \
	--drive "$TMP/rw.img" --drive "$TMP/ro.img,ro" --net --rng
lg_check_disks
expect_match "QEMU's virtio-rng is the kernel's hardware RNG" "$(lg_result rng current)" \
	'^virtio_rng\.0$'
echo "--- stock bzImage, a virtio-balloon inflated to 64 MiB and deflated (QEMU TCG)"
lg_run --vmm qemu --tcg --kernel bzImage --memory 256M --checks boot,balloon --balloon 64
expect_eq "MemTotal fell by the balloon's size, KiB" "$(lg_result balloon fell_kib)" 65536
expect_eq "MemTotal came back" "$(lg_result balloon after_kib)" "$(lg_result balloon before_kib)"
expect_eq "QEMU's actual balloon size" "$(lg_balloon_host actual_mib)" 64
fell=$(lg_balloon_host ram_fell_kib)
expect_ok "the memfd gave back at least half the balloon ($fell KiB of 65536)" \
	test "${fell:-0}" -ge 32768
expect_eq "the guest's statistics: total memory is its MemTotal with the balloon" \
	"$(lg_balloon_host stats_total_memory)" "$(( $(lg_result balloon inflated_kib) << 10 ))"
echo "--- stock bzImage, QEMU's virtio-pmem-pci on a 6 MiB file (QEMU TCG)"
head -c 6M /dev/urandom > "$TMP/pmem.img"
lg_run --vmm qemu --tcg --kernel bzImage --checks boot,pmem --pmem "$TMP/pmem.img"
expect_eq "the file holds what the guest wrote (CRC-32)" \
	"$(lg_crc32 "$TMP/pmem.img" "$(lg_result pmem offset)" "$(lg_result pmem written)")" \
	"$(lg_result pmem wcrc)"
echo "--- stock vmlinux, PVH entry (QEMU TCG)"
lg_run --vmm qemu --tcg --kernel vmlinux --checks boot

echo "--- every check fails when it should (run.sh --wrong)"
rc=0
"$LG_RUN" --vmm qemu --tcg --kernel bzImage --cpus 2 \
	--checks boot,blk,blkro,net,rng,irq,smp,balloon,pmem \
	--drive "$TMP/rw.img" --drive "$TMP/ro.img,ro" --net --rng --balloon 64 --pmem "$TMP/pmem.img" \
	--wrong mem,cmdline,echo,blk,ro,mac,cpus,irq,rng,balloon,pmem > "$TMP/out" 2>&1 || rc=$?
cat "$TMP/out"
[ "$rc" -ne 0 ] || fail "the guest passed checks it was set up to fail"
for want in "boot FAIL mem_seen=.* cmdline=mismatch .*echo=mismatch" \
	"blk FAIL .*want_sectors=" "blkro FAIL .*ro=0 .*write=accepted" \
	"net FAIL mac=.* want_mac=" "rng FAIL current=virtio_rng.0 want_current=virtio_rng.1" \
	"irq FAIL .*msix=no" "smp FAIL online=0-1 want_online=0-2" \
	"balloon FAIL .*deflate_on_oom=1 .*want_deflate_on_oom=0" \
	"pmem FAIL .*size=6291456 want_size=8388608"; do
	expect_match "fails with its reason: $want" "$(cat "$TMP/out")" "^LINUX $want"
done
finish
