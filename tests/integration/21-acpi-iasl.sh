#!/usr/bin/env bash
# azote's ACPI tables judged by ACPICA, the reference implementation of
# ACPI that Linux's own interpreter is built from (Debian's acpica-tools):
# azote's boot code builds the tables into guest RAM (tests/tools/
# boot_inspect, on the PVH stub kernel), boot_inspect follows the RSDP as a
# guest would and saves every table it reaches; then
#   iasl -d      disassembles each table (any warning or error fails),
#   iasl         compiles the disassembly back (0 errors, 0 warnings, 0
#                remarks),
#   acpiexec     loads them all as an OS would and builds the namespace,
# and the disassembly must declare what azote has: the devices in the
# DSDT, a Local APIC per vCPU and the IOAPIC in the MADT, the FADT's
# hardware-reduced and legacy-device flags. Two machines: 4 vCPUs with PCI
# and two virtio-mmio devices, and the largest tables (254 vCPUs, 32 mmio
# devices, no PCI). No VM is run.
. "$(dirname "$0")/../lib/common.sh"
require iasl acpiexec

inspect=$BUILD/tools/boot_inspect
stub=$BUILD/tools/pvh_stub.elf
make -s BUILD="$BUILD" "$inspect" "$stub" || die "cannot build $inspect and $stub"

# get KEY FILE: the value of KEY= in boot_inspect's output FILE.
get() { sed -n "s/^$1=//p" "$2" | head -n 1; }

# acpica DIR: iasl on every table DIR holds, then acpiexec on all of them.
acpica() {
	local dir=$1 t out
	for t in XSDT FACP APIC DSDT; do
		out=$(cd "$dir" && iasl -d "$t.dat" 2>&1)
		if grep -Eiq 'warning|error|remark' <<<"$out"; then
			fail "iasl -d $t: $(grep -Ei 'warning|error|remark' <<<"$out" | head -n 3)"
		elif [ ! -s "$dir/$t.dsl" ]; then
			fail "iasl -d $t wrote no $t.dsl: $out"
		else
			pass "iasl -d $t: no warning or error"
		fi
		out=$(cd "$dir" && iasl -p "re-$t" "$t.dsl" 2>&1)
		expect_match "iasl compiles $t's disassembly back cleanly" "$out" \
			'Compilation successful\. 0 Errors, 0 Warnings, 0 Remarks'
	done
	out=$(cd "$dir" && timeout 60 acpiexec -b namespace FACP.dat APIC.dat DSDT.dat XSDT.dat 2>&1)
	if grep -Eiq 'warning|error|exception' <<<"$out"; then
		fail "acpiexec: $(grep -Ei 'warning|error|exception' <<<"$out" | head -n 3)"
	else
		expect_match "acpiexec loads the tables and builds the namespace" "$out" \
			'ACPI: 1 ACPI AML tables successfully acquired and loaded'
	fi
}

# count REGEX FILE: lines of FILE matching REGEX.
count() { grep -Ec -- "$1" "$2"; }

echo "--- 4 vCPUs, PCI, two virtio-mmio devices (PVH entry)"
d=$TMP/small
mkdir -p "$d"
"$inspect" --kernel "$stub" --memory 256M --cpus 4 --pci \
	--mmio 0xfeb00000:0x1000:5 --mmio 0xfeb01000:0x1000:6 \
	--acpi-dir "$d" >"$TMP/out" 2>"$TMP/err" || die "boot_inspect: $(cat "$TMP/err")"
expect_eq "hvm_start_info.rsdp_paddr" "$(get si.rsdp_paddr "$TMP/out")" 0xe0000
expect_eq "tables reached from the RSDP" "$(get acpi.tables "$TMP/out")" "RSDP XSDT FACP APIC DSDT"
expect_eq "every checksum (the RSDP's two included)" "$(get acpi.checksums_ok "$TMP/out")" 1
rsdp=$(od -An -tx1 -N36 "$d/RSDP.dat" | tr -d ' \n')
expect_eq "RSDP: signature and revision 2" "${rsdp:0:16}/${rsdp:30:2}" "5253442050545220/02"
acpica "$d"
dsl=$d/DSDT.dsl
expect_eq "DSDT: COM1 (PNP0501)" "$(count 'EisaId \("PNP0501"\)' "$dsl")" 1
expect_eq "DSDT: the i8042 (PNP0303)" "$(count 'EisaId \("PNP0303"\)' "$dsl")" 1
expect_eq "DSDT: the CMOS clock (PNP0B00)" "$(count 'EisaId \("PNP0B00"\)' "$dsl")" 1
expect_eq "DSDT: the PCI host bridge (PNP0A08, _CID PNP0A03)" \
	"$(count '_HID, EisaId \("PNP0A08"\)' "$dsl")/$(count '_CID, EisaId \("PNP0A03"\)' "$dsl")" 1/1
expect_ok "DSDT: the PCI memory window 0xC0001000-0xFEAFFFFF (the boot timer's page before it)" \
	grep -Pzq 'DWordMemory \(ResourceProducer,[^\n]*\n\s*0x00000000,\s*// Granularity\s*0xC0001000,\s*// Range Minimum\s*0xFEAFFFFF,' "$dsl"
