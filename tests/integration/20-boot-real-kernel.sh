#!/usr/bin/env bash
# Loads real kernels into guest RAM with azote's x86 boot code and checks
# what the boot vCPU would be handed: Debian's stock bzImage (64-bit entry,
# zero page) and an ld-linked PVH ELF (hvm_start_info). A real kernel
# cannot boot on this machine in useful time (see DESIGN.md), so the check
# stops at the boot protocol: protocol version, entry point, command line,
# initrd below initrd_addr_max, e820, MP table, ACPI RSDP, registers (and, with
# /dev/kvm, that KVM accepts those registers).
#
# The kernel comes from Debian's linux-image package, fetched once with
# apt-get download and unpacked in ~/.cache/azote (tests/lib/debian-kernel.sh,
# as for the box). Skips (77) when neither the cache nor apt can provide it.
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/debian-kernel.sh

inspect=$BUILD/tools/boot_inspect
stub=$BUILD/tools/pvh_stub.elf
make -s BUILD="$BUILD" "$inspect" "$stub" || die "cannot build $inspect and $stub"

# check DESCRIPTION CONDITION...: the condition is a [[ ]] / (( )) test.
check() { local d=$1; shift; if eval "$@"; then pass "$d"; else fail "$d ($*)"; fi; }
# The inspector's last output, KEY=VALUE lines, in kv (the first of a key).
declare -A kv
inspect_run() {
	local l
	kv=()
	"$inspect" "$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	while IFS= read -r l; do
		[[ $l == *=* && ! -v kv[${l%%=*}] ]] && kv[${l%%=*}]=${l#*=}
	done <"$TMP/out"
	return $rc
}
# get KEY: the value of KEY= in the last inspector output.
get() { printf '%s\n' "${kv[$1]-}"; }
inspect_ok() { inspect_run "$@" || die "boot_inspect $*: $(cat "$TMP/err")"; }
inspect_fails() { ! inspect_run "$@"; }

# Debian's kernel package, unpacked in the cache (tests/lib/debian-kernel.sh).
pkg=$(DK_WHO=${0##*/} dk_unpacked) || skip "no Debian kernel in $DK_CACHE and apt-get download failed"
kernel=$(ls "$pkg"/boot/vmlinuz-* | head -n 1)
echo "kernel: $kernel"
head -c $((5 << 20)) /dev/urandom > "$TMP/initrd"
initrd_size=$((5 << 20))
cmdline="console=ttyS0 root=/dev/vda ro quiet"

echo "--- bzImage, 3.5 GiB (RAM above the hole), 2 vCPUs"
inspect_ok --kernel "$kernel" --initrd "$TMP/initrd" --cmdline "$cmdline" \
	--memory 3584M --cpus 2
ver=$(get zp.version)
printf 'figures: protocol %d.%02d, init_size %s, pref_address %s, kernel_alignment %s,\n' \
	$((ver >> 8)) $((ver & 0xff)) "$(get zp.init_size)" "$(get zp.pref_address)" \
	"$(get zp.kernel_alignment)"
printf '         relocatable %s, xloadflags %s, initrd_addr_max %s, cmdline_size %s\n' \
	"$(get zp.relocatable)" "$(get zp.xloadflags)" "$(get zp.initrd_addr_max)" \
	"$(get zp.cmdline_size)"
check "format is bzImage, 64-bit entry" '[[ $(get format) == bzimage && $(get mode) == linux64 ]]'
check "protocol >= 2.12" '(( ver >= 0x020c ))'
check "XLF_KERNEL_64 set" '(( $(get zp.xloadflags) & 1 ))'
check "zero page header: boot_flag, HdrS, loader 0xff" \
	'[[ $(get zp.boot_flag) == 0xaa55 && $(get zp.header) == HdrS && $(get zp.type_of_loader) == 0xff ]]'
ks=$(get kernel_start) ke=$(get kernel_end) entry=$(get entry)
check "entry = load address + 0x200 (startup_64)" '(( entry == ks + 0x200 ))'
check "loaded at pref_address, aligned to kernel_alignment" \
	'(( ks == $(get zp.pref_address) && ks % $(get zp.kernel_alignment) == 0 ))'
check "init_size bytes reserved from the load address" '(( ke - ks == $(get zp.init_size) ))'
check "code32_start follows the load address" '(( $(get zp.code32_start) == ks ))'
check "cmd_line_ptr = 0x20000 and holds the command line" \
	'(( $(get zp.cmd_line_ptr) == 0x20000 )) && [[ $(get cmdline) == "$cmdline" ]]'
rd=$(get zp.ramdisk_image) rmax=$(get zp.initrd_addr_max)
check "ramdisk_image/size describe the initrd" \
	'(( rd == $(get initrd_start) && $(get zp.ramdisk_size) == initrd_size ))'
check "initrd page-aligned, above the kernel" '(( rd % 4096 == 0 && rd >= ke ))'
check "initrd ends at or below initrd_addr_max" '(( rd + initrd_size - 1 <= rmax ))'
check "initrd as high as initrd_addr_max allows" '(( rmax + 1 - (rd + initrd_size) < 4096 ))'
check "e820: 4 entries, RAM from 4 GiB" \
	'[[ $(get zp.e820_entries) == 4 && $(get zp.e820.3) == "0x100000000 0x20000000 1" ]]'
check "e820: RAM to the reserved firmware area, then from 1 MiB" \
	'[[ $(get zp.e820.0) == "0x0 0x9fc00 1" && $(get zp.e820.1) == "0x9fc00 0x60400 2" && $(get zp.e820.2) == "0x100000 0xbff00000 1" ]]'
check "MP table: 2 CPUs, checksums good" '[[ $(get mp.cpus) == 2 && $(get mp.checksums_ok) == 1 ]]'
check "ACPI: acpi_rsdp_addr, tables reached, checksums good" \
	'(( $(get zp.acpi_rsdp_addr) == 0xe0000 )) && [[ $(get acpi.tables) == "RSDP XSDT FACP APIC DSDT" && $(get acpi.checksums_ok) == 1 ]]'
check "RIP = entry, RSI = zero page, RFLAGS = 0x2" \
	'(( $(get rip) == entry && $(get rsi) == 0x7000 && $(get rflags) == 2 ))'
check "long mode: CR0.PG|PE, CR4.PAE, EFER.LME|LMA, CR3 = PML4" \
	'(( ($(get cr0) & 0x80000001) == 0x80000001 && ($(get cr4) & 0x20) && $(get efer) == 0x500 && $(get cr3) == 0x9000 ))'
check "CS = __BOOT_CS (0x10, 64-bit), DS/SS = __BOOT_DS (0x18)" \
	'(( $(get cs.sel) == 0x10 && $(get cs.l) == 1 && $(get ds.sel) == 0x18 && $(get ss.sel) == 0x18 ))'
if [[ $(get kvm.checked) == 1 ]]; then
	check "KVM accepts the 64-bit entry state" '[[ $(get kvm.accepted) == 1 ]]'
fi

echo "--- bzImage, errors a user can act on"
check "16 MiB: memory too small for the kernel" \
	'inspect_fails --kernel "$kernel" --memory 16M && grep -q "memory too small" "$TMP/err"'
long=$(head -c 4096 /dev/zero | tr '\0' x)
check "command line over cmdline_size is refused" \
	'inspect_fails --kernel "$kernel" --cmdline "$long" && grep -q cmdline_size "$TMP/err"'
check "PVH entry refused for a bzImage" \
	'inspect_fails --kernel "$kernel" --entry pvh && grep -q "no PVH entry" "$TMP/err"'

echo "--- PVH ELF (ld-linked stub with XEN_ELFNOTE_PHYS32_ENTRY), 256 MiB, 4 vCPUs"
pvh_entry=0x$(nm "$stub" | awk '$3 == "pvh_start" { print $1 }')
inspect_ok --kernel "$stub" --initrd "$TMP/initrd" --cmdline "probe.test=boot" \
	--memory 256M --cpus 4
check "format ELF, PVH entry from the note" \
	'[[ $(get format) == elf && $(get mode) == pvh ]] && (( $(get entry) == pvh_entry ))'
check "hvm_start_info magic and version 1" \
	'[[ $(get si.magic) == 0x336ec578 && $(get si.version) == 1 ]]'
check "start_info command line" \
	'(( $(get si.cmdline_paddr) == 0x20000 )) && [[ $(get cmdline) == probe.test=boot ]]'
check "initrd is module 0" \
	'[[ $(get si.nr_modules) == 1 && $(get si.mod0) == "$(get initrd_start) $initrd_size" ]]'
check "initrd at the top of RAM, page-aligned" \
	'(( $(get initrd_start) == (0x10000000 - initrd_size) / 4096 * 4096 ))'
check "memory map: 3 entries ending at 256 MiB" \
	'[[ $(get si.memmap_entries) == 3 && $(get si.memmap.2) == "0x100000 0xff00000 1" ]]'
check "ACPI: rsdp_paddr is the RSDP in the BIOS area" '(( $(get si.rsdp_paddr) == 0xe0000 ))'
check "EBX = start_info, protected mode without paging" \
	'(( $(get rbx) == 0x6000 && $(get cr0) == 0x11 && $(get cr4) == 0 && $(get efer) == 0 ))'
check "flat 32-bit CS 0x08, DS 0x18 with a 32-bit stack" \
	'(( $(get cs.sel) == 8 && $(get cs.db) == 1 && $(get cs.l) == 0 && $(get ss.db) == 1 ))'
check "MP table: 4 CPUs" '[[ $(get mp.cpus) == 4 && $(get mp.checksums_ok) == 1 ]]'
if [[ $(get kvm.checked) == 1 ]]; then
	check "KVM accepts the PVH entry state" '[[ $(get kvm.accepted) == 1 ]]'
fi
inspect_ok --kernel "$stub" --entry linux64 --memory 64M
check "same ELF with --entry linux64: e_entry and a zero page" \
	'[[ $(get mode) == linux64 && $(get zp.header) == HdrS ]] && (( $(get entry) == 0x100000 && $(get rsi) == 0x7000 ))'

finish
