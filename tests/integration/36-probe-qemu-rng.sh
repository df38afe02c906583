#!/usr/bin/env bash
# The probe's virtio-rng client (virtio 1.2 5.4) against QEMU's own entropy
# devices fed from /dev/urandom, the reference azote's rng card must match:
# virtio-rng-pci (modern) on q35 and virtio-rng-device on microvm's modern
# virtio-mmio. On each transport: buffers of 1, 64 and 4096 bytes and a
# chain of three, filled whole (QEMU gives all that is asked); a rate run;
# QEMU's own rate limit (max-bytes/period) seen from the guest; the cap
# check failing, as it must, on a device that does not cap (QEMU); a
# request the device holds past probe.timeout_ms failing rather than
# hanging; no device failing, saying so. QEMU runs with KVM where /dev/kvm
# is usable, else with its TCG.
. "$(dirname "$0")/../lib/probe-common.sh"
require_qemu

img=$TMP/disk.img
truncate -s 1M "$img"
basic='queue_size=[1-9][0-9]* got_1=1 got_64=64 got_4096=4096 chain=17\+300\+2000 got_chain=2317 reqs=6 bytes=6606 max_used=4096 irq=polled interrupts=0$'

# rate_within NAME LO HI: the last result line's bytes_per_s is in [LO, HI].
rate_within() {
	local got
	got=$(grep -Eo ' bytes_per_s=[0-9]+' "$PROBE_OUT" | tail -n 1 | cut -d= -f2)
	if [ -n "$got" ] && [ "$got" -ge "$2" ] && [ "$got" -le "$3" ]; then
		pass "$1: bytes_per_s=$got in [$2, $3]"
	else
		fail "$1: bytes_per_s=${got:-none}, want [$2, $3]"
	fi
}

# rng_checks VMM-ARGS...: what every transport must pass, its result lines
# starting with the transport's keys ($PROBE_LINE_ALSO).
rng_checks() {
	expect_probe rng 0 "PASS .*$basic" -- "$@" --rng -- probe.test=rng
	expect_probe rng-rate 0 'PASS .*size=64 secs=1 rate_reqs=[1-9][0-9]* rate_bytes=[1-9][0-9]* .* reqs_per_s=[1-9][0-9]* bytes_per_s=[1-9][0-9]* ' -- \
		"$@" --rng -- probe.test=rng probe.secs=1
	# 8 KiB every 500 ms: 16 KiB/s, whatever the request size (QEMU
	# counts bytes in windows: the first one's 8 KiB comes at once).
	expect_probe rng-bw-limit 0 'PASS .*size=1024 secs=2 .*max_used=1024 ' -- \
		"$@" --rng=bw_limit=8192/500 -- probe.test=rng probe.secs=2 probe.size=1024
	rate_within rng-bw-limit 12288 24576
	# QEMU does not cap a request as azote's card does (64 KiB): the
	# check fails, as it must on such a device.
	expect_probe rng-max-not-kept 1 'FAIL .*max=65536 big=131072 big_used=131072 reason=device_exceeded_max$' -- \
		"$@" --rng -- probe.test=rng probe.max=65536
	# ...and passes on one that does: QEMU's 64 KiB a minute, of which
	# the first requests took 6606 bytes, leaves the big one the rest.
	expect_probe rng-max-kept 0 'PASS .*max=65536 big=131072 big_used=58930 reqs=7 bytes=65536 max_used=58930 ' -- \
		"$@" --rng=bw_limit=65536/60000 -- probe.test=rng probe.max=65536
	# One byte a minute: the first request gets it, the next one waits
	# past probe.timeout_ms and fails (the VM ends, no hang).
	expect_probe rng-timeout 1 'FAIL .*got_1=1 op=single size=64 reason=request_timeout$' -- \
		"$@" --rng=bw_limit=1/60000 -- probe.test=rng probe.timeout_ms=500
}

PROBE_LINE_ALSO='^PROBE rng (PASS|FAIL) transport=pci pci=00:[0-9a-f]{2}\.[0-7] '
q=(--vmm qemu-q35 --timeout 90)
rng_checks "${q[@]}"
# Completions by MSI-X: one interrupt per request.
expect_probe rng-msix 0 'PASS .*reqs=6 bytes=6606 max_used=4096 irq=msix interrupts=6$' -- \
	"${q[@]}" --rng -- probe.test=rng probe.irq=1
# The second device of two; a disk alone is no entropy device.
expect_probe rng-second 0 "PASS .*$basic" -- "${q[@]}" --rng --rng -- probe.test=rng probe.dev=1

PROBE_LINE_ALSO='^PROBE rng (PASS|FAIL) transport=mmio mmio=0x[0-9a-f]+ irq=[0-9]+ '
m=(--vmm qemu-microvm --timeout 90)
rng_checks "${m[@]}"
expect_probe rng-second 0 "PASS .*$basic" -- "${m[@]}" --disk "$img" --rng --rng -- probe.test=rng probe.dev=1
# The probe takes no interrupt over MMIO: refused, not ignored.
expect_probe rng-irq-mmio 1 'FAIL .*reason=irq_not_on_this_transport$' -- \
	"${m[@]}" --rng -- probe.test=rng probe.irq=1

# No entropy device (a disk is none): a FAIL that says so.
PROBE_LINE_ALSO=""
expect_probe rng-none-pci 1 'FAIL transport=pci reason=no_virtio_rng pci_functions=[0-9]+$' -- \
	"${q[@]}" --disk "$img" -- probe.test=rng
expect_probe rng-none-mmio 1 'FAIL transport=mmio reason=no_virtio_rng mmio_devices=1$' -- \
	"${m[@]}" --disk "$img" -- probe.test=rng
# Parameters: what the test does not know, or out of range, is refused.
expect_probe rng-bad-secs 1 'FAIL .* param_error=bad_value key=secs min=1 max=3600$' -- \
	"${q[@]}" --rng -- probe.test=rng probe.secs=0
expect_probe rng-unknown-key 1 'FAIL param_error=unknown key=sectors' -- \
	"${q[@]}" --rng -- probe.test=rng probe.sectors=1
# probe-run refuses for QEMU what its virtio-rng cannot do.
expect_probe rng-qemu-ops-limit 2 '^$' -- "${q[@]}" --rng=ops_limit=100/1000 -- probe.test=rng
expect_match rng-qemu-ops-limit "$(cat "$TMP/probe.err")" 'ops_limit=100/1000: .*no request limit'
finish
