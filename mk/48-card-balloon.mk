# The balloon card: virtio-balloon's rings (src/cards/balloon), its unit
# tests, fuzz target and host-only test driver. Uses CARDLIB,
# CARD_MAIN_SRCS and POLL_WORKER_SRCS from mk/40-cards.mk.

BALLOON_REQ_SRCS := src/cards/balloon/request.c src/cards/balloon/pages.c \
                    src/cards/balloon/statsq.c
BALLOON_SRCS := src/cards/balloon/main.c src/cards/balloon/opts.c src/cards/balloon/device.c \
                $(BALLOON_REQ_SRCS) $(POLL_WORKER_SRCS) $(CARD_MAIN_SRCS)

PROGRAMS += $(BUILD)/azote-card-balloon
$(BUILD)/azote-card-balloon: $(BALLOON_SRCS:%.c=$(OBJ)/%.o) $(CARDLIB) $(COMMON_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ -lseccomp -lpthread
$(eval $(call unit_test,test_balloon_opts,tests/unit/test_balloon_opts.c src/cards/balloon/opts.c src/cards/card_opts.c $(IFACE_SRCS) src/jail/seccomp.c src/jail/confine.c,-lseccomp))
# The rings on a ring in memory (the net card's fixture: a plain
# driver-and-device ring pair over drv_ring.c's memfd).
$(eval $(call unit_test,test_balloon_rings,tests/unit/test_balloon_rings.c $(BALLOON_REQ_SRCS) tests/unit/net_fixture.c tests/host/drv_ring.c $(VIRTIO_SRCS)))
$(eval $(call fuzzer,fuzz_balloon,fuzz/fuzz_balloon.c $(BALLOON_REQ_SRCS) $(VIRTIO_SRCS)))
# The host-only vhost-user-balloon test driver (front-end library user).
PROGRAMS += $(BUILD)/tests/vuballoon-drv
$(BUILD)/tests/vuballoon-drv: $(OBJ)/tests/host/vuballoon_drv.o $(OBJ)/tests/host/drv_ring.o \
                              $(OBJ)/tests/host/drv_card.o $(OBJ)/tests/host/drv_report.o \
                              $(OBJ)/tests/host/drv_flood.o \
                              $(DRIVER_FE_OBJS) $(CARDLIB) \
                              $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lpthread
