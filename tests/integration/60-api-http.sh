#!/usr/bin/env bash
# The API's HTTP layer over a real Unix socket, driven with curl like a
# Firecracker user would, against azote-api-fake (the real API server with
# a fake VMM): Firecracker's getting-started sequence, error answers,
# limits against slow and oversized clients, metrics, --config-file.
set -euo pipefail
cd "$(dirname "$0")/../.."

FAKE=build/tests/azote-api-fake
[ -x "$FAKE" ] || { echo "skip: $FAKE not built (make all)"; exit 77; }
command -v curl >/dev/null || { echo "skip: curl missing"; exit 77; }
PY=/usr/bin/python3

dir=$(mktemp -d /tmp/azote-60-api.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; [ -f "$dir/fake.err" ] && cat "$dir/fake.err"; exit 1; }

# start_fake NAME ARGS...: runs the fake server on $dir/NAME.sock, waits
# until it serves.
start_fake() {
	local name=$1; shift
	"$FAKE" --api-sock "$dir/$name.sock" "$@" >"$dir/$name.out" \
		2>>"$dir/fake.err" &
	pids+=($!)
	for _ in $(seq 100); do
		grep -q ready "$dir/$name.out" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "$name did not start"
}

SOCK=$dir/api.sock
# api METHOD PATH [BODY]: prints "STATUS BODY".
api() {
	local args=(-s --max-time 5 --unix-socket "$SOCK" -X "$1"
		    -w ' %{http_code}' "http://localhost$2")
	[ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' -d "$3")
	curl "${args[@]}" || true
}
# expect STATUS SUBSTRING METHOD PATH [BODY]
expect() {
	local want=$1 sub=$2; shift 2
	local out req="$*"
	req=${req:0:160}
	out=$(api "$@")
	[[ "$out" == *" $want" ]] || fail "$req -> '$out', want status $want"
	[[ "$out" == *"$sub"* ]] || fail "$req -> '$out', want '$sub'"
	if [ "$want" = 400 ]; then
		[[ "$out" == '{"fault_message":"'* ]] ||
			fail "$req -> '$out' is not Firecracker's error shape"
	fi
}

touch "$dir/vmlinux"
truncate -s 16M "$dir/rootfs.ext4"
start_fake api --request-timeout 2 --idle-timeout 2

# --- Firecracker's getting-started sequence ---
expect 200 '"state":"Not started"' GET /
expect 204 '' PUT /logger "{\"log_path\": \"$dir/fc.log\", \"level\": \"Debug\", \"show_level\": true, \"show_log_origin\": true}"
expect 204 '' PUT /metrics "{\"metrics_path\": \"$dir/metrics.json\"}"
expect 204 '' PUT /boot-source "{\"kernel_image_path\": \"$dir/vmlinux\", \"boot_args\": \"console=ttyS0 reboot=k panic=1\"}"
expect 204 '' PUT /machine-config '{"vcpu_count": 2, "mem_size_mib": 1024}'
expect 204 '' PUT /drives/rootfs "{\"drive_id\": \"rootfs\", \"path_on_host\": \"$dir/rootfs.ext4\", \"is_root_device\": true, \"is_read_only\": false}"
expect 204 '' PUT /network-interfaces/net1 '{"iface_id": "net1", "guest_mac": "06:00:AC:10:00:02", "host_dev_name": "tap0"}'
expect 200 '"vcpu_count":2' GET /machine-config
expect 204 '' PUT /actions '{"action_type": "InstanceStart"}'
expect 200 '"state":"Running"' GET /
grep -qx start "$dir/api.out" || fail "the VMM was not started"
grep -q "microVM started" "$dir/fc.log" || fail "logger file has no start line"

# --- errors: each a 400 naming the problem; the server keeps serving ---
expect 400 'deserializing the json body' PUT /machine-config '{"vcpu_count": 2'
expect 400 'invalid type for field `vcpu_count`' PATCH /machine-config '{"vcpu_count": "2"}'
expect 400 'unknown field `foo`' PUT /boot-source '{"kernel_image_path": "/k", "foo": 1}'
expect 400 'missing field `is_root_device`' PUT /drives/d2 '{"drive_id": "d2"}'
expect 400 'Invalid request method and/or path: GET /nope.' GET /nope
expect 400 'Invalid request method and/or path' DELETE /
expect 400 'not supported after starting the microVM' PUT /machine-config '{"vcpu_count": 1, "mem_size_mib": 128}'
expect 400 'not supported after starting the microVM' PUT /actions '{"action_type": "InstanceStart"}'
expect 400 'does not match the id from the body' PUT /network-interfaces/a '{"iface_id": "b", "host_dev_name": "tap1"}'
big=$(head -c 60000 /dev/zero | tr '\0' ' ')
expect 400 'Request payload with size 60002 is larger than the limit of 51200' PUT /actions "{$big}"
expect 200 '"state":"Running"' GET /

# --- runtime actions ---
expect 204 '' PATCH /vm '{"state": "Paused"}'
expect 200 '"state":"Paused"' GET /
expect 204 '' PATCH /vm '{"state": "Resumed"}'
expect 204 '' PUT /actions '{"action_type": "SendCtrlAltDel"}'
expect 204 '' PATCH /drives/rootfs "{\"drive_id\": \"rootfs\", \"path_on_host\": \"$dir/rootfs.ext4\"}"
expect 204 '' PUT /actions '{"action_type": "FlushMetrics"}'
[ "$(grep -c . "$dir/api.out")" -ge 5 ] || fail "VMM calls missing: $(cat "$dir/api.out")"
for call in pause resume ctrl-alt-del update-drive; do
	grep -qx "$call" "$dir/api.out" || fail "no $call reached the VMM"
done
$PY - "$dir/metrics.json" <<'PY' || fail "metrics line"
import json, sys
line = json.loads(open(sys.argv[1]).readline())
assert line["block_rootfs"]["update_count"] == 1, line
assert line["api_server"]["requests"] > 10, line
assert "exit_io_out" in line["vcpu"], line
PY

# --- slow clients: a stalled request delays no one and is dropped ---
$PY - "$SOCK" <<'PY' || fail "slow client"
import socket, sys, time, subprocess
path = sys.argv[1]
stalled = []
for req in (b"GET / HTTP/1.1\r\nHo", b"PUT /actions HTTP/1.1\r\nContent-Length: 50\r\n\r\n{"):
    s = socket.socket(socket.AF_UNIX); s.connect(path); s.sendall(req)
    stalled.append(s)
t0 = time.monotonic()
out = subprocess.run(["curl", "-s", "--max-time", "2", "--unix-socket", path,
                      "http://localhost/version"], capture_output=True, text=True).stdout
assert "firecracker_version" in out, out
assert time.monotonic() - t0 < 1.0, "a stalled client delayed another"
for s in stalled:
    s.settimeout(6)
    assert s.recv(100) == b"", "stalled connection answered instead of closed"
assert time.monotonic() - t0 < 6.0, "stalled connections kept too long"
PY
expect 200 '"state":"Running"' GET /

# --- the same VM from --config-file: booted at once, API still served ---
cat >"$dir/vm.json" <<JSON
{
  "boot-source": {"kernel_image_path": "$dir/vmlinux", "boot_args": "console=ttyS0"},
  "drives": [{"drive_id": "rootfs", "path_on_host": "$dir/rootfs.ext4",
              "is_root_device": true, "is_read_only": false}],
  "network-interfaces": [{"iface_id": "net1", "guest_mac": "06:00:AC:10:00:02",
                          "host_dev_name": "tap0"}],
  "machine-config": {"vcpu_count": 2, "mem_size_mib": 1024}
}
JSON
start_fake cfg --config-file "$dir/vm.json"
SOCK=$dir/cfg.sock
grep -qx start "$dir/cfg.out" || fail "--config-file did not boot"
expect 200 '"state":"Running"' GET /
expect 200 '"path_on_host":"'"$dir"'/rootfs.ext4"' GET /vm/config
# A bad file is refused with its name and the field.
echo '{"boot-source": {"kernel_image_path": "/nonexistent"}, "drives": []}' >"$dir/bad.json"
if "$FAKE" --api-sock "$dir/bad.sock" --config-file "$dir/bad.json" 2>"$dir/bad.err" >/dev/null; then
	fail "bad config accepted"
fi
grep -q "bad.json: boot-source: The kernel file cannot be opened" "$dir/bad.err" ||
	fail "bad config message: $(cat "$dir/bad.err")"

# --- shutdown removes the socket ---
kill -TERM "${pids[0]}"
wait "${pids[0]}" || fail "fake server exit status"
[ ! -e "$dir/api.sock" ] || fail "socket left behind"
echo "ok"
