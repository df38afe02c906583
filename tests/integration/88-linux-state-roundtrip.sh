#!/usr/bin/env bash
# needs: kvm
# Issue 16 (snapshots), the machine-state slice, with Linux: while a
# 2-vCPU Linux guest boots and runs its boot and smp checks, the host
# pauses and resumes it again and again through the API, and each pause
# saves the whole machine state and loads it back into the same VM
# (AZOTE_DEBUG_STATE_ROUNDTRIP=load, src/vmm/instance.c; --no-seccomp, as
# loading into a running VM issues KVM's SET ioctls on the event loop).
# Linux's timers (LAPIC, TSC deadline, kvmclock), its interrupts (IOAPIC,
# PIC, UART), its AP start-up (INIT/SIPI: MP state) and whatever a vCPU
# was doing when paused must survive: the checks pass and azote ends with
# status 0. Test 18 does the same, seccomp on, with a tiny guest; test 89
# with Debian's stock kernel.
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
. "$(dirname "$0")/../linux-guest/lib/state_roundtrip.sh"
require_kvm
require curl
lg_itest_init
need_built "$AZOTE"

lg_state_roundtrip --cpus 2 --memory 256M --checks boot,smp --timeout 600
finish
