# The vsock card: virtio-vsock joined to host Unix sockets (src/cards/vsock),
# its unit tests, fuzz target and host-only test driver. Uses CARDLIB and
# CARD_MAIN_SRCS from mk/40-cards.mk.

VSOCK_CORE_SRCS := src/cards/vsock/pkt.c src/cards/vsock/conn.c
VSOCK_SRCS := src/cards/vsock/main.c src/cards/vsock/opts.c src/cards/vsock/muxer.c \
              $(VSOCK_CORE_SRCS) $(CARD_MAIN_SRCS)

PROGRAMS += $(BUILD)/azote-card-vsock
$(BUILD)/azote-card-vsock: $(VSOCK_SRCS:%.c=$(OBJ)/%.o) $(CARDLIB) $(COMMON_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ -lseccomp -lpthread

$(eval $(call unit_test,test_vsock_pkt,tests/unit/test_vsock_pkt.c src/cards/vsock/pkt.c))
$(eval $(call unit_test,test_vsock_conn,tests/unit/test_vsock_conn.c $(VSOCK_CORE_SRCS)))
$(eval $(call unit_test,test_vsock_opts,tests/unit/test_vsock_opts.c src/cards/vsock/opts.c src/cards/card_opts.c $(IFACE_SRCS) src/jail/seccomp.c src/jail/confine.c,-lseccomp))

# The host-only vhost-user-vsock test driver (front-end library user).
PROGRAMS += $(BUILD)/tests/vuvsock-drv
$(BUILD)/tests/vuvsock-drv: $(OBJ)/tests/host/vuvsock_drv.o $(OBJ)/src/cards/vsock/pkt.o \
                            $(OBJ)/tests/host/drv_ring.o $(OBJ)/tests/host/drv_card.o \
                            $(OBJ)/tests/host/drv_report.o $(OBJ)/tests/host/drv_flood.o \
                            $(DRIVER_FE_OBJS) $(CARDLIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lpthread

$(eval $(call fuzzer,fuzz_vsock,fuzz/fuzz_vsock.c $(VSOCK_CORE_SRCS)))
$(eval $(call fuzzer,fuzz_vsock_conn,fuzz/fuzz_vsock_conn.c $(VSOCK_CORE_SRCS)))