expect_ok "DSDT: the configuration ports 0xCF8, 8 of them" \
	grep -Pzq 'IO \(Decode16,\s*0x0CF8,[^)]*0x08,\s*// Length' "$dsl"
expect_eq "DSDT: two virtio-mmio devices (LNRO0005)" "$(count '"LNRO0005"' "$dsl")" 2
expect_ok "DSDT: mmio device 1's registers and edge-triggered GSI 6" \
	grep -Pzq 'Memory32Fixed \(ReadWrite,\s*0xFEB01000,\s*// Address Base\s*0x00001000,[^}]*Interrupt \(ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, \)\s*\{\s*0x00000006,' "$dsl"
expect_ok "DSDT: COM1 on IRQ 4, edge-triggered" \
	grep -Pzq '0x03F8,[^}]*Interrupt \(ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, \)\s*\{\s*0x00000004,' "$dsl"
expect_eq "MADT: 4 Local APICs, one I/O APIC" \
	"$(count 'Subtable Type : 00 \[Processor Local APIC\]' "$d/APIC.dsl")/$(count 'Subtable Type : 01 \[I/O APIC\]' "$d/APIC.dsl")" 4/1
expect_ok "MADT: the I/O APIC has ID 4, at 0xFEC00000, GSI base 0" \
	grep -Pzq 'I/O Apic ID : 04\n[^\n]*Reserved : 00\n[^\n]*Address : FEC00000\n[^\n]*Interrupt : 00000000\n' "$d/APIC.dsl"
expect_match "FADT: hardware-reduced" "$(cat "$d/FACP.dsl")" 'Hardware Reduced \(V5\) : 1'
expect_match "FADT: an 8042 on ports 0x60/0x64" "$(cat "$d/FACP.dsl")" '8042 Present on ports 60/64 \(V2\) : 1'
expect_match "FADT: the CMOS clock is present" "$(cat "$d/FACP.dsl")" 'CMOS RTC Not Present \(V5\) : 0'
expect_ok "FADT: the sleep control register is byte-wide I/O port 0x600" \
	grep -Pzq 'Sleep Control Register : \[Generic Address Structure\]\n[^\n]*Space ID : 01 \[SystemIO\]\n[^\n]*Bit Width : 08\n[^\n]*Bit Offset : 00\n[^\n]*Encoded Access Width : 01 \[Byte Access:8\]\n[^\n]*Address : 0000000000000600' "$d/FACP.dsl"
expect_ok "FADT: the sleep status register is port 0x601" \
	grep -Pzq 'Sleep Status Register : \[Generic Address Structure\]\n(?:[^\n]*\n){4}[^\n]*Address : 0000000000000601' "$d/FACP.dsl"
expect_ok "DSDT: \\_S5 is sleep type 5" \
	grep -Pzq 'Name \(\\_S5, Package \(0x02\)[^\n]*\n\s*\{\s*0x05,\s*Zero\s*\}' "$dsl"

echo "--- the same tables through the 64-bit entry: boot_params.acpi_rsdp_addr"
"$inspect" --kernel "$stub" --entry linux64 --memory 64M >"$TMP/out64" 2>"$TMP/err" ||
	die "boot_inspect: $(cat "$TMP/err")"
expect_eq "zero page acpi_rsdp_addr (0x070)" "$(get zp.acpi_rsdp_addr "$TMP/out64")" 0xe0000

echo "--- the largest tables: 254 vCPUs, 32 virtio-mmio devices, no PCI"
d=$TMP/large
mkdir -p "$d"
mmio=()
for i in $(seq 0 31); do
	mmio+=(--mmio "$(printf '0x%x' $((0xfeb00000 + i * 0x1000))):0x1000:$((5 + i % 3))")
done
"$inspect" --kernel "$stub" --memory 256M --cpus 254 "${mmio[@]}" --acpi-dir "$d" \
	>"$TMP/out" 2>"$TMP/err" || die "boot_inspect: $(cat "$TMP/err")"
expect_eq "every checksum" "$(get acpi.checksums_ok "$TMP/out")" 1
acpica "$d"
expect_eq "MADT: 254 Local APICs" "$(count 'Processor Local APIC' "$d/APIC.dsl")" 254
expect_eq "DSDT: 32 virtio-mmio devices" "$(count '"LNRO0005"' "$d/DSDT.dsl")" 32
expect_eq "DSDT: no PCI host bridge without PCI" "$(count 'PNP0A08' "$d/DSDT.dsl")" 0
rc=0
"$inspect" --kernel "$stub" --memory 256M --cpus 1 "${mmio[@]}" --mmio 0xfeb20000:0x1000:7 \
	>"$TMP/out" 2>"$TMP/err" || rc=$?
expect_eq "a 33rd mmio device is refused, by name" \
	"$rc/$(grep -c '33 virtio-mmio devices' "$TMP/err")" 1/1
finish
