/* The interrupt wiring of the platform, as both descriptions of it (the MP
 * table for kernels without ACPI, the MADT for kernels with it) declare
 * it. One place, so that the two can never disagree. */
#ifndef AZOTE_ARCH_X86_IRQ_WIRING_H
#define AZOTE_ARCH_X86_IRQ_WIRING_H

/* The IOAPIC's 24 input pins, as KVM's in-kernel IOAPIC has them; pin n
 * is GSI n (one IOAPIC, GSI base 0). */
#define IOAPIC_PINS 24

/* ISA IRQs 0..15. */
#define ISA_IRQS 16

/* KVM_CREATE_IRQCHIP's default routing sends ISA IRQ n to IOAPIC pin n,
 * the PIT's IRQ 0 included (no IRQ0 -> pin 2 crossing as on real
 * chipsets), with the ISA bus's own polarity and trigger (active high,
 * edge). The MP table lists exactly this (and names pins 16-23 as ISA
 * interrupts too, for the virtio-mmio lines); the MADT needs an interrupt
 * source override only where an ISA IRQ leaves this identity, and the
 * DSDT declares the lines above 15 with each device. */
static inline unsigned isa_irq_gsi(unsigned irq)
{
	return irq;
}

/* The DSDT's Generic Event Device (ACPI0013), whose one interrupt says
 * that the VM generation ID changed (vmm/vm_genid.h): ISA IRQ 13, the
 * 8087's on a PC, which no x86-64 kernel claims and no azote device or
 * virtio-mmio transport (vmm/vm.c) uses; edge-triggered, active high, as
 * the ISA lines. */
#define GSI_GED 13

/* CPUs take APIC IDs 0..nr_cpus-1; the IOAPIC takes the next one. */
static inline unsigned ioapic_id(int nr_cpus)
{
	return (unsigned)nr_cpus;
}

/* Versions KVM's in-kernel LAPIC and IOAPIC report in their registers. */
#define LAPIC_VERSION  0x14
#define IOAPIC_VERSION 0x11

#endif
