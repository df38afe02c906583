#!/usr/bin/env bash
# azote-card-vsock without a VM: vuvsock-drv is hypervisor and
# virtio-vsock driver in one process, and the host's programs on the Unix
# sockets. Covers Firecracker's host-initiated CONNECT/OK (the line in
# the spellings Firecracker takes) and guest-initiated <uds>_<port>
# connections, data both ways, shutdown and
# RST (a guest's close waits for what the card holds for a slow host), the
# guest's credit (a guest that does not read stalls only its own
# connection; one that ignores the card's credit is reset), a host that
# hangs up while the card holds bytes for it (reset, the card idles), the
# card's timeouts with a guest that sends no kicks, idle host connections
# (they do not lock the guest out), a host that leaves before the guest
# answered, more connections reset than the RST queue holds while the
# guest has no receive buffer (none loses its RST), a pause and resume
# (connections kept) and a device reset (the old driver's end), hostile
# headers, receive buffers that fit a header only, a guest flooding its
# tx ring (a ring's stop is still answered at once), the sandbox, the
# card's refusals, and a card handed rings in
# use (a restored snapshot's: the guest drops its connections first).
. "$(dirname "$0")/../lib/common.sh"

CARD=$BUILD/azote-card-vsock
DRV=$BUILD/tests/vuvsock-drv
need_built "$CARD" "$DRV"
ALL="resume config host-connect connect-line host-refused guest-connect guest-refused credit overrun drain hup quiet idle-host host-leaves rst-owed hostile seccomp stats reset takeover"

echo "--- card started by the driver"
mkdir -m 0755 "$TMP/d1"
# shellcheck disable=SC2086 # $ALL: the tests
expect_ok "every test, card started as azote does" \
	timeout 120 "$DRV" --uds "$TMP/d1/v.sock" --cid 3 $ALL \
	-- "$CARD" --fd '{fd}' --stats-fd '{stats}' --cid 3 --uds "$TMP/d1/v.sock"
[ ! -e "$TMP/d1/v.sock" ] || rm "$TMP/d1/v.sock"

echo "--- rings handed over in use, as after a snapshot's restore"
mkdir -m 0755 "$TMP/d5"
expect_ok "a TRANSPORT_RESET first, nothing more until the guest took it, then as ever" \
	timeout 120 "$DRV" --base 65000 --uds "$TMP/d5/v.sock" takeover host-connect \
	guest-connect credit -- "$CARD" --fd '{fd}' --cid 3 --uds "$TMP/d5/v.sock"

echo "--- receive buffers with room for a header only"
mkdir -m 0755 "$TMP/d6"
expect_ok "host data that fits no buffer waits, and is not taken for the host's end" \
	timeout 60 "$DRV" --rx-buf 44 --uds "$TMP/d6/v.sock" header-only \
	-- "$CARD" --fd '{fd}' --cid 3 --uds "$TMP/d6/v.sock"

echo "--- a guest that keeps its tx ring full of chains costly to refuse"
mkdir -m 0755 "$TMP/d7"
expect_ok "the card still answers a ring's stop at once" \
	timeout 60 "$DRV" --uds "$TMP/d7/v.sock" host-connect flood \
	-- "$CARD" --fd '{fd}' --cid 3 --uds "$TMP/d7/v.sock"

echo "--- a relative --uds, the largest CID"
mkdir -m 0755 "$TMP/d2"
expect_ok "relative socket path, CID 4294967295" \
	bash -c "cd '$TMP/d2' && timeout 60 '$DRV' --uds v.sock --cid 4294967295 config \
		host-connect guest-connect -- '$CARD' --fd '{fd}' --cid 4294967295 --uds v.sock"

echo "--- confined (--user, as azote starts it when root): the socket bound, then an empty root whose only way out is the socket's directory"
if [ "$(id -u)" = 0 ]; then
	mkdir -m 0755 "$TMP/d3"
	expect_ok "confined card, nobody" \
		timeout 60 "$DRV" --uds "$TMP/d3/v.sock" config host-connect guest-connect \
		guest-refused hostile seccomp -- "$CARD" --fd '{fd}' --cid 3 --uds "$TMP/d3/v.sock" \
		--user 65534:65534
	# A directory its uid may not search (a jail's root, 0700): the host's
	# connections still work, the guest's are refused, and the card says so.
	mkdir -m 0700 "$TMP/d4"
	expect_ok "confined card, socket in a directory nobody cannot search" \
		timeout 60 "$DRV" --uds "$TMP/d4/v.sock" config host-connect guest-refused \
		-- "$CARD" --fd '{fd}' --cid 3 --uds "$TMP/d4/v.sock" --user 65534:65534 \
		2> "$TMP/d4.err"
	expect_match "the card says guest connections will be refused" "$(cat "$TMP/d4.err")" \
		"cannot enter $TMP/d4 as uid 65534: Permission denied: the guest's connections"
else
	echo "not root: confinement not tried"
fi

echo "--- refusals"
touch "$TMP/exists"
expect_refusal any "--uds $TMP/exists: cannot create the socket: Address already in use (remove it first)" "$CARD" \
	--socket "$TMP/s" --cid 3 --uds "$TMP/exists"
expect_refusal any "--uds $TMP/none/v.sock: its directory $TMP/none: No such file or directory" "$CARD" \
	--socket "$TMP/s" --cid 3 --uds "$TMP/none/v.sock"
expect_refusal any "--cid '2': must be a number from 3 to 4294967295" "$CARD" --socket "$TMP/s" --cid 2 \
	--uds "$TMP/v.sock"
expect_refusal any "--uds PATH is required" "$CARD" --socket "$TMP/s" --cid 3
expect_refusal any "--uds '$TMP/': not a file name" "$CARD" --socket "$TMP/s" --cid 3 --uds "$TMP/"
[ ! -e "$TMP/v.sock" ] && pass "a refused card leaves no socket behind" ||
	fail "a refused card left $TMP/v.sock"
finish
