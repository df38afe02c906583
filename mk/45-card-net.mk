# The net card: a virtio-net device on a host TAP (src/cards/net), its
# unit tests, fuzz target and host-only test driver. Uses CARDLIB and
# JAIL_SRCS from mk/40-cards.mk.

NET_CORE_SRCS := src/cards/net/hdr.c src/cards/net/rx.c src/cards/net/tx.c \
                 src/cards/net/ctrl.c
NET_SRCS := src/cards/net/main.c src/cards/net/device.c src/cards/net/pair.c \
            src/cards/net/tap.c src/vhost/server.c $(NET_CORE_SRCS) $(JAIL_SRCS)

PROGRAMS += $(BUILD)/azote-card-net
$(BUILD)/azote-card-net: $(NET_SRCS:%.c=$(OBJ)/%.o) $(CARDLIB) $(COMMON_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ -lseccomp -lpthread
