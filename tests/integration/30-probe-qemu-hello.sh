#!/usr/bin/env bash
# The probe guest boots under QEMU (a VMM nobody here wrote) through the
# PVH entry: it must find every vCPU and exactly the RAM it was given, on
# both sides of the 4 GiB hole, and end the VM itself. QEMU runs with KVM
# where /dev/kvm is usable, else with its TCG.
. "$(dirname "$0")/../lib/probe-common.sh"
require_qemu
out=$TMP/hello.out

# check_hello VMM CPUS MEMORY MIB
check_hello() {
	local vmm=$1 cpus=$2 mem=$3 mib=$4 line
	# shellcheck disable=SC2086 # VMM may carry an option
	if ! "$PROBE_RUN" --vmm $vmm --cpus "$cpus" --memory "$mem" --timeout 60 >"$out"; then
		fail "$vmm cpus=$cpus mem=$mem: probe-run failed"; cat "$out"
		return
	fi
	line=$(grep '^PROBE hello ' "$out")
	if [ "$line" != "PROBE hello PASS cpus=$cpus mem_mib=$mib user=ok" ]; then
		fail "$vmm cpus=$cpus mem=$mem: got '$line'"; return
	fi
	# every vCPU announced itself once, by its own APIC id
	if [ "$(grep -c '^PROBE cpu apic=[0-9]* online' "$out")" != "$cpus" ]; then
		fail "$vmm cpus=$cpus: wrong number of 'cpu online' lines"
		cat "$out"; return
	fi
	pass "$vmm cpus=$cpus mem=$mem: $line"
}

for cpus in 1 2 4; do
	for mem in 64M:64 3584M:3584; do
		check_hello qemu-microvm "$cpus" "${mem%:*}" "${mem#*:}"
	done
done
# q35 lays memory out differently (2 GiB low); with qboot and SeaBIOS.
check_hello qemu-q35 4 3584M 3584
check_hello "qemu-q35 --bios default" 2 3584M 3584

# The runner must report failures: an unknown test is a FAIL line (1).
"$PROBE_RUN" --vmm qemu-microvm -- probe.test=no-such-test >"$out"
rc=$?
if [ "$rc" != 1 ] || ! grep -q '^PROBE unknown FAIL reason=unknown_test' "$out"; then
	fail "unknown test gave rc=$rc"; cat "$out"
else
	pass "unknown test is reported as FAIL"
fi
finish
