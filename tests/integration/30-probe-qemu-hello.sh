#!/usr/bin/env bash
# The probe guest boots under QEMU (a VMM nobody here wrote) through the
# PVH entry: it must find every vCPU and exactly the RAM it was given, on
# both sides of the 4 GiB hole, and end the VM itself.
set -uo pipefail
cd "$(dirname "$0")/../.."
run=tests/lib/probe-run

command -v qemu-system-x86_64 >/dev/null || { echo "skip: no qemu-system-x86_64"; exit 77; }
[ -w /dev/kvm ] || { echo "skip: no usable /dev/kvm"; exit 77; }
[ -r build/probe.elf ] || { echo "build/probe.elf missing: run make"; exit 1; }

out=$(mktemp /tmp/probe-hello.XXXXXX)
trap 'rm -f "$out"' EXIT
failed=0

# check VMM CPUS MEMORY MIB
check() {
	local vmm=$1 cpus=$2 mem=$3 mib=$4 line
	if ! $run --vmm $vmm --cpus "$cpus" --memory "$mem" --timeout 60 >"$out"; then
		echo "FAIL $vmm cpus=$cpus mem=$mem: probe-run failed"; cat "$out"
		failed=1; return
	fi
	line=$(grep '^PROBE hello ' "$out")
	if [ "$line" != "PROBE hello PASS cpus=$cpus mem_mib=$mib user=ok" ]; then
		echo "FAIL $vmm cpus=$cpus mem=$mem: got '$line'"; failed=1; return
	fi
	# every vCPU announced itself once, by its own APIC id
	if [ "$(grep -c '^PROBE cpu apic=[0-9]* online' "$out")" != "$cpus" ]; then
		echo "FAIL $vmm cpus=$cpus: wrong number of 'cpu online' lines"
		cat "$out"; failed=1; return
	fi
	echo "ok   $vmm cpus=$cpus mem=$mem: $line"
}

for cpus in 1 2 4; do
	for mem in 64M:64 3584M:3584; do
		check qemu-microvm "$cpus" "${mem%:*}" "${mem#*:}"
	done
done
# q35 lays memory out differently (2 GiB low); with qboot and SeaBIOS.
check qemu-q35 4 3584M 3584
check "qemu-q35 --bios default" 2 3584M 3584

# The runner must report failures: an unknown test is a FAIL line (1).
$run --vmm qemu-microvm -- probe.test=no-such-test >"$out"
rc=$?
if [ "$rc" != 1 ] || ! grep -q '^PROBE unknown FAIL reason=unknown_test' "$out"; then
	echo "FAIL: unknown test gave rc=$rc"; cat "$out"; failed=1
else
	echo "ok   unknown test is reported as FAIL"
fi
exit $failed
