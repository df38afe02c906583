# src/arch/x86: guest boot (bzImage, ELF, PVH), e820, MP table, CPUID and
# boot registers. Pure code (no ioctl), so it is linked into azote and
# tested here on synthetic kernels and tables; the exception is the vCPU
# and VM state of snapshots (ARCH_KVM_SRCS), which is KVM ioctls and runs
# in the box (tests/integration/18), but for the checks of its sections
# (ARCH_CHECK_SRCS: pure, apart since they link base/state.c).
ARCH_SRCS := $(wildcard src/arch/x86/*.c)
ARCH_KVM_SRCS := src/arch/x86/vcpu_state.c src/arch/x86/vm_state_x86.c
ARCH_CHECK_SRCS := src/arch/x86/state_check.c
ARCH_PURE_SRCS := $(filter-out $(ARCH_KVM_SRCS) $(ARCH_CHECK_SRCS),$(ARCH_SRCS))

X86_TEST_SRCS := tests/unit/x86_fixture.c src/base/guest_mem.c $(ARCH_PURE_SRCS)
$(eval $(call unit_test,test_bzimage,tests/unit/test_bzimage.c $(X86_TEST_SRCS)))
$(eval $(call unit_test,test_elf,tests/unit/test_elf.c $(X86_TEST_SRCS)))
$(eval $(call unit_test,test_e820,tests/unit/test_e820.c $(X86_TEST_SRCS)))
$(eval $(call unit_test,test_mptable,tests/unit/test_mptable.c $(X86_TEST_SRCS)))
$(eval $(call unit_test,test_cpuid,tests/unit/test_cpuid.c $(X86_TEST_SRCS)))
$(eval $(call unit_test,test_msr_list,tests/unit/test_msr_list.c $(X86_TEST_SRCS)))
$(eval $(call unit_test,test_boot_regs,tests/unit/test_boot_regs.c $(X86_TEST_SRCS)))
$(eval $(call unit_test,test_boot,tests/unit/test_boot.c $(X86_TEST_SRCS)))
$(eval $(call unit_test,test_tsc_pair,tests/unit/test_tsc_pair.c src/arch/x86/tsc_pair.c))
# A snapshot's x86 sections against a synthetic host, without KVM.
X86_STATE_SRCS := tests/unit/x86_state_fixture.c $(ARCH_CHECK_SRCS) src/base/state.c
$(eval $(call unit_test,test_state_check,tests/unit/test_state_check.c tests/unit/state_fixture.c $(X86_STATE_SRCS) $(X86_TEST_SRCS)))
$(eval $(call unit_test,test_acpi,tests/unit/test_acpi.c tests/unit/aml_reader.c \
	src/devices/pci.c src/base/io_bus.c src/base/state.c $(X86_TEST_SRCS)))

FUZZ_X86_SRCS := src/base/guest_mem.c $(ARCH_PURE_SRCS)
$(eval $(call fuzzer,fuzz_bzimage,fuzz/fuzz_bzimage.c $(FUZZ_X86_SRCS)))
$(eval $(call fuzzer,fuzz_elf,fuzz/fuzz_elf.c $(FUZZ_X86_SRCS)))
$(eval $(call fuzzer,fuzz_tsc_pair,fuzz/fuzz_tsc_pair.c src/arch/x86/tsc_pair.c))
# A snapshot's x86 sections as a hostile file may have them (fuzz/fuzz_x86_state.c).
$(eval $(call fuzzer,fuzz_x86_state,fuzz/fuzz_x86_state.c $(X86_STATE_SRCS) $(FUZZ_X86_SRCS)))

# Test tools for tests/integration/20-boot-real-kernel.sh (built on demand
# by the test, not part of `all`).
BOOT_INSPECT := $(BUILD)/tools/boot_inspect
$(BOOT_INSPECT): $(patsubst %.c,$(OBJ)/%.o,tests/tools/boot_inspect.c tests/tools/acpi_dump.c src/base/guest_mem.c $(ARCH_PURE_SRCS)) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

PVH_STUB := $(BUILD)/tools/pvh_stub.elf
$(PVH_STUB): tests/tools/pvh_stub.S tests/tools/pvh_stub.ld
	@mkdir -p $(dir $@)
	$(CC) -c -o $@.o tests/tools/pvh_stub.S
	$(LD) -m elf_x86_64 -T tests/tools/pvh_stub.ld --build-id=none -o $@ $@.o
