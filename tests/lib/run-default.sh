#!/usr/bin/env bash
# The default microVM (`make run`): the probe guest with 2 vCPUs, 256 MiB
# and a 64 MiB scratch disk served by an azote-card-blk, running the
# probe's block check. Extra arguments go to azote (e.g. --log-level info).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
disk=$root/build/default-disk.img
[ -f "$disk" ] || truncate -s 64M "$disk"
set -x
exec "$root/build/azote" --kernel "$root/build/probe.elf" --cpus 2 --memory 256M \
	--drive "path=$disk" --cmdline "probe.test=${PROBE_TEST:-hello}" "$@"
