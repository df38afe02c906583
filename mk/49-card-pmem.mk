# The pmem card: virtio-pmem's request ring, flushes of the backing file
# (src/cards/pmem), its unit tests, fuzz target and host-only test driver.
# Uses CARDLIB, CARD_MAIN_SRCS and LIMITED_RING_SRCS from mk/40-cards.mk.

PMEM_REQ_SRCS := src/cards/pmem/request.c src/cards/pmem/file.c
PMEM_SRCS := src/cards/pmem/main.c src/cards/pmem/opts.c \
             $(PMEM_REQ_SRCS) $(LIMITED_RING_SRCS) $(CARD_MAIN_SRCS)

PROGRAMS += $(BUILD)/azote-card-pmem
$(BUILD)/azote-card-pmem: $(PMEM_SRCS:%.c=$(OBJ)/%.o) $(CARDLIB) $(COMMON_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ -lseccomp -lpthread
$(eval $(call unit_test,test_pmem_opts,tests/unit/test_pmem_opts.c src/cards/pmem/opts.c src/cards/card_opts.c $(IFACE_SRCS) src/jail/seccomp.c src/jail/confine.c,-lseccomp))
# The request path on a ring in memory (the net card's fixture: a plain
# driver-and-device ring pair over drv_ring.c's memfd), and the file's
# checks.
$(eval $(call unit_test,test_pmem_device,tests/unit/test_pmem_device.c $(PMEM_REQ_SRCS) tests/unit/net_fixture.c tests/host/drv_ring.c $(VIRTIO_SRCS) $(RATELIMIT_SRCS),-lpthread))
# Linked so that the target sees each used length as the card gives it.
$(eval $(call fuzzer,fuzz_pmem,fuzz/fuzz_pmem.c $(PMEM_REQ_SRCS) $(VIRTIO_SRCS) $(RATELIMIT_SRCS),-Xlinker --wrap=virtq_push))
# The host-only vhost-user-pmem test driver (front-end library user).
PROGRAMS += $(BUILD)/tests/vupmem-drv
$(BUILD)/tests/vupmem-drv: $(OBJ)/tests/host/vupmem_drv.o $(ONE_RING_DRV_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lpthread
