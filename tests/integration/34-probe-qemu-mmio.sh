#!/usr/bin/env bash
# The probe's virtio-mmio client (virtio 1.2 4.2, Version 2) against QEMU's
# own virtio-blk-device and virtio-net-device on its microvm machine, the
# reference azote's MMIO transport must match: with ACPI off QEMU names its
# devices on the kernel command line (virtio_mmio.device=512@0x...:irq), as
# Firecracker does, and the probe, booting without PCI, drives them. The
# block suite the PCI test (31) runs, net-echo on a TAP (as 33), and every
# result line must say transport=mmio. Then what the probe must refuse or
# choose: QEMU's default legacy (Version 1) transports, a malformed word,
# probe.transport=pci; and words written by hand in Firecracker's form, an
# empty slot among them. QEMU runs with KVM where /dev/kvm is usable, else
# with its TCG.
. "$(dirname "$0")/../lib/probe-common.sh"
. tests/lib/netns.sh
require_qemu
netns_init

img=$TMP/disk.img img2=$TMP/disk2.img
truncate -s 64M "$img"
truncate -s 32M "$img2"
q=(--vmm qemu-microvm --timeout 90)
mmio='^PROBE [a-z-]+ (PASS|FAIL) transport=mmio mmio=0x[0-9a-f]+ irq=[0-9]+ '

PROBE_LINE_ALSO=$mmio
blk_checks "$img" "${q[@]}"

# Two disks and a NIC: the words are read in order, probe.dev=1 is the
# second disk, and net-echo finds the NIC past the disks.
expect_probe blk-info-second-disk 0 'PASS .*capacity=65536 ' -- \
	"${q[@]}" --disk "$img" --disk "$img2" -- probe.test=blk-info probe.dev=1 probe.transport=mmio
tap=mtap0 host=10.213.4.1 guest=10.213.4.2 mac=52:54:00:a2:07:e4
netns_tap "$tap"
in_ns ip addr add "$host/24" dev "$tap"
expect_probe net-echo 0 "PASS .*mac=$mac .*sent=22 received=22 lost=0 bad=0 max_payload=1472" -- \
	in_ns_run "${q[@]}" --disk "$img" --disk "$img2" --tap "$tap" --mac "$mac" -- \
	probe.test=net-echo probe.ip=$guest/24 probe.peer=$host

# What is refused says so, by address where there is one.
PROBE_LINE_ALSO=""
# QEMU's virtio-mmio transports are legacy unless told otherwise.
expect_probe legacy-refused 1 'FAIL .*reason=virtio_mmio_legacy mmio=0xfeb00e00 version=1$' -- \
	"${q[@]}" --disk "$img" --qemu-arg -global --qemu-arg virtio-mmio.force-legacy=true -- \
	probe.test=blk-info
expect_probe bad-word 1 'FAIL .*reason=virtio_mmio_bad_arg virtio_mmio.device=512@0xfeb00e00$' -- \
	"${q[@]}" --disk "$img" -- probe.test=blk-info virtio_mmio.device=512@0xfeb00e00

# Words written by hand: a size with a K suffix as Firecracker writes
# them, Linux's optional device id, and first an empty transport
# (DeviceID 0, skipped).
expect_probe handwritten 0 'PASS transport=mmio mmio=0xfeb00e00 irq=12 capacity=131072 ' -- \
	"${q[@]}" --disk "$img" --qemu-arg -M --qemu-arg microvm,auto-kernel-cmdline=off -- \
	probe.test=blk-info virtio_mmio.device=0x200@0xfeb00000:5 virtio_mmio.device=1K@0xfeb00e00:12:0
expect_eq "handwritten: QEMU added no word of its own" \
	"$(grep '^PROBE banner' "$PROBE_OUT" | grep -o 'virtio_mmio\.device=' | wc -l)" 2

# probe.transport=pci is obeyed (microvm has no PCI); auto is the default.
expect_probe transport-pci 1 'FAIL transport=pci reason=no_virtio_blk pci_functions=0$' -- \
	"${q[@]}" --disk "$img" -- probe.test=blk-info probe.transport=pci
expect_probe transport-bad 1 'FAIL param_error=bad_value key=transport$' -- \
	"${q[@]}" --disk "$img" -- probe.test=blk-info probe.transport=virtio
finish
