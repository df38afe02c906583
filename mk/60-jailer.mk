# azote-jailer: Firecracker's jailer command line, for azote and its cards.

JAILER_SRCS := src/jailer/main.c src/jailer/args.c src/jailer/cgroup.c src/jailer/chroot.c \
               src/jailer/libs.c

PROGRAMS += $(BUILD)/azote-jailer
$(BUILD)/azote-jailer: $(JAILER_SRCS:%.c=$(OBJ)/%.o) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

$(eval $(call unit_test,test_jailer_args,tests/unit/test_jailer_args.c src/jailer/args.c src/jailer/cgroup.c))
$(eval $(call unit_test,test_jailer_libs,tests/unit/test_jailer_libs.c src/jailer/libs.c))
$(eval $(call unit_test,test_jailer_cgroup,tests/unit/test_jailer_cgroup.c src/jailer/cgroup.c))
$(eval $(call unit_test,test_jailer_chroot,tests/unit/test_jailer_chroot.c src/jailer/chroot.c src/jailer/libs.c))

$(eval $(call fuzzer,fuzz_jailer_libs,fuzz/fuzz_jailer_libs.c src/jailer/libs.c))

# What a jailed program sees (tests/integration/16-jailer.sh runs it jailed).
PROGRAMS += $(BUILD)/tests/jail-peek
$(BUILD)/tests/jail-peek: $(OBJ)/tests/host/jail_peek.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^
# A program run where close_range fails (test 16: the jailer refuses).
PROGRAMS += $(BUILD)/tests/no-close-range
$(BUILD)/tests/no-close-range: $(OBJ)/tests/host/no_close_range.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lseccomp
$(eval $(call fuzzer,fuzz_jailer_args,fuzz/fuzz_jailer_args.c src/jailer/args.c src/jailer/cgroup.c))
