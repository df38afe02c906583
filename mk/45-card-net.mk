# The net card: a virtio-net device on a host TAP (src/cards/net), its
# unit tests, fuzz target and host-only test driver. Uses CARDLIB and
# JAIL_SRCS from mk/40-cards.mk.

# The Internet checksum: MMDS's headers and a received frame's (hdr.c).
NET_CSUM_SRCS := src/cards/net/csum.c
NET_CORE_SRCS := src/cards/net/hdr.c src/cards/net/rx.c src/cards/net/tx.c \
                 src/cards/net/ctrl.c $(NET_CSUM_SRCS)
# MMDS, the metadata service the card answers in the guest's place
# (docs/mmds in Firecracker): pure, needs jansson for its document.
MMDS_SRCS := src/cards/net/mmds.c src/cards/net/mmds_wire.c \
             src/cards/net/mmds_http.c src/cards/net/mmds_store.c \
             src/cards/net/mmds_rng.c $(NET_CSUM_SRCS)
# The card's one stack between its pairs and azote's SET_MMDS.
NET_MMDS_SRCS := $(MMDS_SRCS) src/cards/net/mmds_port.c
# (sort: the checksum is in both lists, and linked once.)
NET_SRCS := $(sort $(NET_MMDS_SRCS) src/cards/net/main.c src/cards/net/opts.c \
            src/cards/net/device.c src/cards/net/pair.c src/cards/net/tap.c $(NET_CORE_SRCS) \
            $(CARD_MAIN_SRCS))

PROGRAMS += $(BUILD)/azote-card-net
$(BUILD)/azote-card-net: $(NET_SRCS:%.c=$(OBJ)/%.o) $(CARDLIB) $(COMMON_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ -lseccomp -ljansson -lpthread

NET_FIXTURE := tests/unit/net_fixture.c tests/host/drv_ring.c $(VIRTIO_SRCS)
$(eval $(call unit_test,test_net_hdr,tests/unit/test_net_hdr.c src/cards/net/hdr.c $(NET_CSUM_SRCS)))
$(eval $(call unit_test,test_net_rx,tests/unit/test_net_rx.c src/cards/net/rx.c src/cards/net/hdr.c $(NET_CSUM_SRCS) $(NET_FIXTURE)))
$(eval $(call unit_test,test_net_tx,tests/unit/test_net_tx.c src/cards/net/tx.c src/cards/net/ctrl.c src/cards/net/hdr.c $(NET_CSUM_SRCS) $(NET_FIXTURE)))
$(eval $(call unit_test,test_net_tap,tests/unit/test_net_tap.c src/cards/net/tap.c src/cards/net/hdr.c $(NET_CSUM_SRCS)))
$(eval $(call unit_test,test_mmds,tests/unit/test_mmds.c tests/unit/mmds_peer.c $(MMDS_SRCS),-ljansson))
$(eval $(call unit_test,test_mmds_http,tests/unit/test_mmds_http.c $(MMDS_SRCS),-ljansson))
$(eval $(call unit_test,test_netaddr,tests/unit/test_netaddr.c))
$(eval $(call unit_test,test_net_opts,tests/unit/test_net_opts.c src/cards/net/opts.c src/cards/card_opts.c $(IFACE_SRCS) src/jail/seccomp.c src/jail/confine.c,-lseccomp))
NET_DEV_SRCS := $(sort src/cards/net/device.c src/cards/net/pair.c src/cards/net/tap.c \
                $(NET_MMDS_SRCS) $(NET_CORE_SRCS) $(VIRTIO_SRCS) $(RATELIMIT_SRCS))
$(eval $(call unit_test,test_net_dev,tests/unit/test_net_dev.c tests/unit/net_fixture.c tests/host/drv_ring.c $(NET_DEV_SRCS),-ljansson -lpthread))
# read() wrapped (--wrap): a TAP read error of one frame, as tun gives it.
$(eval $(call unit_test,test_net_pair,tests/unit/test_net_pair.c tests/unit/net_fixture.c tests/host/drv_ring.c $(NET_DEV_SRCS),-ljansson -lpthread -Xlinker --wrap=read -Xlinker --wrap=writev))

# MMDS on a TAP, the host's TCP stack as the guest (test 55).
PROGRAMS += $(BUILD)/tests/mmds-tap
$(BUILD)/tests/mmds-tap: $(OBJ)/tests/host/mmds_tap.o $(MMDS_SRCS:%.c=$(OBJ)/%.o) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -ljansson

# The host-only vhost-user-net test driver (front-end library user).
VUNET_SRCS := tests/host/vunet_drv.c tests/host/vunet_io.c tests/host/vunet_pairs.c tests/host/pkt.c \
              tests/host/drv_ring.c tests/host/drv_card.c tests/host/drv_rate.c \
              tests/host/drv_flood.c tests/host/drv_report.c
PROGRAMS += $(BUILD)/tests/vunet-drv
$(BUILD)/tests/vunet-drv: $(VUNET_SRCS:%.c=$(OBJ)/%.o) $(DRIVER_FE_OBJS) \
                          $(CARDLIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lpthread

$(eval $(call fuzzer,fuzz_net,fuzz/fuzz_net.c $(NET_CORE_SRCS) $(VIRTIO_SRCS)))
$(eval $(call fuzzer,fuzz_mmds,fuzz/fuzz_mmds.c tests/unit/mmds_peer.c $(MMDS_SRCS),-ljansson))
