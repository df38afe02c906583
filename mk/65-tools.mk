# src/tools: small host programs around azote's files, linking only
# src/common. azote-rebase-snap merges a Diff snapshot's memory file onto
# its base (docs/snapshot.md).

REBASE_SNAP_SRCS := src/tools/rebase_snap.c

PROGRAMS += $(BUILD)/azote-rebase-snap
$(BUILD)/azote-rebase-snap: $(OBJ)/src/tools/rebase_snap_main.o $(REBASE_SNAP_SRCS:%.c=$(OBJ)/%.o) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

$(eval $(call unit_test,test_rebase_snap,tests/unit/test_rebase_snap.c $(REBASE_SNAP_SRCS)))
