/* Echoes COM1 input back, polling the line status register, until it
 * reads 'q'; then resets the machine through the i8042 (0xFE to 0x64). */
#include "pvh_note.inc"
	.text
	.code32
	.globl pvh_start
pvh_start:
	mov $0x3fd, %dx
1:	in %dx, %al          /* LSR: data ready? */
	test $1, %al
	jz 1b
	mov $0x3f8, %dx
	in %dx, %al          /* RBR */
	cmp $'q', %al
	je 2f
	out %al, %dx         /* THR: echo it */
	mov $0x3fd, %dx
	jmp 1b
2:	mov $0xfe, %al
	out %al, $0x64
3:	hlt
	jmp 3b
