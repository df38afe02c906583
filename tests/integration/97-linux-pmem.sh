#!/usr/bin/env bash
# needs: box
# Debian's stock kernel uses azote's persistent memory device (virtio-pmem,
# Firecracker's PUT /pmem; LINUX_GUEST=stock: its virtio_pmem and nd_pmem
# modules, unpatched) as /dev/pmem0, over virtio-pci and virtio-mmio: the
# init's pmem check finds the device as large as the region azote mapped,
# placed at or above 4 GiB and 2 MiB aligned, reads the file's bytes in it
# (CRC-32), writes a seeded pattern at an unaligned offset and fsyncs the
# block device (a FLUSH request, answered by azote-card-pmem with an
# interrupt), reads it back with O_DIRECT; after the VM the host finds the
# pattern in the file, and nothing else of the file changed. A third boot
# maps the file read-only (--pmem path=FILE,ro): the check only reads, and
# the file is unchanged to the byte.
#
# The file is 5 MiB + 4 KiB, not a multiple of 2 MiB, as Firecracker
# allows: azote maps its pages and, beyond them to the 2 MiB boundary,
# anonymous memory of its own (src/vmm/pmem_region.h), so the guest's device
# is the rounded-up region, 6 MiB, and that is what the check expects. The
# last 1020 KiB are not the file's: they must read zero, a block the guest
# writes there reads back while the VM runs, and afterwards the file has
# its old size and its old bytes there (nothing written past its end
# reached it, nor grew it).
# (Test 85 runs the same check against QEMU's virtio-pmem-pci.)
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
export LINUX_GUEST=stock
require_kvm
lg_itest_init
need_built "$AZOTE" "$BUILD/azote-card-pmem"

MIB=$((1 << 20))
len=$((5 * MIB + 4096)) size=$((6 * MIB))
f=$TMP/pmem.img
head -c "$len" /dev/urandom > "$f"

# same_outside FILE COPY OFF N: FILE and COPY are the same but for the N
# bytes at OFF (and as long).
same_outside() {
	cmp -s <(head -c "$3" "$1") <(head -c "$3" "$2") &&
		cmp -s <(tail -c +$(($3 + $4 + 1)) "$1") <(tail -c +$(($3 + $4 + 1)) "$2")
}

# azote's own complaints in the run's log (its stderr and its cards' are
# in the console file, amid the guest's lines): none wanted.
expect_quiet_log() {
	local bad
	bad=$(tr -d '\r' < "$TMP/console" |
		grep -aE '(^|[^-a-z])azote(-card-[a-z]+)?: (error|warning): ' || true)
	expect_eq "$1: no error or warning from azote or its cards in the log" "$bad" ""
}

# What the kernel said of the device (it is on the console, at whatever
# level), for the record: "nd_pmem namespace0.0: unable to guarantee
# persistence of writes" is expected (see init/check_pmem.c).
show_kernel_lines() {
	tr -d '\r' < "$TMP/console" | grep -aE '^\[ *[0-9.]+\] .*(pmem|nd_|nvdimm|ndbus)' |
		grep -av 'ommand line: ' | sed 's/^/console: /' || true
}

# high_aligned ADDR: ADDR (0x...) is at or above 4 GiB and 2 MiB aligned.
high_aligned() {
	[[ $1 =~ ^0x[0-9a-f]+$ ]] && [ $(($1)) -ge $((4 << 30)) ] && [ $(($1 % (2 * MIB))) -eq 0 ]
}

# The guest's view of the region, the same whichever way it is mapped.
expect_region() {
	local start
	start=$(lg_result pmem start)
	expect_eq "$1: the device is the whole region, bytes" "$(lg_result pmem size)" "$size"
	expect_eq "$1: the file's bytes in it, CRC-32 of $len" "$(lg_result pmem crc)" \
		"$(lg_crc32 "$TMP/before" 0 "$len")"
	expect_ok "$1: the region starts at $start, at or above 4 GiB, 2 MiB aligned" \
		high_aligned "$start"
	expect_eq "$1: past the file's end, zeros" \
		"$(lg_result pmem tail):$(lg_result pmem tail_zero)" "$((size - len)):1"
}

for transport in pci mmio; do
	echo "--- azote, stock bzImage, a pmem device over virtio-$transport"
	cp "$f" "$TMP/before"
	lg_run --vmm azote --kernel bzImage --transport "$transport" --checks boot,pmem \
		--pmem "$f" --timeout 600 --log "$TMP/console"
	expect_region "$transport"
	off=$(lg_result pmem offset) n=$(lg_result pmem written)
	expect_eq "$transport: fsync of /dev/pmem0 returned" "$(lg_result pmem fsync)" 0
	irqs=$(lg_result pmem flush_irqs)
	expect_ok "$transport: the flush was answered with an interrupt ($irqs)" \
		test "${irqs:-0}" -ge 1
	expect_eq "$transport: a block written past the file's end read back" \
		"$(lg_result pmem tail_written)" 4096
	[ -n "$off" ] && [ -n "$n" ] || die "$transport: no write in the pmem result"
	expect_eq "$transport: the file's size is unchanged" "$(stat -c %s "$f")" "$len"
	expect_eq "$transport: the file holds what the guest wrote at $off, CRC-32 of $n" \
		"$(lg_crc32 "$f" "$off" "$n")" "$(lg_result pmem wcrc)"
	expect_ok "$transport: and the file held something else there before" \
		test "$(lg_crc32 "$TMP/before" "$off" "$n")" != "$(lg_result pmem wcrc)"
	expect_ok "$transport: the file is unchanged outside the written bytes" \
		same_outside "$f" "$TMP/before" "$off" "$n"
	expect_quiet_log "$transport"
	show_kernel_lines
done

echo "--- azote, stock bzImage, a read-only pmem device over virtio-pci"
cp "$f" "$TMP/before"
lg_run --vmm azote --kernel bzImage --checks boot,pmem --pmem "$f,ro" --timeout 600 \
	--log "$TMP/console"
expect_region ro
expect_eq "ro: the check only read" "$(lg_result pmem mode):$(lg_result pmem written)" ro:0
expect_ok "ro: the file is unchanged, byte for byte" cmp -s "$f" "$TMP/before"
expect_quiet_log ro
show_kernel_lines
finish
