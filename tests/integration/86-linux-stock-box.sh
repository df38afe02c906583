#!/usr/bin/env bash
# needs: box
# The stock-kernel tier: Debian's unpatched kernel (LINUX_GUEST=stock), with
# no emulator workaround arguments, under azote and under QEMU as the peer,
# on real hardware-virtualization semantics: run-all.sh always runs this
# test inside tests/box/run (KVM on QEMU's emulated AMD-V), since this kind
# of machine's own KVM cannot run a stock kernel's ring 0 in useful time.
# The bzImage (64-bit boot protocol; with AZOTE_BOX_STOCK_PVH=1 also the
# vmlinux unpacked from it, PVH entry), 2 vCPUs, every check in one boot
# each: boot, blk (the host compares the image), blkro, net (ICMP to the
# host's TAP in a network namespace), irq (MSI-X counts rose), smp, and
# under azote acpi:
# the stock kernel takes azote's ACPI tables (MADT, FADT, DSDT in
# /sys/firmware/acpi/tables, a LAPIC per vCPU, the DSDT's devices, the
# PCI root bus from the host bridge's _CRS, the console's IRQ through the
# IO-APIC, no ACPI warning in the log). An azote boot over virtio-mmio
# (--transport mmio) shows the stock kernel, which has no
# VIRTIO_MMIO_CMDLINE_DEVICES, finding the devices through the DSDT
# (LNRO0005) and using them: blk, net, their IO-APIC lines. One more azote
# boot has guest RAM on 2 MiB hugetlbfs pages (--huge-pages, Firecracker's
# huge_pages "2M"), its blk, net and irq checks passing. A last azote
# boot leaves the
# reboot to Linux's default (no reboot=k), which on a hardware-reduced
# ACPI machine without EFI is a jump to the BIOS reset vector, where azote
# puts an i8042 reset (docs/acpi.md): it must still end azote with
# status 0. The last one powers off (`poweroff`): Linux's ACPI power-off
# writes S5 to the FADT's sleep control register, which must end azote
# with status 0 too.
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
export LINUX_GUEST=stock
require_kvm
lg_itest_init
need_built "$AZOTE"
require_root "a network namespace and a TAP"

# What the stock kernel said about the firmware tables, for the log.
show_acpi() {
	grep -aE 'ACPI: (RSDP|XSDT|FACP|APIC|DSDT|IOAPIC|Using IOAPIC|PCI Root Bridge)|smpboot: Total|PNP: PS/2|rtc_cmos|serial8250.*00:|reboot: ' \
		"$1" | tr -d '\r' | sed 's/^/    console: /'
}

all=(--cpus 2 --checks boot,blk,blkro,net,irq,smp --net --timeout 600)
# The stock vmlinux through PVH has killed the box's own kernel (a stack
# overflow in its KVM, under either VMM: README, "The box"); only asked for.
kernels=(bzImage)
[ "${AZOTE_BOX_STOCK_PVH:-0}" != 1 ] || kernels+=(vmlinux)
for vmm in azote qemu; do
	for kernel in "${kernels[@]}"; do
		echo "--- $vmm, stock $kernel"
		checks=()
		[ "$vmm" = qemu ] || checks=(--checks boot,blk,blkro,net,irq,smp,acpi)
		lg_make_disks
		lg_run --vmm "$vmm" --kernel "$kernel" "${all[@]}" ${checks[@]+"${checks[@]}"} \
			--drive "$TMP/rw.img" --drive "$TMP/ro.img,ro" --log "$TMP/console"
		lg_check_disks
		[ "$vmm" = qemu ] || show_acpi "$TMP/console"
	done
done
echo "--- azote, stock bzImage, virtio-mmio devices found through ACPI"
lg_make_disks
lg_run --vmm azote --kernel bzImage --transport mmio "${all[@]}" \
	--checks boot,blk,blkro,net,irq,smp,acpi \
	--drive "$TMP/rw.img" --drive "$TMP/ro.img,ro" --log "$TMP/console"
lg_check_disks
show_acpi "$TMP/console"
echo "--- azote, stock bzImage, guest RAM on 2 MiB pages (--huge-pages)"
# Its 64 pages from the box's pool, as root sizes it for the test.
if huge_pages_free 64; then
	lg_make_disks
	lg_run --vmm azote --kernel bzImage "${all[@]}" --checks boot,blk,blkro,net,irq,smp \
		--vmm-arg --huge-pages --drive "$TMP/rw.img" --drive "$TMP/ro.img,ro" \
		--log "$TMP/console"
	lg_check_disks
fi
echo "--- azote, stock bzImage, Linux's default reboot (no reboot=k)"
lg_run --vmm azote --kernel bzImage --cpus 2 --checks boot,smp,acpi --reboot default \
	--timeout 600 --log "$TMP/console"
show_acpi "$TMP/console"
# run.sh passed only if azote ended with status 0, i.e. on the reset.
expect_match "Linux restarted the machine its own way, and azote ended" \
	"$(tr -d '\r' < "$TMP/console")" 'reboot: Restarting system'
echo "--- azote, stock bzImage, powered off (ACPI S5)"
lg_run --vmm azote --kernel bzImage --cpus 1 --checks boot,acpi --reboot poweroff \
	--timeout 600 --log "$TMP/console"
# run.sh passed only if azote ended with status 0, i.e. on the power-off.
expect_match "Linux powered the machine off through ACPI, and azote ended" \
	"$(tr -d '\r' < "$TMP/console")" 'reboot: Power down'
finish
