#!/usr/bin/env bash
# needs: kvm
# Firecracker's huge_pages "2M": guest RAM on 2 MiB hugetlbfs pages. A
# pool too small fails the start with the pool's figures (no SIGBUS
# later). The probe's persist test (a counter in memory and on its disk,
# its block queue on MSI-X through the block card) boots through the API
# with "huge_pages": "2M": azote and its card map guest RAM by 2 MiB pages,
# the pool holds its 64 pages while the VM lives and gets them back when
# it ends; the VM is snapshotted, killed, and loaded lazily in a new azote,
# which makes its RAM on huge pages again (from the snapshot's recorded
# configuration) and whose pagers load whole huge pages: the probe carries
# on from the next round and passes. Then the same snapshot from an
# external page-fault handler (Firecracker's Uffd backend, which
# Firecracker requires for huge pages): told 2 MiB pages, it copies whole
# ones, the card's through azote's relay, and the probe passes again.
. "$(dirname "$0")/../lib/api.sh"
. "$(dirname "$0")/../lib/snapshot.sh"
require_kvm
require curl
require_root "the host's pool of 2 MiB pages is root's to size; tests here"

# 64 pages for the 128 MiB VM, the second azote's once the first is gone.
huge_pages_free 64 || finish

# page_kib PID: the page size (KiB) of PID's mappings of guest RAM, each
# distinct one once.
page_kib() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { ram = /memfd:azote-guest-ram/ }
	     ram && $1 == "KernelPageSize:" { print $2 }' "/proc/$1/smaps" | sort -u | tr '\n' ' '
}

# expect_huge WHO PID: azote PID and every card it started map guest RAM by
# 2 MiB pages only.
expect_huge() {
	local p
	for p in "$2" $(pgrep -P "$2"); do
		expect_eq "$1: process $p ($(cat "/proc/$p/comm")) maps guest RAM by" \
			"$(page_kib "$p")" "2048 "
	done
}

# expect_available WHAT N: the pool has N pages available (within 5 s: a
# VM's end gives its pages back as the kernel tears it down).
expect_available() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(huge_pages_available)" = "$2" ] && break
		sleep 0.1
	done
	expect_eq "$1: 2 MiB pages available" "$(huge_pages_available)" "$2"
}

echo "--- a pool too small: the start fails, naming it"
have=$(huge_pages_available)
want=$((have + 1))
out=$("$AZOTE" --huge-pages --memory $((want * 2))M --kernel "$PROBE_ELF" </dev/null 2>&1)
expect_eq "azote --huge-pages --memory $((want * 2))M with $have pages available: exit status" \
	"$?" 1
expect_match "the error names the pool" "$out" \
	"cannot reserve $want huge pages of 2 MiB for guest RAM \(huge_pages \"2M\"\): the host's pool has $have available of [0-9]+ \(/proc/sys/vm/nr_hugepages\)"
expect_available "none taken" "$have"

echo "--- the probe on 2 MiB pages, snapshotted, loaded lazily in a new azote"
rounds=12
truncate -s 1M "$TMP/disk.img"
API_SOCK=$TMP/a.sock
start first --api-sock "$API_SOCK" --enable-pci
wait_socket "$API_SOCK"
boot_persist "$rounds" '{"vcpu_count": 2, "mem_size_mib": 128, "huge_pages": "2M"}'
wait_for "$TMP/first.out" "PROBE persist: round 3 ok" 120 "$pid" ||
	die "the probe did not reach round 3: $(tail -5 "$TMP/first.out") $(tail -5 "$TMP/first.err")"
expect_available "the VM's 64 reserved" $((have - 64))
expect_huge "booted" "$pid"
api_expect 200 '"huge_pages":"2M"' GET /vm/config
snap_create "$TMP/vm.snap" "$TMP/vm.mem"
last=$(last_round "$TMP/first.out")
cp "$TMP/disk.img" "$TMP/disk.at-snapshot"
snap_kill "$pid"
expect_available "azote and its card gone: all back" "$have"

API_SOCK=$TMP/b.sock
start second --api-sock "$API_SOCK"
wait_socket "$API_SOCK"
snap_load "$TMP/vm.snap" "$TMP/vm.mem"
api_expect 200 '"huge_pages":"2M"' GET /vm/config
snap_lazy "$pid"
expect_huge "loaded" "$pid"
api_expect 204 '' PATCH /vm '{"state": "Resumed"}'
expect_resumed second "$last" "$rounds"
expect_match "loaded lazily" "$(cat "$TMP/second.err")" "vm.mem loaded lazily"
expect_available "that VM ended: all back" "$have"

echo "--- the same snapshot from an external page-fault handler (Uffd backend)"
cp "$TMP/disk.at-snapshot" "$TMP/disk.img"
HANDLER=$BUILD/tests/uffd-handler
need_built "$HANDLER"
"$HANDLER" "$TMP/h.sock" "$TMP/vm.mem" >"$TMP/handler.out" 2>"$TMP/handler.err" &
hpid=$!
kill_at_exit "$hpid"
wait_socket "$TMP/h.sock"
API_SOCK=$TMP/c.sock
start third --api-sock "$API_SOCK"
wait_socket "$API_SOCK"
api_expect 204 '' PUT /snapshot/load "{\"snapshot_path\": \"$TMP/vm.snap\",
	\"mem_backend\": {\"backend_type\": \"Uffd\", \"backend_path\": \"$TMP/h.sock\"}}"
expect_huge "handed to the handler" "$pid"
api_expect 204 '' PATCH /vm '{"state": "Resumed"}'
expect_resumed third "$last" "$rounds"
wait_exit "$hpid" 30 || die "the handler did not end with azote: $(cat "$TMP/handler.err")"
summary=$(cat "$TMP/handler.out")
copied=$(sed -n 's/^uffd-handler: \([0-9]*\) pages copied.*/\1/p' <<<"$summary")
expect_match "the handler copied whole 2 MiB pages, some of the 64: $summary" \
	"$([ "${copied:-0}" -gt 0 ] && [ "$copied" -le 64 ] && echo yes)" yes
finish
