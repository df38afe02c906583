# Cards: the code every card links (CARDLIB: guest rings, the vhost-user
# back-end; JAIL_SRCS: the sandbox), and the block card.

VIRTIO_SRCS := src/cards/virtio/gmem.c src/cards/virtio/iov.c src/cards/virtio/virtqueue.c src/cards/virtio/vlog.c
VHOST_SRCS  := src/vhost/msg.c src/cards/vhost/backend.c
# The card side of the sandbox; src/vmm/card_spawn.c is the parent side (azote).
JAIL_SRCS   := src/cards/fds.c src/jail/seccomp.c src/jail/confine.c
# Firecracker's rate limiters: the token buckets (pure) and the lock the
# queue threads share them under; the buckets' command-line form is the
# card interface's (IFACE_SRCS), which azote links too (mk/90-azote.mk).
IFACE_SRCS  := src/iface/rate_limit.c src/iface/ratelimit.c src/iface/card_control.c src/iface/blk_uring.c
RATELIMIT_SRCS := src/cards/limiter.c $(IFACE_SRCS)
CARDLIB_SRCS := $(VIRTIO_SRCS) $(VHOST_SRCS) $(RATELIMIT_SRCS)
# The host-side test drivers (tests/host) play azote's part: its vhost-user
# front-end and the way it starts a card.
DRIVER_FE_OBJS := $(OBJ)/src/vmm/vhost_frontend.o $(OBJ)/src/vmm/card_spawn.o
CARDLIB := $(BUILD)/libcard.a

$(CARDLIB): $(CARDLIB_SRCS:%.c=$(OBJ)/%.o)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# What the host-only driver of a card of one ring links beside its own
# object (vurng-drv, vupmem-drv): guest memory and the ring, the card
# started as azote does and set up (drv_one_ring.c), the checks' report.
ONE_RING_DRV_OBJS := $(OBJ)/tests/host/drv_ring.o $(OBJ)/tests/host/drv_card.o \
                     $(OBJ)/tests/host/drv_report.o $(OBJ)/tests/host/drv_one_ring.o \
                     $(OBJ)/tests/host/drv_flood.o \
                     $(DRIVER_FE_OBJS) $(CARDLIB) $(COMMON_LIB)

# What every card program links beside its own folder: the start-up
# skeleton its main.c fills in (card_main.c), the common options, the
# stats page, the socket side and the sandbox.
CARD_MAIN_SRCS := src/cards/card_main.c src/cards/card.c src/cards/card_opts.c src/cards/page_relay.c \
                  src/cards/stats.c src/cards/vhost/server.c $(JAIL_SRCS)
# The one poll()ing worker thread, with its command slot, of the cards
# whose work is synchronous (entropy, balloon, pmem).
POLL_WORKER_SRCS := src/cards/poll_worker.c
# The device of a card with one ring under one limiter, on that worker
# (entropy, pmem).
LIMITED_RING_SRCS := src/cards/limited_ring.c $(POLL_WORKER_SRCS)

BLK_SRCS := src/cards/blk/main.c src/cards/blk/opts.c src/cards/blk/device.c src/cards/blk/queue.c \
            src/cards/blk/req.c src/cards/blk/image.c $(CARD_MAIN_SRCS)

