#!/usr/bin/env bash
# needs: kvm
# The API end to end with the real hypervisor (issue 6):
#  1. Firecracker's getting-started sequence with curl boots the probe guest
#     with its disk (and a NIC on a TAP device once azote has --net); the
#     probe writes and checks a pattern on the disk;
#  2. the same VM from --config-file --no-api; the probe reads the pattern
#     back;
#  3. --config-file with the API still served, and pause/resume observed
#     from the host: a paused guest echoes nothing of what it is sent, and
#     catches up when resumed.
. "$(dirname "$0")/../lib/api.sh"

PROBE=$PROBE_ELF
require_kvm
need_built "$AZOTE" "$PROBE"
dir=$TMP

# run_azote NAME INPUT ARGS...: azote in the background, console input from
# INPUT, output in $dir/NAME.out; sets $pid.
run_azote() {
	local name=$1 input=$2; shift 2
	"$AZOTE" "$@" <"$input" >"$dir/$name.out" 2>"$dir/$name.err" &
	pid=$!
	kill_at_exit "$pid" TERM
}

truncate -s 8M "$dir/disk.img"
tap=azapi$$
tap=${tap:0:15}
net=0
if "$AZOTE" --help 2>&1 | grep -q -- '--net ' &&
	ip tuntap add dev "$tap" mode tap 2>/dev/null; then
	at_exit "ip link del $tap"
	ip link set "$tap" up
	net=1
else
	echo "note: no TAP device or no --net in azote: the VM gets no NIC"
fi
nic="{\"iface_id\": \"net1\", \"guest_mac\": \"06:00:AC:10:00:02\", \"host_dev_name\": \"$tap\"}"
# probe_boot VERIFY: the boot source running the probe's disk check.
probe_boot() {
	echo "{\"kernel_image_path\": \"$PROBE\", \"boot_args\": \"console=ttyS0 probe.test=blk-verify probe.seed=7 probe.verify=$1\"}"
}
disk="{\"drive_id\": \"rootfs\", \"path_on_host\": \"$dir/disk.img\", \"is_root_device\": true, \"is_read_only\": false}"
machine='{"vcpu_count": 2, "mem_size_mib": 128}'

# ---- 1. getting started over the API ----
API_SOCK=$dir/api.sock
run_azote gs /dev/null --api-sock "$API_SOCK"
wait_socket "$API_SOCK"
api_expect 200 '"state":"Not started"' GET /
api_expect 204 '' PUT /boot-source "$(probe_boot both)"
api_expect 204 '' PUT /machine-config "$machine"
api_expect 204 '' PUT /drives/rootfs "$disk"
[ $net = 1 ] && api_expect 204 '' PUT /network-interfaces/net1 "$nic"
api_expect 204 '' PUT /actions '{"action_type": "InstanceStart"}'
status=0; wait_exit $pid 120 || status=$?
expect_eq "exit status after the guest ended" "$status" 0
expect_match "probe wrote and checked its disk" "$(cat "$dir/gs.out")" \
	'PROBE blk-verify PASS .*mode=both'
[ ! -e "$API_SOCK" ] && pass "socket removed at exit" || fail "socket left behind"

# ---- 2. the same VM from --config-file ----
{
	echo "{\"boot-source\": $(probe_boot read), \"drives\": [$disk],"
	[ $net = 1 ] && echo "\"network-interfaces\": [$nic],"
	echo "\"machine-config\": $machine,"
	echo "\"metrics\": {\"metrics_path\": \"$dir/metrics.json\"}}"
} >"$dir/vm.json"
status=0
timeout 120 "$AZOTE" --config-file "$dir/vm.json" --no-api </dev/null \
	>"$dir/cf.out" 2>"$dir/cf.err" || status=$?
expect_eq "--config-file --no-api: exit status" "$status" 0
expect_match "--config-file: probe read the pattern back" "$(cat "$dir/cf.out")" \
	'PROBE blk-verify PASS .*mode=read'
[ -f "$dir/metrics.json" ] && pass "metrics file created" || fail "no metrics file"

# ---- 3. --config-file with the API; pause and resume seen from the host ----
echo_guest=$("$ROOT/tests/guests/build.sh" echo "$dir/guests")
echo "{\"boot-source\": {\"kernel_image_path\": \"$echo_guest\"}, \"drives\": []}" \
	>"$dir/echo.json"
# The console input is a FIFO we keep open (read-write, so that opening
# it blocks no one).
mkfifo "$dir/in"
exec 3<>"$dir/in"
at_exit "exec 3>&-"
API_SOCK=$dir/pr.sock
run_azote pr "$dir/in" --config-file "$dir/echo.json" --api-sock "$API_SOCK"
wait_socket "$API_SOCK"
api_expect 200 '"state":"Running"' GET /
api_expect 400 'not supported after starting' PUT /machine-config "$machine"
printf 'one ' >&3
wait_for "$dir/pr.out" 'one' 30 && pass "running guest echoes" ||
	fail "running guest did not echo"
api_expect 204 '' PATCH /vm '{"state": "Paused"}'
api_expect 200 '"state":"Paused"' GET /
printf 'two ' >&3
sleep 2
grep -q two "$dir/pr.out" && fail "paused guest echoed" ||
	pass "paused guest is silent"
api_expect 204 '' PATCH /vm '{"state": "Resumed"}'
wait_for "$dir/pr.out" 'two' 30 && pass "resumed guest catches up" ||
	fail "resumed guest did not echo"
printf 'q' >&3
status=0; wait_exit $pid 60 || status=$?
expect_eq "echo guest: exit status" "$status" 0
[ ! -e "$API_SOCK" ] && pass "socket removed at exit" || fail "socket left behind"
finish
