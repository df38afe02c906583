# src/api: the Firecracker-compatible API (request handling, config file,
# metrics, HTTP server). The azote program links $(API_LIB) with
# $(API_LDLIBS); src/vmm/vm_config.c is the core's, so it is not in here.
API_SRCS   := $(wildcard src/api/*.c)
API_LIB    := $(BUILD)/libapi.a
API_LDLIBS := -lmicrohttpd -ljansson -lpthread

$(API_LIB): $(API_SRCS:%.c=$(OBJ)/%.o)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# A fake VMM behind the real API, for tests that drive the HTTP layer
# without booting anything.
# Its HTTP thread runs under azote's API seccomp list.
API_FAKE_SRCS := src/api/testing/fake_vmm.c src/vmm/vm_config.c src/iface/blk_uring.c
API_FAKE_SERVER := $(BUILD)/tests/azote-api-fake
PROGRAMS += $(API_FAKE_SERVER)
$(API_FAKE_SERVER): $(OBJ)/src/api/testing/fake_server.o \
		$(API_FAKE_SRCS:%.c=$(OBJ)/%.o) $(SANDBOX_SRCS:%.c=$(OBJ)/%.o) \
		$(API_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(API_LDLIBS) -lseccomp

API_TEST_SRCS := $(API_FAKE_SRCS) tests/unit/test_api_util.c

$(eval $(call unit_test,test_api,tests/unit/test_api.c $(API_TEST_SRCS) $(API_SRCS),-ljansson -lmicrohttpd -lpthread))
$(eval $(call unit_test,test_api_balloon,tests/unit/test_api_balloon.c $(API_TEST_SRCS) $(API_SRCS),-ljansson -lmicrohttpd -lpthread))
$(eval $(call unit_test,test_api_config,tests/unit/test_api_config.c $(API_TEST_SRCS) $(API_SRCS),-ljansson -lmicrohttpd -lpthread))
$(eval $(call unit_test,test_api_mmds,tests/unit/test_api_mmds.c $(API_TEST_SRCS) $(API_SRCS),-ljansson -lmicrohttpd -lpthread))
$(eval $(call unit_test,test_api_snapshot,tests/unit/test_api_snapshot.c $(API_TEST_SRCS) $(API_SRCS),-ljansson -lmicrohttpd -lpthread))
$(eval $(call unit_test,test_api_server,tests/unit/test_api_server.c $(API_TEST_SRCS) $(API_SRCS),-ljansson -lmicrohttpd -lpthread))
# With azote's seccomp list for the metrics writer (src/vmm/sandbox.c), which
# the periodic lines are written under.
$(eval $(call unit_test,test_api_metrics,tests/unit/test_api_metrics.c $(API_TEST_SRCS) $(API_SRCS) $(SANDBOX_SRCS),-ljansson -lmicrohttpd -lpthread -lseccomp))

# The fuzzer macro compiles and links in one command, so the version define
# rides along with the libraries.
API_FUZZ_SRCS := $(filter-out src/api/server.c,$(API_SRCS)) $(API_FAKE_SRCS)
API_FUZZ_ARGS := -DAZOTE_VERSION='"$(VERSION)"' -ljansson -lpthread
$(eval $(call fuzzer,fuzz_api,fuzz/fuzz_api.c $(API_FUZZ_SRCS),$(API_FUZZ_ARGS)))
$(eval $(call fuzzer,fuzz_api_uri,fuzz/fuzz_api_uri.c src/api/uri.c))
$(eval $(call fuzzer,fuzz_api_config,fuzz/fuzz_api_config.c $(API_FUZZ_SRCS),$(API_FUZZ_ARGS)))
$(eval $(call unit_test,test_cpu_template,tests/unit/test_cpu_template.c src/api/res_cpu_config.c src/api/json_schema.c src/vmm/vm_config.c $(ARCH_PURE_SRCS) src/base/guest_mem.c,-ljansson))
