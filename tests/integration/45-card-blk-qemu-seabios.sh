#!/usr/bin/env bash
# QEMU as the vhost-user front-end and a guest driver nobody here wrote:
# q35 + SeaBIOS boot from a vhost-user-blk-pci disk served by
# azote-card-blk. The boot sector (tests/host/seabios-boot.S) reads and
# writes sectors through SeaBIOS's virtio-blk driver. Then the same with a
# read-only card: the write must fail and the image stay unchanged. QEMU
# runs with KVM where /dev/kvm is usable, else with its TCG.
. "$(dirname "$0")/../lib/cards.sh"
require_qemu

as --32 -o "$TMP/boot.o" tests/host/seabios-boot.S &&
	ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o "$TMP/boot.bin" "$TMP/boot.o" ||
	die "cannot build the boot sector"
img=$TMP/disk.img
msg="AZOTE-CARD-BLK-VIA-SEABIOS-$$"
truncate -s 1M "$img"
dd if="$TMP/boot.bin" of="$img" conv=notrunc status=none
printf '%s\n\0' "$msg" | dd of="$img" bs=512 seek=1 conv=notrunc status=none

boot() {  # boot SOCKET: runs QEMU until the guest exits; prints its status
	local rc=0
	timeout 120 qemu-system-x86_64 -M q35,memory-backend=mem "${QEMU_ACCEL[@]}" -m 128M \
		-object memory-backend-memfd,id=mem,size=128M,share=on \
		-chardev socket,id=vb,path="$1" \
		-device vhost-user-blk-pci,chardev=vb,num-queues=2 \
		-device isa-debug-exit,iobase=0xf4,iosize=1 \
		-display none -nodefaults -no-reboot \
		-serial file:"$TMP/serial.log" 2>"$TMP/qemu.log" || rc=$?
	echo "$rc"
}

start_card_blk "$TMP/blk.sock" --image "$img" --queues 2
rc=$(boot "$TMP/blk.sock")
tr -d '\r' <"$TMP/serial.log" | tail -n 3
expect_eq "guest exit status (99: read and wrote)" "$rc" 99 || cat "$TMP/qemu.log" "$TMP/card.log"
expect_match "the guest read the sector" "$(cat "$TMP/serial.log")" "$msg"
expect_match "the guest's write is in the image" \
	"$(dd if="$img" bs=512 skip=2 count=1 status=none | tr -d '\0')" "$msg"
expect_card_alive "the card outlives QEMU"

echo "-- read-only card: the guest's write fails, the image is unchanged"
kill "$CARD_PID"
wait "$CARD_PID" 2>/dev/null
dd if=/dev/zero of="$img" bs=512 seek=2 count=1 conv=notrunc status=none
cp "$img" "$TMP/before.img"
start_card_blk "$TMP/ro.sock" --image "$img" --ro --queues 2
rc=$(boot "$TMP/ro.sock")
expect_eq "guest exit status (33: write refused)" "$rc" 33 || { cat "$TMP/qemu.log"; tail -5 "$TMP/card.log"; }
expect_match "the guest saw the write fail" "$(cat "$TMP/serial.log")" "BOOT-IO-FAILED"
expect_ok "read-only image unchanged" cmp "$img" "$TMP/before.img"
finish
