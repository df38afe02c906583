# src/common: small helpers every program links (logging, errors, sizes).
COMMON_SRCS := $(wildcard src/common/*.c)
COMMON_LIB  := $(BUILD)/libcommon.a

$(COMMON_LIB): $(COMMON_SRCS:%.c=$(OBJ)/%.o)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# azote's thread sandbox (src/vmm/sandbox.c) and what it installs: its own
# lists (src/jail/seccomp.c) or Firecracker's compiled filters. Unit tests
# in several mk files link it, hence here.
SANDBOX_SRCS := src/vmm/sandbox.c src/jail/seccomp.c src/vmm/fc_filter.c \
	src/vmm/fc_bincode.c src/vmm/fc_bitcode.c

# unit_test NAME, SOURCES, EXTRA_LIBS: a cmocka test program in $(BUILD)/tests.
define unit_test
UNIT_TESTS += $(BUILD)/tests/$(1)
$(BUILD)/tests/$(1): $(2:%.c=$(OBJ)/%.o) $(COMMON_LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ -lcmocka $(3)
endef

# fuzzer NAME, SOURCES: a libFuzzer target in $(BUILD)/fuzz (clang only).
FUZZ_CC     ?= clang
FUZZ_CFLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -Isrc -fsanitize=fuzzer,address,undefined
define fuzzer
FUZZERS += $(BUILD)/fuzz/$(1)
$(BUILD)/fuzz/$(1): $(2) $(COMMON_SRCS)
	@mkdir -p $$(dir $$@)
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) -o $$@ $$^ $(3)
endef

$(eval $(call unit_test,test_common,tests/unit/test_common.c))
# The userfaultfd pager's ranges (lazy snapshot loading, docs/snapshot.md).
$(eval $(call unit_test,test_uffd_ranges,tests/unit/test_uffd_ranges.c))
