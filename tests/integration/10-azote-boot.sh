#!/usr/bin/env bash
# needs: kvm
# Issue 2: azote boots the probe guest with 1, 2, 4 and 32 vCPUs, with
# 64 MiB and with 3.5 GiB (RAM above the 4 GiB hole); the probe's banner
# reports the CPUs it brought up and the memory it was given.
. "$(dirname "$0")/../lib/common.sh"
require_kvm

run_hello() { # CPUS MEMORY MIB
	local out
	out=$("$ROOT/tests/lib/probe-run" --vmm azote --cpus "$1" --memory "$2" --timeout 120 2>&1)
	local rc=$?
	expect_eq "azote cpus=$1 memory=$2: probe-run status" "$rc" 0
	expect_match "azote cpus=$1 memory=$2: banner" "$out" \
		"PROBE hello PASS cpus=$1 mem_mib=$3( |$)"
	[ "$rc" = 0 ] || echo "$out"
}

for cpus in 1 2 4; do
	run_hello "$cpus" 64M 64
done
run_hello 2 3584M 3584
run_hello 32 256M 256
finish
