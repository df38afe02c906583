/* The GDT azote gives the boot vCPU, and the kvm_segment values that match
 * it. KVM loads segment state from kvm_sregs, never from the GDT in guest
 * memory; both are built from one table here so that they cannot disagree
 * (the guest's first segment reload reads memory). */
#ifndef AZOTE_ARCH_X86_GDT_H
#define AZOTE_ARCH_X86_GDT_H

#include <linux/kvm.h>
#include <stdint.h>

#include "common/err.h"
#include "base/guest_mem.h"

#define GDT_SEL_CODE32 0x08  /* flat 32-bit code, for the PVH entry */
#define GDT_SEL_CODE64 0x10  /* Linux __BOOT_CS: 64-bit code */
#define GDT_SEL_DATA   0x18  /* Linux __BOOT_DS: flat data, 32-bit stack */
#define GDT_ENTRIES    4

/* The raw 8-byte descriptor for selector sel (an index into the table). */
uint64_t gdt_descriptor(uint16_t sel);

/* Decodes descriptor sel into what KVM_SET_SREGS takes. */
void gdt_segment(uint16_t sel, struct kvm_segment *seg);

/* Writes the table at GPA_GDT. */
int gdt_write(struct guest_mem *m, struct azerr *e);

#endif
