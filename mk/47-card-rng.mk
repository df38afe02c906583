# The entropy card: virtio-rng filled from getrandom(2) (src/cards/rng),
# its unit tests, fuzz target and host-only test driver. Uses CARDLIB,
# CARD_MAIN_SRCS and LIMITED_RING_SRCS from mk/40-cards.mk.

RNG_SRCS := src/cards/rng/main.c src/cards/rng/opts.c \
            src/cards/rng/request.c $(LIMITED_RING_SRCS) $(CARD_MAIN_SRCS)

PROGRAMS += $(BUILD)/azote-card-rng
$(BUILD)/azote-card-rng: $(RNG_SRCS:%.c=$(OBJ)/%.o) $(CARDLIB) $(COMMON_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ -lseccomp -lpthread
$(eval $(call unit_test,test_rng_opts,tests/unit/test_rng_opts.c src/cards/rng/opts.c src/cards/card_opts.c $(IFACE_SRCS) src/jail/seccomp.c src/jail/confine.c,-lseccomp))
# The request path on a ring in memory (the net card's fixture is a plain
# driver-and-device ring pair over drv_ring.c's memory).
$(eval $(call unit_test,test_rng_device,tests/unit/test_rng_device.c src/cards/rng/request.c tests/unit/net_fixture.c tests/host/drv_ring.c $(VIRTIO_SRCS) $(RATELIMIT_SRCS),-lpthread))
$(eval $(call fuzzer,fuzz_rng,fuzz/fuzz_rng.c src/cards/rng/request.c $(VIRTIO_SRCS) $(RATELIMIT_SRCS)))
# The host-only vhost-user-rng test driver (front-end library user).
PROGRAMS += $(BUILD)/tests/vurng-drv
$(BUILD)/tests/vurng-drv: $(OBJ)/tests/host/vurng_drv.o $(ONE_RING_DRV_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lpthread
