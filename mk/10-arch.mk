# src/arch/x86: guest boot (bzImage, ELF, PVH), e820, MP table, CPUID and
# boot registers. Pure code (no ioctl), so it is linked into azote and
# tested here on synthetic kernels and tables.
ARCH_SRCS := $(wildcard src/arch/x86/*.c)
