/* Prints "CPUID <leaf> eax ebx ecx edx" (hex) for leaves 0x1 and
 * 0x40000001 on COM1, then resets: what a CPU template changed, as the
 * guest sees it. */
#include "pvh_note.inc"
	.text
	.code32
	.globl pvh_start
pvh_start:
	mov $stack_top, %esp     /* PVH enters without a stack */
	mov $0x1, %eax
	call show
	mov $0x40000001, %eax
	call show
	mov $0xfe, %al
	out %al, $0x64
1:	hlt
	jmp 1b

/* show: runs CPUID leaf %eax (subleaf 0) and prints the line. */
show:
	push %eax
	mov $msg, %esi
	call puts
	pop %eax
	push %eax
	call puthex32
	pop %eax
	xor %ecx, %ecx
	cpuid
	push %edx
	push %ecx
	push %ebx
	call space_hex
	pop %eax
	call space_hex
	pop %eax
	call space_hex
	pop %eax
	call space_hex
	mov $'\n', %al
	jmp putc
space_hex:
	push %eax
	mov $' ', %al
	call putc
	pop %eax
/* puthex32: %eax as 8 hex digits. */
puthex32:
	mov $8, %ecx
2:	rol $4, %eax
	push %eax
	and $0xf, %al
	add $'0', %al
	cmp $'9', %al
	jbe 3f
	add $('a' - '9' - 1), %al
3:	call putc
	pop %eax
	loop 2b
	ret
putc:
	push %edx
	mov $0x3f8, %dx
	out %al, %dx
	pop %edx
	ret
puts:
	lodsb
	test %al, %al
	jz 4f
	call putc
	jmp puts
4:	ret

	.data
msg:
	.asciz "CPUID "
	.balign 16
	.space 256
stack_top:
