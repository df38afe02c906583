#!/usr/bin/env bash
# QEMU as the vhost-user front-end and a guest driver nobody here wrote:
# q35 + SeaBIOS boot from a vhost-user-blk-pci disk served by
# azote-card-blk. The boot sector (tests/host/seabios-boot.S) reads and
# writes sectors through SeaBIOS's virtio-blk driver. Then the same with a
# read-only card: the write must fail and the image stay unchanged.
set -euo pipefail
source "$(dirname "$0")/../lib/cards.sh"

command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no qemu-system-x86_64"; exit 77; }
[ -w /dev/kvm ] || { echo "SKIP: no /dev/kvm"; exit 77; }

as --32 -o "$TMP/boot.o" tests/host/seabios-boot.S
ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o "$TMP/boot.bin" "$TMP/boot.o"
img=$TMP/disk.img
msg="AZOTE-CARD-BLK-VIA-SEABIOS-$$"
truncate -s 1M "$img"
dd if="$TMP/boot.bin" of="$img" conv=notrunc status=none
printf '%s\n\0' "$msg" | dd of="$img" bs=512 seek=1 conv=notrunc status=none

boot() {  # boot SOCKET: runs QEMU until the guest exits; prints its status
	local rc=0
	timeout 120 qemu-system-x86_64 -M q35,memory-backend=mem -enable-kvm \
		-cpu host,arch-capabilities=off -m 128M \
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
[ "$rc" = 99 ] || { cat "$TMP/qemu.log" "$TMP/card.log"; fail "guest ended with $rc, expected 99"; }
grep -q "$msg" "$TMP/serial.log" || fail "guest did not read the sector"
dd if="$img" bs=512 skip=2 count=1 status=none | grep -q "$msg" || fail "guest write not in the image"
kill -0 "$CARD_PID" || fail "card died when QEMU left"

echo "-- read-only card: the guest's write fails, the image is unchanged"
kill "$CARD_PID"
wait "$CARD_PID" 2>/dev/null || true
dd if=/dev/zero of="$img" bs=512 seek=2 count=1 conv=notrunc status=none
cp "$img" "$TMP/before.img"
start_card_blk "$TMP/ro.sock" --image "$img" --ro --queues 2
rc=$(boot "$TMP/ro.sock")
[ "$rc" = 33 ] || { cat "$TMP/qemu.log"; tail -5 "$TMP/card.log"; fail "guest ended with $rc, expected 33 (write refused)"; }
grep -q "BOOT-IO-FAILED" "$TMP/serial.log" || fail "guest did not see the write fail"
cmp "$img" "$TMP/before.img" || fail "read-only image changed"
echo "QEMU + SeaBIOS read and wrote through azote-card-blk; read-only refused"
