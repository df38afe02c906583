#!/usr/bin/env bash
# The probe's virtio-pmem client (virtio 1.3 5.19) against QEMU's own
# virtio-pmem-pci on q35 (microvm has none), the reference azote's pmem
# device must match (78 runs the same suite against azote): each region
# a file QEMU maps shared, so that what the guest writes is in the file
# once QEMU has exited. The suite (tests/lib/pmem.sh): the region where
# and as large as the host says, the file's bytes in it (CRC-32), a
# seeded pattern written and found in the file, nothing else changed,
# flushes answered; read-only, the file unchanged, writes dropped; what
# the host said checked, and the checks failing when it is wrong; two
# devices. Then no device, and what probe-run refuses for QEMU. QEMU runs
# with KVM where /dev/kvm is usable, else with its TCG.
. "$(dirname "$0")/../lib/pmem.sh"
require_qemu

PROBE_LINE_ALSO='^PROBE pmem (PASS|FAIL) transport=pci pci=00:[0-9a-f]{2}\.[0-7] '
q=(--vmm qemu-q35 --timeout 90)
pmem_checks "${q[@]}"
# The region after RAM that reaches above 4 GiB (q35 puts 2 GiB of 3
# below 4 GiB, the rest above): the probe maps it beyond high RAM.
pmem_file "$TMP/high.img" 2
expect_probe pmem-above-ram 0 'PASS .*start=0x[0-9a-f]+ size=2097152 .*flush=ok ' -- \
	"${q[@]}" --memory 3G --pmem "$TMP/high.img" -- probe.test=pmem probe.size=2M \
	probe.crc="$(crc_of "$TMP/high.img")"
[ $(($(field start))) -ge $((5 << 30)) ] &&
	pass "pmem-above-ram: the region at $(field start), after RAM's top at 5 GiB" ||
	fail "pmem-above-ram: the region at '$(field start)', inside RAM's span"

# No pmem device (a disk is none): a FAIL that says so.
PROBE_LINE_ALSO=""
truncate -s 1M "$TMP/disk.img"
expect_probe pmem-none 1 'FAIL transport=pci reason=no_virtio_pmem pci_functions=[0-9]+$' -- \
	"${q[@]}" --disk "$TMP/disk.img" -- probe.test=pmem probe.size=2M probe.crc=0
# probe-run refuses what QEMU cannot do: microvm has no virtio-pmem, and
# QEMU maps a file whole, so its size must be 2 MiB aligned.
expect_probe pmem-microvm 2 '^$' -- --vmm qemu-microvm --pmem "$TMP/high.img" -- probe.test=pmem
expect_match pmem-microvm "$(cat "$TMP/probe.err")" "microvm has no virtio-pmem"
truncate -s 3M "$TMP/odd.img"
expect_probe pmem-odd-size 2 '^$' -- "${q[@]}" --pmem "$TMP/odd.img" -- probe.test=pmem
expect_match pmem-odd-size "$(cat "$TMP/probe.err")" "3145728 bytes: QEMU needs a multiple of 2 MiB"
finish
