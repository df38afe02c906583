#!/usr/bin/env bash
# needs: box
# Issue 16 (snapshots), the machine-state slice, with Linux: while a
# 2-vCPU Linux guest boots and runs its checks, the host pauses and
# resumes it every 0.2 s through the API, and each pause saves the whole
# machine state and loads it back into the same VM
# (AZOTE_DEBUG_STATE_ROUNDTRIP=load, src/vmm/instance.c; --no-seccomp, as
# loading into a running VM issues KVM's SET ioctls on the event loop).
# Linux's timers (LAPIC, TSC deadline, kvmclock), its interrupts (IOAPIC,
# PIC, UART), its AP start-up (INIT/SIPI: MP state) and whatever a vCPU
# was doing when paused must survive: the checks pass and azote ends with
# status 0. First the test kernel (boot, smp), then Debian's stock kernel
# (kvmclock and its PV MSRs, x2APIC, ACPI: boot, smp, acpi), which is why
# this runs in the box (as test 86). Test 18 does the same, seccomp on,
# with a tiny guest.
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
. "$(dirname "$0")/../linux-guest/lib/state_roundtrip.sh"
require_kvm
require curl

echo "--- test kernel, vmlinux"
lg_itest_init
need_built "$AZOTE"
lg_state_roundtrip --cpus 2 --memory 256M --checks boot,smp --timeout 600

echo "--- stock kernel, bzImage"
export LINUX_GUEST=stock
lg_itest_init
lg_state_roundtrip --kernel bzImage --cpus 2 --checks boot,smp,acpi --timeout 600 \
	--log "$TMP/console"
grep -aE 'kvm-clock: Using|Switched to clocksource|x2apic enabled' "$TMP/console" |
	tr -d '\r' | sed 's/^/    console: /'
finish
