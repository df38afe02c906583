#!/usr/bin/env bash
# Firecracker's Uffd memory backend with a card, without KVM: azote's
# handshake with an external page-fault handler (the tests' own,
# tests/host/uffd_handler.c), and a card's faults relayed through azote
# (iface/page_relay.h), on guest RAM of two regions, read by both sides at
# once: every page the file's, copied once by the handler; a request for
# what is no page of RAM refused, a malformed one ending the relay; a
# page the relay refuses, or cannot get once the handler has ended,
# ending the card.
. "$(dirname "$0")/../lib/common.sh"

PROG=$BUILD/tests/uffd-relay
need_built "$PROG"
need_built "$BUILD/tests/uffd-handler"
out=$(timeout 60 "$PROG" "$BUILD/tests/uffd-handler" "$TMP" 2>&1)
case $? in
0) pass "$(grep '^uffd-relay: ' <<<"$out" | sed 's/^uffd-relay: //')" ;;
77) skip "no userfaultfd for this user here: $out" ;;
*) die "$out" ;;
esac
# A page the relay refuses, or cannot get with the handler's process
# gone, ends the card at once, rather than leave a ring worker waiting on
# its fault for good (and the next vhost-user stop with it), or azote's
# relay thread in a touch no one serves.
for how in refused handler-gone; do
	out=$(timeout 60 "$PROG" "$BUILD/tests/uffd-handler" "$TMP" $how 2>&1)
	case $? in
	0) pass "$(grep '^uffd-relay: ' <<<"$out" | sed 's/^uffd-relay: //')" ;;
	77) ;;
	*) fail "$out" ;;
	esac
done
# Guest RAM on 2 MiB pages (huge_pages "2M"): the handler told so, whole
# huge pages copied and relayed. The pool is the host's: root's to size.
if [ "$(id -u)" -ne 0 ]; then
	echo "note: not root: guest RAM on huge pages not tried (the host's pool is root's)"
elif huge_pages_free 4; then
	out=$(timeout 60 "$PROG" "$BUILD/tests/uffd-handler" "$TMP" huge 2>&1) &&
		pass "huge pages: $(grep '^uffd-relay: ' <<<"$out" | sed 's/^uffd-relay: //')" ||
		fail "huge pages: $out"
fi
finish
