#!/usr/bin/env bash
# needs: kvm
# A 2-vCPU Linux guest on azote brings up both CPUs (Linux's own AP
# start-up through INIT/SIPI, from azote's MP table).
# On the development machines Linux must not use KVM's PV send-IPI
# hypercall (VMMCALL, which their emulated ring 0 cannot run; the vCPU
# spins on it for ever): run.sh boots the test kernel with the CPU template
# docs/cpu-templates/no-kvm-pv-hypercalls.json. See
# tests/linux-guest/README.md.
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
require_kvm
lg_itest_init
need_built "$AZOTE"

lg_run --vmm azote --cpus 2 --checks boot,smp
finish
