#!/usr/bin/env bash
# needs: kvm
# The persistent memory device end to end: the probe's virtio-pmem client
# against azote, which maps the file into guest physical space (at or
# above 4 GiB, 2 MiB aligned, shared: the guest's writes are the file's)
# and whose azote-card-pmem answers flushes (fsync of the file). The
# suite 38 runs against QEMU's virtio-pmem-pci (tests/lib/pmem.sh), over
# virtio-pci and virtio-mmio: the region where and as large as azote
# says, the file's bytes in it, a seeded pattern written and found in the
# file, nothing else changed, flushes answered; read-only (--pmem ...,ro),
# the file unchanged and writes dropped; the checks failing when the host
# is wrong; two devices. Then no device, an empty file refused, and the
# device as a Firecracker client sets it up (PUT /pmem/{id}).
. "$(dirname "$0")/../lib/api.sh"
. "$(dirname "$0")/../lib/pmem.sh"
require_kvm
need_built "$BUILD/azote-card-pmem"

PROBE_LINE_ALSO='^PROBE pmem (PASS|FAIL) transport=pci pci=00:[0-9a-f]{2}\.[0-7] '
pmem_checks --vmm azote --transport pci --timeout 90
PROBE_LINE_ALSO='^PROBE pmem (PASS|FAIL) transport=mmio mmio=0x[0-9a-f]+ irq=[0-9]+ '
pmem_checks --vmm azote --transport mmio --timeout 90

# No pmem device (a disk is none): a FAIL that says so.
PROBE_LINE_ALSO=""
truncate -s 1M "$TMP/disk.img"
expect_probe pmem-none-pci 1 'FAIL transport=pci reason=no_virtio_pmem pci_functions=[0-9]+$' -- \
	--vmm azote --transport pci --disk "$TMP/disk.img" -- probe.test=pmem probe.size=2M probe.crc=0
expect_probe pmem-none-mmio 1 'FAIL transport=mmio reason=no_virtio_pmem mmio_devices=1$' -- \
	--vmm azote --transport mmio --disk "$TMP/disk.img" -- probe.test=pmem probe.size=2M probe.crc=0
# An empty file has no region to show: azote refuses it, naming it.
: >"$TMP/empty.img"
expect_refusal any "$TMP/empty.img" "$AZOTE" --kernel "$PROBE_ELF" --pmem "path=$TMP/empty.img"

echo "--- as a Firecracker client: PUT /pmem/{id}"
f=$TMP/api.img
pmem_file "$f" 2
crc=$(crc_of "$f")
API_SOCK=$TMP/api.sock
"$AZOTE" --api-sock "$API_SOCK" </dev/null >"$TMP/out" 2>"$TMP/err" &
pid=$!
kill_at_exit "$pid"
wait_socket "$API_SOCK"
api_expect 204 '' PUT /boot-source "{\"kernel_image_path\": \"$PROBE_ELF\",
	\"boot_args\": \"probe.test=pmem probe.size=2M probe.crc=$crc probe.off=8192 probe.seed=5 probe.hold=1\"}"
api_expect 204 '' PUT /pmem/pm0 "{\"id\": \"pm0\", \"path_on_host\": \"$f\"}"
api_expect 204 '' PUT /actions '{"action_type": "InstanceStart"}'
wait_for "$TMP/out" "PROBE hold" 60 || fail "the probe did not finish: $(cat "$TMP/out")"
expect_match "PUT /pmem: the probe's result" "$(cat "$TMP/out")" \
	"^PROBE pmem PASS .* size=2097152 check=2097152 crc=$crc mode=rw off=8192 len=4096 seed=5 .* flush=ok "
kill -TERM "$pid"
wait "$pid"
# The guest's writes went to the file through azote's shared mapping.
expect_file_pattern "PUT /pmem" "$f" 8192 4096 5
finish
