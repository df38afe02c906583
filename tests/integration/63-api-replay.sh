#!/usr/bin/env bash
# needs: kvm
# Real Firecracker clients replayed against azote (issue 14): the launch,
# files and HTTP requests of firecracker-go-sdk's default handlers, firectl,
# Kata's Go runtime and Firecracker's getting-started guide (before and
# after --enable-pci), and the jailer launches of Kata and of the go-sdk
# (azote-jailer run with their argv, the jail's files placed as they place
# them, then the pid file, uid, gid and ownership they rely on), as read
# from their sources (tests/replay/*.replay,
# tests/replay/README.md). Each request must get the status Firecracker
# answers, but for the known differences listed in tests/lib/replay.sh, which
# are printed as such; each guest (the probe) must boot and use its first
# disk. azote runs in a network namespace of the test's own, with a TAP for
# each client's network interface. AZOTE_REPLAY_ONLY="CLIENT..." plays only
# those (the replay files' names less .replay).
. "$(dirname "$0")/../lib/replay.sh"
. tests/lib/netns.sh
require_kvm
need_built "$AZOTE" "$PROBE_ELF" "$BUILD/azote-card-blk" "$BUILD/azote-card-net" "$BUILD/azote-jailer"
netns_init
REPLAY_WRAP=(ip netns exec "$NS")
REPLAY_NETNS=/run/netns/$NS

i=0
for f in tests/replay/*.replay; do
	if [ -n "${AZOTE_REPLAY_ONLY:-}" ] && [[ " $AZOTE_REPLAY_ONLY " != *" $(basename "$f" .replay) "* ]]; then
		continue
	fi
	# A TAP each: a card that outlived its azote cannot hold the next one's.
	REPLAY_TAP=rtap$i
	# The uid a jailed replay runs azote as may use it (root may anyway).
	ip -n "$NS" tuntap add dev "$REPLAY_TAP" mode tap user 4321 group 4321
	ip -n "$NS" link set "$REPLAY_TAP" up
	replay_run "$f"
	i=$((i + 1))
done
replay_summary
finish
