#!/usr/bin/env bash
# needs: box
# Test 88 with Debian's stock kernel (as test 86 boots it): kvmclock, the
# PV MSRs (steal time, PV EOI, async page faults), x2APIC, ACPI; paused
# and resumed every 0.2 s, each pause saving the machine state and
# loading it back into the same VM, while it runs its boot, smp and acpi
# checks with 2 vCPUs.
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
. "$(dirname "$0")/../linux-guest/lib/state_roundtrip.sh"
export LINUX_GUEST=stock
require_kvm
require curl
lg_itest_init
need_built "$AZOTE"

lg_state_roundtrip --kernel bzImage --cpus 2 --checks boot,smp,acpi --timeout 600 \
	--log "$TMP/console"
grep -aE 'clocksource|kvm-clock|x2apic' "$TMP/console" | tr -d '\r' | head -8 | sed 's/^/    console: /'
finish