PROGRAMS += $(BUILD)/azote-card-blk
$(BUILD)/azote-card-blk: $(BLK_SRCS:%.c=$(OBJ)/%.o) $(CARDLIB) $(COMMON_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ -luring -lseccomp -lpthread

# The host-only vhost-user-blk test driver (front-end library user).
PROGRAMS += $(BUILD)/tests/vublk-drv

$(BUILD)/tests/vublk-drv: $(OBJ)/tests/host/vublk_drv.o $(OBJ)/tests/host/drv_ring.o \
                          $(OBJ)/tests/host/drv_card.o $(OBJ)/tests/host/drv_rate.o \
                          $(OBJ)/tests/host/drv_flood.o $(OBJ)/tests/host/drv_report.o \
                          $(DRIVER_FE_OBJS) \
                          $(CARDLIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

$(eval $(call unit_test,test_virtqueue,tests/unit/test_virtqueue.c $(VIRTIO_SRCS)))
$(eval $(call unit_test,test_vlog,tests/unit/test_vlog.c $(VIRTIO_SRCS)))
$(eval $(call unit_test,test_vhost_msg,tests/unit/test_vhost_msg.c src/vhost/msg.c src/cards/vhost/backend.c src/cards/vhost/server.c $(VIRTIO_SRCS),-lpthread))
$(eval $(call unit_test,test_vhost_frontend,tests/unit/test_vhost_frontend.c src/vhost/msg.c src/vmm/vhost_frontend.c))
$(eval $(call unit_test,test_blk_req,tests/unit/test_blk_req.c src/cards/blk/req.c src/cards/virtio/iov.c))
$(eval $(call unit_test,test_jail_identity,tests/unit/test_jail_identity.c src/jail/confine.c))
$(eval $(call unit_test,test_card_fds,tests/unit/test_card_fds.c src/cards/fds.c))
# The worker reads kicks with virtq_take_kicks (the ring library).
$(eval $(call unit_test,test_poll_worker,tests/unit/test_poll_worker.c $(POLL_WORKER_SRCS) $(VIRTIO_SRCS),-lpthread))

$(eval $(call fuzzer,fuzz_virtqueue,fuzz/fuzz_virtqueue.c $(VIRTIO_SRCS) src/cards/blk/req.c))
$(eval $(call fuzzer,fuzz_vhost_msg,fuzz/fuzz_vhost_msg.c src/vhost/msg.c src/cards/vhost/backend.c $(VIRTIO_SRCS)))
# azote's front-end on a compromised card's answers (fuzz/fuzz_vhost_reply.c).
$(eval $(call fuzzer,fuzz_vhost_reply,fuzz/fuzz_vhost_reply.c src/vhost/msg.c src/vmm/vhost_frontend.c))
# Every card's command line (fuzz/fuzz_card_opts.c).
$(eval $(call fuzzer,fuzz_card_opts,fuzz/fuzz_card_opts.c $(foreach c,blk net vsock rng balloon pmem,src/cards/$(c)/opts.c) src/cards/card_opts.c $(IFACE_SRCS) src/jail/seccomp.c src/jail/confine.c,-lseccomp))
$(eval $(call unit_test,test_blk_opts,tests/unit/test_blk_opts.c src/cards/blk/opts.c src/cards/card_opts.c $(IFACE_SRCS) src/jail/seccomp.c src/jail/confine.c,-lseccomp))
$(eval $(call unit_test,test_ratelimit,tests/unit/test_ratelimit.c $(IFACE_SRCS)))
$(eval $(call unit_test,test_rate_limit,tests/unit/test_rate_limit.c $(IFACE_SRCS)))
$(eval $(call unit_test,test_card_control,tests/unit/test_card_control.c $(IFACE_SRCS),-lpthread))
# A card's side of the control channel: a request and its fds as a card
# takes them (fuzz/fuzz_card_control.c).
$(eval $(call fuzzer,fuzz_card_control,fuzz/fuzz_card_control.c src/iface/card_control.c))
# The card start-up skeleton alone, with a fake card kind; card_start,
# card_stop and the socket side are the test's own, confinement and
# seccomp wrapped (--wrap), so nothing is closed, listened on, confined or
# filtered for real in the test process.
$(eval $(call unit_test,test_card_main,tests/unit/test_card_main.c src/cards/card_main.c src/cards/card_opts.c src/cards/page_relay.c $(RATELIMIT_SRCS) src/jail/seccomp.c src/jail/confine.c,-lseccomp -lpthread -Xlinker --wrap=jail_confine -Xlinker --wrap=jail_seccomp_apply))
