/* Prints the first 8 bytes the i8042 delivers (port 0x60, polled through
 * the status port 0x64) as hex on COM1, then resets: the guest side of the
 * API's SendCtrlAltDel. It first prints "KBD ready" so the host knows it
 * polls. */
#include "pvh_note.inc"
	.text
	.code32
	.globl pvh_start
pvh_start:
	mov $stack_top, %esp     /* PVH enters without a stack */
	mov $ready_msg, %esi
	call puts
	mov $8, %ecx
1:	in $0x64, %al            /* output buffer full? */
	test $1, %al
	jz 1b
	in $0x60, %al
	call puthex
	dec %ecx
	jnz 1b
	mov $'\n', %al
	call putc
	mov $0xfe, %al
	out %al, $0x64
2:	hlt
	jmp 2b

/* puthex: %al as two hex digits and a space. */
puthex:
	push %eax
	shr $4, %al
	call nibble
	pop %eax
	call nibble
	mov $' ', %al
	jmp putc
nibble:
	and $0xf, %al
	add $'0', %al
	cmp $'9', %al
	jbe putc
	add $('a' - '9' - 1), %al
putc:
	push %edx
	mov $0x3f8, %dx
	out %al, %dx
	pop %edx
	ret
puts:
	lodsb
	test %al, %al
	jz 3f
	call putc
	jmp puts
3:	ret

	.data
ready_msg:
	.asciz "KBD ready\n"
	.balign 16
	.space 256
stack_top:
