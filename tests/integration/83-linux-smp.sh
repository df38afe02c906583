#!/usr/bin/env bash
# needs: kvm
# A 2-vCPU Linux guest on azote brings up both CPUs (Linux's own AP
# start-up through INIT/SIPI, from azote's MP table).
# On the development machines Linux must not use KVM's PV send-IPI
# hypercall (VMMCALL, which their emulated ring 0 cannot run; the vCPU
# spins on it for ever): run.sh boots the test kernel with the CPU template
# docs/cpu-templates/no-kvm-pv-hypercalls.json. See
# tests/linux-guest/README.md.
set -euo pipefail
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
lg_need_kvm
lg_itest_init
lg_need_azote

lg_run --vmm azote --cpus 2 --checks boot,smp
