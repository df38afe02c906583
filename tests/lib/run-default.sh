#!/usr/bin/env bash
# The default microVM (`make run`): the probe guest with 2 vCPUs, 256 MiB,
# a 64 MiB scratch disk on an azote-card-blk and a NIC on an azote-card-net
# (a TAP made for the run and removed after it; needs root, else the VM
# runs without the NIC). The probe verifies its disk (PROBE_TEST=NAME picks
# another probe test). Extra arguments go to azote, e.g. --log-level info.
# On a machine without a usable /dev/kvm it runs inside the box
# (tests/box/run), where KVM runs on QEMU's emulated AMD-V.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if ! { [ -c /dev/kvm ] && [ -w /dev/kvm ]; } && [ -z "${AZOTE_IN_BOX:-}" ]; then
	echo "run-default: no usable /dev/kvm here: running the microVM inside tests/box/run" >&2
	exec "$root/tests/box/run" -- "$0" "$@"
fi
disk=$root/build/default-disk.img
[ -f "$disk" ] || truncate -s 64M "$disk"
net=()
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null; then
	tap=azrun$$
	ip tuntap add dev "$tap" mode tap
	trap 'ip link del "$tap" 2>/dev/null' EXIT
	ip link set "$tap" up
	net=(--net "tap=$tap")
else
	echo "run-default: not root: no NIC (a TAP needs root)" >&2
fi
set -x
"$root/build/azote" --kernel "$root/build/probe.elf" --cpus 2 --memory 256M \
	--drive "path=$disk" "${net[@]}" --cmdline "probe.test=${PROBE_TEST:-blk-verify}" "$@"
