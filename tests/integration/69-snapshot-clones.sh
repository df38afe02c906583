#!/usr/bin/env bash
# needs: kvm
# Issue 16: many clones of one snapshot, at once, as a Firecracker user
# makes them. A VM runs jailed (azote-jailer: its disk at /disk.img in its
# chroot, a NIC on a TAP) the probe's persist test (a counter in memory
# and on its disk, interrupt-driven through MSI-X); it is paused between
# two rounds and snapshotted through the API, and killed. Five clones then
# load that one snapshot (state file and memory file hard-linked into each
# clone's chroot), each jailed in a chroot of its own, where /disk.img is
# the clone's own copy of the disk as it was at the snapshot (Firecracker's
# answer to "which disk": the snapshot's drive path, resolved in the
# jail), and each on a TAP of its own through the load's
# network_overrides. Loaded paused, all five are then resumed; they run
# at the same time (each probe holds its VM after its result, so all five
# are there when the last passes), each from the round after the
# snapshot to its end, and
# each writes its own disk only: every clone's disk ends with the last
# round's counter, the disk the snapshot was taken with and the memory
# file are untouched. Each clone loads lazily (azote and its cards each
# serve their own faults with a userfaultfd) and holds, loaded paused, a
# small part of its RAM; its guest RAM (resident, proportional) is printed.
. "$(dirname "$0")/../lib/snapshot-api.sh"
. tests/lib/netns.sh
. tests/lib/jail.sh
require_kvm
need_built "$BUILD/azote-jailer" "$AZOTE" "$BUILD/azote-card-blk" "$BUILD/azote-card-net" \
	"$PROBE_ELF"
netns_init
jail_cgroup
base=$TMP/jails uid=4321 rounds=8 clones=5
ram_kib=$((128 << 10)) # jail_probe_files's machine-config
mkdir -p "$base"

# tap NAME: a TAP the VMs' uid may attach to, up, in the test's namespace.
tap() {
	ip -n "$NS" tuntap add dev "$1" mode tap user "$uid" group "$uid"
	ip -n "$NS" link set "$1" up
}

# disk_counter IMG: the persist test's counter in its record (sector 0:
# magic, counter, check; 8 bytes each, little-endian).
disk_counter() { od -An -t u8 -j 8 -N 8 "$1" | tr -d ' '; }

# net_card_tap PID: the TAP the net card among PID's children has open
# (the tun fd's "iff:" in its fdinfo).
net_card_tap() {
	local c f
	for c in $(pgrep -P "$1"); do
		[ "$(cat "/proc/$c/comm")" = azote-card-net ] || continue
		for f in /proc/"$c"/fdinfo/*; do
			sed -n 's/^iff:[[:space:]]*//p' "$f"
		done
	done
}

echo "--- the original VM, jailed, snapshotted between two rounds"
tap otap
for ((i = 1; i <= clones; i++)); do tap "ctap$i"; done
origin=$base/azote/origin/root
jail_probe_files "$origin" \
	"probe.test=persist probe.rounds=$rounds probe.pause_ms=1000 probe.irq=1 probe.hold=1" otap 1M
# PCI (--enable-pci): the probe's interrupt-driven queue needs MSI-X.
jail_azote "$base" "$uid" origin "$TMP/origin.out" --config-file /vm.json --enable-pci
wait_for "$TMP/origin.out" "PROBE persist: round 2 ok" 120 ||
	die "the probe did not reach round 2: $(tail -5 "$TMP/origin.out")"
API_SOCK=$origin/run/firecracker.socket
snap_create /vm.snap /vm.mem
last=$(grep -a -o 'round [0-9]* ok' "$TMP/origin.out" | tail -n 1 | awk '{print $2}')
[ "$last" -lt "$rounds" ] || die "the probe ended before the snapshot (round $last)"
cp "$origin/disk.img" "$TMP/disk.at-snapshot"
snap_kill "$pid"
expect_eq "the disk at the snapshot holds round $last's counter" \
	"$(disk_counter "$TMP/disk.at-snapshot")" "$last"
mem_sum=$(md5sum <"$origin/vm.mem")

echo "--- $clones clones of it, each in its own jail"
declare -A cpid
for ((i = 1; i <= clones; i++)); do
	root=$base/azote/clone-$i/root
	mkdir -p "$root"
	ln "$origin/vm.snap" "$origin/vm.mem" "$root/"
	cp "$TMP/disk.at-snapshot" "$root/disk.img"
	chown -R "$uid:$uid" "$root"
	# Firecracker's default socket, named: azote wants to be told.
	jail_azote "$base" "$uid" "clone-$i" "$TMP/clone-$i.out" --api-sock /run/firecracker.socket
	cpid[$i]=$pid
