# azote — top-level build.
#
# One non-recursive make. Each component describes itself in mk/*.mk, so
# adding a program or a test touches only its own fragment.
#
#   make                 build azote, the cards and the probe guest into build/
#   make run             build, then boot the default microVM (probe + disk + NIC)
#   make test            everything CI runs (see tests/run)
#   make unit            unit tests (cmocka)
#   make SAN=1 BUILD=build/asan unit    the same under ASan+UBSan
#   make CC=clang BUILD=build/clang     a clang build
#   make fuzz            libFuzzer targets (needs clang)

BUILD   ?= build
CC      ?= gcc
SAN     ?=
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
           -Wmissing-prototypes -Wvla
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 $(WARN) -D_GNU_SOURCE -DAZOTE_VERSION='"$(VERSION)"' \
           -Isrc -fno-strict-aliasing -MMD -MP
LDFLAGS ?=
LDLIBS  :=

ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif

OBJ := $(BUILD)/obj

# Every program and library fragment appends to these.
PROGRAMS :=
UNIT_TESTS :=
FUZZERS :=

.PHONY: all run test unit fuzz clean
all:

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

include $(sort $(wildcard mk/*.mk))

all: $(PROGRAMS)

run: all
	tests/lib/run-default.sh

test:
	tests/run

unit: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; $$t; done

fuzz: $(FUZZERS)

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
