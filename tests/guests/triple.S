/* A guest that dies: #UD with no IDT escalates to a triple fault. */
#include "pvh_note.inc"
	.text
	.code32
	.globl pvh_start
pvh_start:
	lidt idt_none
	ud2
idt_none:
	.word 0
	.long 0
