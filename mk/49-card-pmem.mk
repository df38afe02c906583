# The pmem card: virtio-pmem's request ring, flushes of the backing file
# (src/cards/pmem), its unit tests, fuzz target and host-only test driver.
# Uses CARDLIB, CARD_MAIN_SRCS and LIMITED_RING_SRCS from mk/40-cards.mk.

PMEM_REQ_SRCS := src/cards/pmem/request.c src/cards/pmem/file.c
PMEM_SRCS := src/cards/pmem/main.c src/cards/pmem/opts.c \
             $(PMEM_REQ_SRCS) $(LIMITED_RING_SRCS) $(CARD_MAIN_SRCS)

PROGRAMS += $(BUILD)/azote-card-pmem
$(BUILD)/azote-card-pmem: $(PMEM_SRCS:%.c=$(OBJ)/%.o) $(CARDLIB) $(COMMON_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ -lseccomp -lpthread
