/* Pokes what a booting Linux pokes and azote does not emulate: POST code
 * port 0x80, absent COM2 and VGA ports, an absent PCI slot, unassigned MMIO
 * in the PCI hole. Every read must float high (all ones) and nothing may
 * fault. Prints "PORTS PASS" or "PORTS FAIL <n>" on COM1, then resets. */
#include "pvh_note.inc"
	.text
	.code32
	.globl pvh_start
pvh_start:
	mov $'1', %cl
	mov $0x55, %al
	out %al, $0x80          /* POST code: ignored */
	in $0x80, %al
	cmp $0xff, %al
	jne fail
	mov $'2', %cl
	mov $0x2fd, %dx         /* COM2 line status: no such UART */
	in %dx, %al
	cmp $0xff, %al
	jne fail
	mov $'3', %cl
	mov $0x3da, %dx         /* VGA input status */
	in %dx, %al
	cmp $0xff, %al
	jne fail
	mov $'4', %cl
	mov $0xcf8, %dx         /* bus 0, device 31: empty slot */
	mov $0x8000f800, %eax
	out %eax, %dx
	mov $0xcfc, %dx
	in %dx, %eax
	cmp $0xffffffff, %eax
	jne fail
	mov $'5', %cl
	movl $0x12345678, 0xd0000000   /* unassigned MMIO: write dropped */
	mov 0xd0000000, %eax
	cmp $0xffffffff, %eax
	jne fail
	mov $pass_msg, %esi
	jmp print
fail:
	mov %cl, fail_code
	mov $fail_msg, %esi
print:
	mov $0x3f8, %dx
1:	lodsb
	test %al, %al
	jz 2f
	out %al, %dx
	jmp 1b
2:	mov $0xfe, %al
	out %al, $0x64
3:	hlt
	jmp 3b

	.data
pass_msg:
	.asciz "PORTS PASS\n"
fail_msg:
	.ascii "PORTS FAIL "
fail_code:
	.asciz "?\n"