done
for ((i = 1; i <= clones; i++)); do
	API_SOCK=$base/azote/clone-$i/root/run/firecracker.socket
	wait_socket "$API_SOCK" || continue
	snap_load /vm.snap /vm.mem \
		"\"network_overrides\": [{\"iface_id\": \"eth0\", \"host_dev_name\": \"ctap$i\"}]"
	api_expect 200 '"state":"Paused"' GET /
	api_expect 200 "\"host_dev_name\":\"ctap$i\"" GET /vm/config
	expect_eq "clone $i: its net card is on its own TAP" "$(net_card_tap "${cpid[$i]}")" "ctap$i"
	snap_lazy "${cpid[$i]}"
done
# What each clone's guest RAM costs, loaded (informational): azote's
# mapping, and the Pss summed over azote and its cards, which map it too.
for ((i = 1; i <= clones; i++)); do
	p=${cpid[$i]} pss=0
	for q in $p $(pgrep -P "$p"); do
		pss=$((pss + $(snap_ram_usage "$q" | sed 's/.*pss=//')))
	done
	echo "    clone $i: azote pid $p guest RAM $(snap_ram_usage "$p") KiB; Pss over azote and its cards: $pss KiB"
	# Loaded lazily and paused, a clone holds only the pages its load
	# touched (the cards' rings), not its RAM.
	rss=$(snap_ram_usage "$p" | sed 's/rss=\([0-9]*\).*/\1/')
	[ "$rss" -lt $((ram_kib / 8)) ] && pass "clone $i holds $rss KiB of its $ram_kib KiB of RAM" ||
		fail "clone $i holds $rss KiB of its $ram_kib KiB of RAM: not loaded lazily"
done

# Loaded without resume_vm, a clone is paused: its probe has not gone on.
for ((i = 1; i <= clones; i++)); do
	expect_eq "clone $i, loaded paused, has not run round $((last + 1))" \
		"$(grep -ac "round $((last + 1)) ok" "$TMP/clone-$i.out")" 0
done

echo "--- all five resumed: they run at once"
for ((i = 1; i <= clones; i++)); do
	API_SOCK=$base/azote/clone-$i/root/run/firecracker.socket
	api_expect 204 '' PATCH /vm '{"state": "Resumed"}'
done
# How many had ended their rounds when the last was resumed: for
# information (time in the box, where a guest's second is not the host's,
# proves nothing).
ended=0
for ((i = 1; i <= clones; i++)); do
	grep -aqE 'PROBE persist (PASS|FAIL)' "$TMP/clone-$i.out" && ended=$((ended + 1))
done
echo "    clones that had ended their rounds when the last was resumed: $ended"
# probe.hold=1: a probe that has its result spins instead of ending its
# VM, so every clone is still there when the last one passes: the five
# lifetimes overlap, each clone running from its resume to its result.
# The guest writes its verdict a byte at a time: wait until the part the
# checks below read is there, since SIGTERM may cut the rest.
for ((i = 1; i <= clones; i++)); do
	wait_for "$TMP/clone-$i.out" 'PROBE persist (PASS .* irq=[a-z]+ |FAIL)' 120 ||
		fail "clone $i did not finish: $(tail -3 "$TMP/clone-$i.out")"
done
running=0
for ((i = 1; i <= clones; i++)); do kill -0 "${cpid[$i]}" 2>/dev/null && running=$((running + 1)); done
expect_eq "clones alive when the last had its result (running at once)" "$running" "$clones"
for ((i = 1; i <= clones; i++)); do
	kill -TERM "${cpid[$i]}"
	jail_gone "${cpid[$i]}" 30 || fail "clone $i did not end on SIGTERM"
	out=$(cat "$TMP/clone-$i.out")
	expect_match "clone $i goes on from round $((last + 1))" \
		"$(grep -a -o 'round [0-9]* ok' <<<"$out" | head -n 1)" "^round $((last + 1)) ok$"
	expect_match "clone $i passes, every request with its interrupt" "$out" \
		"PROBE persist PASS .*rounds=$rounds .*counter=$rounds irq=msix"
	expect_eq "clone $i: its own disk holds the last round's counter" \
		"$(disk_counter "$base/azote/clone-$i/root/disk.img")" "$rounds"
done
expect_eq "the original disk still holds round $last's counter" \
	"$(disk_counter "$origin/disk.img")" "$last"
expect_eq "the memory file is as the snapshot wrote it" "$(md5sum <"$origin/vm.mem")" "$mem_sum"
finish
