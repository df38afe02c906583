/* A boot sector for testing block devices under QEMU with its own
 * firmware: SeaBIOS loads it from the virtio-blk disk, then it reads LBA 1
 * through int 13h (SeaBIOS's virtio-blk driver), writes that sector back
 * to LBA 2, prints it on COM1 and ends QEMU through isa-debug-exit at 0xf4
 * with status 99 ((0x31 << 1) | 1). On an int 13h error it prints
 * BOOT-IO-FAILED and exits with 33 ((0x10 << 1) | 1). */
.code16
.globl _start
_start:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw $0x7c00, %sp
	movb %dl, drive
	movw $0x0201, %ax
	movw $0x0002, %cx
	xorb %dh, %dh
	movw $0x8000, %bx
	int $0x13
	jc fail
	movw $0x0301, %ax
	movw $0x0003, %cx
	xorb %dh, %dh
	movb drive, %dl
	movw $0x8000, %bx
	int $0x13
	jc fail
	movw $0x8000, %si
	call puts
	movb $0x31, %al
	outb %al, $0xf4
fail:
	movw $failmsg, %si
	call puts
	movb $0x10, %al
	outb %al, $0xf4
	hlt
puts:
	movw $0x3f8, %dx
1:	lodsb
	testb %al, %al
	jz 2f
	outb %al, %dx
	jmp 1b
2:	ret
drive: .byte 0
failmsg: .asciz "BOOT-IO-FAILED\n"
.org 510
.word 0xaa55
