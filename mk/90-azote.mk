# The hypervisor: src/vmm, src/base, src/devices, the x86 boot code
# (ARCH_SRCS, from mk/10-arch.mk) and the API (API_LIB, from mk/50-api.mk);
# last, so that every fragment it links has been read.
VMM_SRCS     := $(filter-out src/vmm/main.c,$(wildcard src/vmm/*.c))
BASE_SRCS    := $(wildcard src/base/*.c)
DEVICE_SRCS  := $(wildcard src/devices/*.c)
# What azote shares with the cards: vhost-user framing (src/vhost), the
# seccomp and confinement helpers (src/jail), and the card interface's code
# (IFACE_SRCS, mk/40-cards.mk: the rate limits' command-line form and token buckets).
SHARED_SRCS  := src/vhost/msg.c src/jail/seccomp.c src/jail/confine.c $(IFACE_SRCS)
AZOTE_SRCS   := src/vmm/main.c $(VMM_SRCS) $(BASE_SRCS) $(DEVICE_SRCS) $(ARCH_SRCS) $(SHARED_SRCS)

PROGRAMS += $(BUILD)/azote
$(BUILD)/azote: $(AZOTE_SRCS:%.c=$(OBJ)/%.o) $(API_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(API_LDLIBS) -lseccomp -lz

$(eval $(call unit_test,test_vmm_sandbox,tests/unit/test_vmm_sandbox.c $(SANDBOX_SRCS) src/vmm/atomic_file.c src/vmm/snapshot_mem.c src/vmm/dirty_log.c src/base/guest_mem.c,-lseccomp -lpthread))
$(eval $(call unit_test,test_fc_filter,tests/unit/test_fc_filter.c $(filter src/vmm/fc_%,$(SANDBOX_SRCS))))
# Writes Firecracker-format filter files for test 15's --seccomp-filter.
PROGRAMS += $(BUILD)/tests/fc-filter-gen
$(BUILD)/tests/fc-filter-gen: $(OBJ)/tests/host/fc_filter_gen.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lseccomp
# Makes a thread of azote's run a system call, for test 15.
PROGRAMS += $(BUILD)/tests/inject-syscall
$(BUILD)/tests/inject-syscall: $(OBJ)/tests/host/inject_syscall.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^
$(eval $(call fuzzer,fuzz_fc_filter,fuzz/fuzz_fc_filter.c $(filter src/vmm/fc_%,$(SANDBOX_SRCS))))
$(eval $(call unit_test,test_io_bus,tests/unit/test_io_bus.c src/base/io_bus.c))
$(eval $(call unit_test,test_state,tests/unit/test_state.c src/base/state.c))
$(eval $(call unit_test,test_card_rings,tests/unit/test_card_rings.c src/vmm/card_rings.c))
# A snapshot's card-rings and card-config sections (fuzz/fuzz_card_rings.c).
$(eval $(call fuzzer,fuzz_card_rings,fuzz/fuzz_card_rings.c src/vmm/card_rings.c))
# The seeds of fuzz_card_rings and fuzz_card_control, from the encoders:
# build/tests/fuzz-card-seeds fuzz/corpus.
PROGRAMS += $(BUILD)/tests/fuzz-card-seeds
$(BUILD)/tests/fuzz-card-seeds: $(OBJ)/tests/host/fuzz_card_seeds.o $(OBJ)/src/vmm/card_rings.o \
                                $(OBJ)/src/iface/card_control.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^
$(eval $(call unit_test,test_pmem_region,tests/unit/test_pmem_region.c src/vmm/pmem_region.c))
# The command line's parser and what it links, for its fuzzer and its test.
CLI_SRCS := src/vmm/cli.c src/vmm/vm_config.c src/iface/blk_uring.c src/iface/rate_limit.c \
	src/jail/seccomp.c src/jail/confine.c
$(eval $(call fuzzer,fuzz_cli,fuzz/fuzz_cli.c $(CLI_SRCS),-lseccomp))
$(eval $(call unit_test,test_cli,tests/unit/test_cli.c $(CLI_SRCS),-lseccomp))
$(eval $(call unit_test,test_device_kind,tests/unit/test_device_kind.c src/vmm/device_kind.c src/vmm/kind_blk.c src/vmm/kind_net.c src/vmm/kind_vsock.c src/vmm/kind_rng.c src/vmm/kind_balloon.c src/vmm/kind_pmem.c src/vmm/card_argv.c src/vmm/vm_config.c $(IFACE_SRCS)))
$(eval $(call unit_test,test_card_spawn,tests/unit/test_card_spawn.c src/vmm/card_spawn.c))
$(eval $(call unit_test,test_serial_out,tests/unit/test_serial_out.c src/vmm/serial_out.c $(IFACE_SRCS)))
$(eval $(call unit_test,test_devices,tests/unit/test_devices.c src/devices/uart.c src/devices/i8042.c src/devices/acpi_sleep.c src/devices/rtc.c src/devices/irq.c src/base/io_bus.c src/base/state.c tests/unit/state_fixture.c))
$(eval $(call unit_test,test_boot_timer,tests/unit/test_boot_timer.c src/devices/boot_timer.c))
$(eval $(call unit_test,test_pci,tests/unit/test_pci.c src/devices/pci.c src/base/io_bus.c src/base/state.c tests/unit/state_fixture.c))
$(eval $(call unit_test,test_guest_mem,tests/unit/test_guest_mem.c src/base/guest_mem.c))
$(eval $(call unit_test,test_msix,tests/unit/test_msix.c src/devices/msix.c src/devices/pci.c src/base/io_bus.c src/base/state.c tests/unit/state_fixture.c))
$(eval $(call unit_test,test_virtio_pci,tests/unit/test_virtio_pci.c tests/unit/fake_backend.c src/devices/virtio_pci.c src/devices/virtio_dev.c src/devices/msix.c src/devices/pci.c src/base/io_bus.c src/base/state.c tests/unit/state_fixture.c))
$(eval $(call unit_test,test_virtio_mmio,tests/unit/test_virtio_mmio.c tests/unit/fake_backend.c src/devices/virtio_mmio.c src/devices/virtio_dev.c src/base/io_bus.c src/base/state.c tests/unit/state_fixture.c))
# The device models' snapshot loaders on damaged sections (fuzz/fuzz_dev_state.c).
GUEST_DEVICE_SRCS := src/devices/uart.c src/devices/i8042.c src/devices/acpi_sleep.c src/devices/rtc.c src/devices/irq.c src/devices/pci.c src/devices/msix.c src/devices/virtio_dev.c src/devices/virtio_pci.c src/devices/virtio_mmio.c src/base/io_bus.c src/base/state.c
$(eval $(call fuzzer,fuzz_dev_state,fuzz/fuzz_dev_state.c tests/unit/fake_backend.c $(GUEST_DEVICE_SRCS)))
# The same models under a malicious guest's port I/O and MMIO (fuzz/fuzz_dev_access.c).
$(eval $(call fuzzer,fuzz_dev_access,fuzz/fuzz_dev_access.c src/devices/boot_timer.c $(GUEST_DEVICE_SRCS)))
