/* A minimal PVH kernel for the boot integration test: a 32-bit entry that
 * halts, announced by Xen's PHYS32_ENTRY note. Only loaded, never run. */
	.code32
	.section .text, "ax"
	.globl pvh_start
	.globl start64
start64:                /* e_entry: a 64-bit entry, for linux64 mode */
	hlt
	jmp start64
	.balign 16
pvh_start:
	cli
1:	hlt
	jmp 1b

	.section .note.Xen, "a", @note
	.balign 4
	.long 4                 /* namesz: "Xen\0" */
	.long 8                 /* descsz */
	.long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.quad pvh_start
	.section .note.GNU-stack, "", @progbits
