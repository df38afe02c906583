# guest/: the probe guest, a freestanding x86-64 PVH ELF (build/probe.elf).
# It has its own flags: no libc, no host headers, no sanitizers, no SSE
# (ring-0 code must not touch vector state it never saves), no red zone
# (interrupts arrive on the current stack at ring 0).
PROBE_ELF := $(BUILD)/probe.elf
PROBE_OBJ := $(BUILD)/guest
PROBE_SRCS := $(wildcard guest/*.c) $(wildcard guest/*.S)
PROBE_OBJS := $(patsubst guest/%,$(PROBE_OBJ)/%.o,$(PROBE_SRCS))

PROBE_CFLAGS := -std=gnu11 $(WARN) -O2 -g -ffreestanding -fno-builtin \
	-fno-pic -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fcf-protection=none -mno-red-zone -mno-mmx -mno-sse -mno-sse2 \
	-mno-avx -mcmodel=small -fno-strict-aliasing -Iguest -Isrc \
	-DPROBE_VERSION='"$(VERSION)"' -MMD -MP
PROBE_LDFLAGS := -nostdlib -static -Wl,--build-id=none \
	-Wl,-z,noexecstack -Wl,-z,max-page-size=4096 -T guest/probe.ld

PROGRAMS += $(PROBE_ELF)

$(PROBE_OBJ)/%.c.o: guest/%.c
	@mkdir -p $(dir $@)
	$(CC) $(PROBE_CFLAGS) -c -o $@ $<

$(PROBE_OBJ)/%.S.o: guest/%.S
	@mkdir -p $(dir $@)
	$(CC) $(PROBE_CFLAGS) -c -o $@ $<

$(PROBE_ELF): $(PROBE_OBJS) guest/probe.ld
	$(CC) $(PROBE_CFLAGS) $(PROBE_LDFLAGS) -o $@ $(PROBE_OBJS)

# The host side of net-bench (see tests/lib/probe-netpeer.c).
PROBE_NETPEER := $(BUILD)/probe-netpeer
PROGRAMS += $(PROBE_NETPEER)
$(PROBE_NETPEER): $(OBJ)/tests/lib/probe-netpeer.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^
$(eval $(call unit_test,test_probe_latency,tests/unit/test_probe_latency.c guest/latency.c))
