#!/usr/bin/env bash
# needs: kvm
# azote boots the Linux test guest both ways the x86 boot protocols allow:
# the ELF vmlinux through its PVH entry (hvm_start_info) and the bzImage
# through the 64-bit boot protocol (zero page). Both reach init, and
# Linux's view passes the boot check: the RAM in the e820 map is what was
# asked, the command line arrived intact, the console works both ways, and
# the LAPIC timer runs in TSC-deadline mode (KVM reports it by capability,
# azote shows it in CPUID).
# See tests/linux-guest/README.md.
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
require_kvm
lg_itest_init
need_built "$AZOTE"

echo "--- vmlinux, PVH entry, 256 MiB"
lg_run --vmm azote --kernel vmlinux --memory 256M --checks boot,smp
expect_eq "the boot CPU's timer" "$(lg_result boot timer)" lapic-deadline
echo "--- bzImage, 64-bit boot protocol, 128 MiB"
lg_run --vmm azote --kernel bzImage --memory 128M --checks boot
finish
