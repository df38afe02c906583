# Snapshots (docs/snapshot.md): the state file, guest memory, the parts;
# azote links them through VMM_SRCS (mk/90-azote.mk, with -lz).
# The state file (zlib for its CRC-32) and its parser's fuzzer.
SNAPSHOT_FILE_SRCS := src/vmm/snapshot_file.c src/vmm/atomic_file.c src/base/state.c
$(eval $(call unit_test,test_snapshot_file,tests/unit/test_snapshot_file.c $(SNAPSHOT_FILE_SRCS) src/arch/x86/e820.c src/base/guest_mem.c,-lz))
$(eval $(call fuzzer,fuzz_snapshot_file,fuzz/fuzz_snapshot_file.c $(SNAPSHOT_FILE_SRCS),-DAZOTE_VERSION='"$(VERSION)"' -lz))
# A snapshot from a host whose KVM offered a feature this one lacks (test 67).
PROGRAMS += $(BUILD)/tests/snap-cpuid-bit
$(BUILD)/tests/snap-cpuid-bit: $(OBJ)/tests/host/snap_cpuid_bit.o $(SNAPSHOT_FILE_SRCS:%.c=$(OBJ)/%.o) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lz
$(eval $(call unit_test,test_snapshot_mem,tests/unit/test_snapshot_mem.c src/vmm/snapshot_mem.c src/vmm/atomic_file.c src/vmm/dirty_log.c src/base/guest_mem.c))
# The record of changed pages (diff snapshots): the merge, without KVM.
$(eval $(call unit_test,test_dirty_log,tests/unit/test_dirty_log.c src/vmm/dirty_log.c src/base/guest_mem.c))
# The same log as a compromised card may leave it (fuzz/fuzz_dirty_log.c).
$(eval $(call fuzzer,fuzz_dirty_log,fuzz/fuzz_dirty_log.c src/vmm/dirty_log.c src/base/guest_mem.c))
# Create's files as a failure leaves them (snapshot_ops.c), with stand-ins
# for the parts and KVM's dirty log.
$(eval $(call unit_test,test_snapshot_create,tests/unit/test_snapshot_create.c src/vmm/snapshot_ops.c \
	$(SNAPSHOT_FILE_SRCS) src/vmm/snapshot_mem.c src/vmm/dirty_log.c src/base/guest_mem.c \
	src/arch/x86/e820.c,-lz))
# The parts of a snapshot, with stand-ins for the vm-state and card-rings parts.
$(eval $(call unit_test,test_snapshot,tests/unit/test_snapshot.c src/vmm/snapshot.c src/base/state.c))
# The card-rings part against a device's transport, the card a stand-in
# (tests/unit/fake_card.c).
VHOST_DEVS_STATE_SRCS := tests/unit/fake_card.c src/vmm/vhost_devs_state.c src/vmm/card_rings.c \
	src/devices/virtio_dev.c src/base/state.c src/base/guest_mem.c src/vmm/kind_net.c \
	src/vmm/card_argv.c src/vmm/vm_config.c $(IFACE_SRCS)
$(eval $(call unit_test,test_vhost_devs_state,tests/unit/test_vhost_devs_state.c tests/unit/state_fixture.c $(VHOST_DEVS_STATE_SRCS),-lpthread))
# The same part as a hostile snapshot may have it, on a VM of four devices
# (fuzz/fuzz_vhost_devs.c).
$(eval $(call fuzzer,fuzz_vhost_devs,fuzz/fuzz_vhost_devs.c $(VHOST_DEVS_STATE_SRCS),-lpthread))
# Lazy loading shared by two processes, each with its own userfaultfd
# (test 70, no KVM).
PROGRAMS += $(BUILD)/tests/uffd-share
$(BUILD)/tests/uffd-share: $(OBJ)/tests/host/uffd_share.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lpthread
# Firecracker's Uffd backend with a card (test 71, no KVM): an external
# handler of the tests' own, and azote's and a card's parts of the load.
PROGRAMS += $(BUILD)/tests/uffd-handler $(BUILD)/tests/uffd-relay
$(BUILD)/tests/uffd-handler: $(OBJ)/tests/host/uffd_handler.o $(OBJ)/tests/host/fd_recv.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -ljansson
$(BUILD)/tests/uffd-relay: $(OBJ)/tests/host/uffd_relay.o $(OBJ)/src/vmm/uffd_handoff.o $(OBJ)/src/cards/page_relay.o \
                           $(OBJ)/src/vmm/page_relay.o $(OBJ)/src/base/guest_mem.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -ljansson -lpthread
$(eval $(call unit_test,test_page_relay,tests/unit/test_page_relay.c src/vmm/page_relay.c src/base/guest_mem.c,-lpthread))
$(eval $(call unit_test,test_uffd_handoff,tests/unit/test_uffd_handoff.c tests/host/fd_recv.c src/vmm/uffd_handoff.c src/base/guest_mem.c,-ljansson))
# The relay's check of a card's request (an offset) against guest RAM.
$(eval $(call fuzzer,fuzz_page_relay,fuzz/fuzz_page_relay.c src/vmm/page_relay.c src/arch/x86/e820.c src/base/guest_mem.c))
# A vhost-user back-end that does not log its writes, made of a card
# (test 73: Diff snapshots refused after such a device ran).
PROGRAMS += $(BUILD)/tests/vu-nolog-proxy
$(BUILD)/tests/vu-nolog-proxy: $(OBJ)/tests/host/vu_nolog_proxy.o $(OBJ)/src/vhost/msg.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^
