#!/usr/bin/env bash
# The API's HTTP layer over a real Unix socket, driven with curl like a
# Firecracker user would, against azote-api-fake (the real API server with
# a fake VMM): Firecracker's getting-started sequence, error answers,
# limits against slow and oversized clients, metrics, --config-file; and
# azote's --version as Kata reads it.
. "$(dirname "$0")/../lib/api.sh"

FAKE=$BUILD/tests/azote-api-fake
need_built "$FAKE"
PY=/usr/bin/python3
dir=$TMP

# start_fake NAME ARGS...: the fake server on $dir/NAME.sock, its VMM
# calls in $dir/NAME.out; waits until it serves.
start_fake() {
	local name=$1 pid; shift
	"$FAKE" --api-sock "$dir/$name.sock" "$@" >"$dir/$name.out" \
		2>>"$dir/fake.err" &
	pid=$!
	kill_at_exit "$pid" TERM
	eval "${name}_pid=$pid"
	wait_for "$dir/$name.out" ready 10 || die "$name did not start: $(cat "$dir/fake.err")"
}

touch "$dir/vmlinux"
truncate -s 16M "$dir/rootfs.ext4"
start_fake api --request-timeout 2 --idle-timeout 2
API_SOCK=$dir/api.sock

# --- Firecracker's getting-started sequence ---
api_expect 200 '"state":"Not started"' GET /
api_expect 204 '' PUT /logger "{\"log_path\": \"$dir/fc.log\", \"level\": \"Debug\", \"show_level\": true, \"show_log_origin\": true}"
api_expect 204 '' PUT /metrics "{\"metrics_path\": \"$dir/metrics.json\"}"
api_expect 204 '' PUT /boot-source "{\"kernel_image_path\": \"$dir/vmlinux\", \"boot_args\": \"console=ttyS0 reboot=k panic=1\"}"
api_expect 204 '' PUT /machine-config '{"vcpu_count": 2, "mem_size_mib": 1024}'
# The target as sent is what routes, as with Firecracker (micro_http
# decodes nothing, and a query is part of the path): none of these acts on
# "rootfs"; a raw NUL or bytes that are not UTF-8 are refused.
rootfs="{\"drive_id\": \"rootfs\", \"path_on_host\": \"$dir/rootfs.ext4\", \"is_root_device\": true, \"is_read_only\": false}"
bad_id='{"fault_message":"API Resource IDs can only contain alphanumeric characters and underscores."}'
api_expect 400 "$bad_id" PUT '/drives/rootfs%00xyz' "$rootfs"
api_expect 400 "$bad_id" PUT '/drives/root%66s' "$rootfs"
api_expect 400 "$bad_id" PUT '/drives/rootfs?x=1' "$rootfs"
api_expect 400 '{"fault_message":"Invalid request method and/or path: GET /vers%69on."}' GET '/vers%69on'
api_expect 400 '{"fault_message":"Invalid request method and/or path: GET /nope%0aazote:%20forged."}' GET '/nope%0aazote:%20forged'
raw() {
	$PY - "$API_SOCK" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)
s.sendall(sys.argv[2].encode("latin-1").decode("unicode_escape").encode("latin-1"))
out = b""
while b"}" not in out:
    d = s.recv(4096)
    if not d: break
    out += d
status = out.split(b" ")[1].decode()
body = out[out.find(b"\r\n\r\n") + 4:].decode("utf-8", "backslashreplace")
print(body, status)
PY
}
# raw_expect STATUS BODY REQUEST: REQUEST's bytes (Python escapes) on the
# socket answer STATUS with BODY.
raw_expect() {
	local out
	out=$(raw "$3")
	[ "$out" = "$2 $1" ] && pass "${3:0:60} -> $1" || fail "${3:0:60} -> '$out', want '$2 $1'"
}
raw_expect 400 '{"fault_message":"Invalid URI: a NUL byte is not allowed in the request target."}' \
	'PUT /drives/rootfs\x00xyz HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}'
raw_expect 400 '{"fault_message":"Invalid URI: Cannot parse URI as UTF-8."}' \
	'GET /version\xff HTTP/1.1\r\nHost: x\r\n\r\n'
raw_expect 400 '{"fault_message":"Invalid request method and/or path: GET /nope\raz."}' \
	'GET /nope\raz HTTP/1.1\r\nHost: x\r\n\r\n'
raw_expect 200 '{"firecracker_version":"1.16.0"}' \
	'GET http://localhost/version HTTP/1.1\r\nHost: x\r\n\r\n'
api_expect 200 '"drives":[]' GET /vm/config
# The log quotes those paths as sent, and a body's path field with its
# control characters (C1's CSI too) escaped: no line is the client's.
api_expect 400 'The kernel file cannot be opened' PUT /boot-source '{"kernel_image_path": "/nonexistent\u009b[2J\nazote: forged"}'
expect_match "the log quotes %0a as sent" "$(cat "$dir/fc.log")" 'GET /nope%0aazote:%20forged'
expect_match "the log escapes a raw CR" "$(cat "$dir/fc.log")" 'GET /nope\\x0daz'
expect_match "the log escapes a path field's controls" "$(cat "$dir/fc.log")" \
	'/nonexistent\\xc2\\x9b\[2J\\x0aazote: forged'
if grep -q '^azote: forged' "$dir/fc.log" || LC_ALL=C grep -q $'\r\|\xc2\x9b' "$dir/fc.log"; then
	fail "a client's string started a log line of its own, or holds a control"
else
	pass "no log line forged by a client's string"
fi
api_expect 204 '' PUT /drives/rootfs "$rootfs"
api_expect 204 '' PUT /network-interfaces/net1 '{"iface_id": "net1", "guest_mac": "06:00:AC:10:00:02", "host_dev_name": "tap0"}'
api_expect 200 '"vcpu_count":2' GET /machine-config
# Firecracker's balloon before boot: the body's rules, then the device.
api_expect 400 'Balloon config error: No balloon device found.' GET /balloon
api_expect 400 'missing field `deflate_on_oom`' PUT /balloon '{"amount_mib": 64}'
api_expect 400 'unknown field `target`' PUT /balloon '{"amount_mib": 64, "deflate_on_oom": true, "target": 1}'
api_expect 400 'Amount of pages requested is too large. (balloon.amount_mib: 1025 MiB is more than the guest' PUT /balloon '{"amount_mib": 1025, "deflate_on_oom": true}'
api_expect 400 'does not implement free page hinting' PUT /balloon '{"amount_mib": 64, "deflate_on_oom": true, "free_page_hinting": true}'
api_expect 400 'not supported before starting the microVM' PATCH /balloon '{"amount_mib": 32}'
api_expect 400 'not supported before starting the microVM' GET /balloon/statistics
api_expect 204 '' PUT /balloon '{"amount_mib": 64, "deflate_on_oom": true, "stats_polling_interval_s": 1}'
api_expect 200 '"amount_mib":64,"deflate_on_oom":true,"stats_polling_interval_s":1,"free_page_hinting":false' GET /balloon
api_expect 400 'smaller than the previously set balloon device target size' PATCH /machine-config '{"mem_size_mib": 63}'
api_expect 204 '' PUT /actions '{"action_type": "InstanceStart"}'
api_expect 200 '"state":"Running"' GET /
expect_match "the VMM was started" "$(cat "$dir/api.out")" '^start$'
expect_match "the log file has the start" "$(cat "$dir/fc.log")" 'microVM started'

# --- errors: each a 400 naming the problem; the server keeps serving ---
api_expect 400 'deserializing the json body' PUT /machine-config '{"vcpu_count": 2'
api_expect 400 'invalid type for field `vcpu_count`' PATCH /machine-config '{"vcpu_count": "2"}'
api_expect 400 'unknown field `foo`' PUT /boot-source '{"kernel_image_path": "/k", "foo": 1}'
api_expect 400 'missing field `is_root_device`' PUT /drives/d2 '{"drive_id": "d2"}'
api_expect 400 'Invalid request method and/or path: GET /nope.' GET /nope
api_expect 400 'Invalid request method and/or path' DELETE /
api_expect 400 'not supported after starting the microVM' PUT /machine-config '{"vcpu_count": 1, "mem_size_mib": 128}'
api_expect 400 'not supported after starting the microVM' PUT /actions '{"action_type": "InstanceStart"}'
api_expect 400 'does not match the id from the body' PUT /network-interfaces/a '{"iface_id": "b", "host_dev_name": "tap1"}'
big=$(head -c 60000 /dev/zero | tr '\0' ' ')
api_expect 400 'Request payload with size 60002 is larger than the limit of 51200' PUT /actions "{$big}"
api_expect 200 '"state":"Running"' GET /

# --- runtime actions reach the VMM ---
api_expect 204 '' PATCH /vm '{"state": "Paused"}'
api_expect 200 '"state":"Paused"' GET /
api_expect 204 '' PATCH /vm '{"state": "Resumed"}'
api_expect 204 '' PUT /actions '{"action_type": "SendCtrlAltDel"}'
api_expect 204 '' PATCH /drives/rootfs "{\"drive_id\": \"rootfs\", \"path_on_host\": \"$dir/rootfs.ext4\"}"
api_expect 204 '' PATCH /balloon '{"amount_mib": 32}'
api_expect 200 '"amount_mib":32' GET /balloon
api_expect 400 'Statistics cannot be enabled/disabled after activation' PATCH /balloon/statistics '{"stats_polling_interval_s": 0}'
api_expect 204 '' PATCH /balloon/statistics '{"stats_polling_interval_s": 5}'
api_expect 200 '"target_pages":0' GET /balloon/statistics
api_expect 400 'does not implement free page hinting' PATCH /balloon/hinting/stop
api_expect 204 '' PUT /actions '{"action_type": "FlushMetrics"}'
for call in pause resume ctrl-alt-del update-drive update-balloon update-balloon-stats balloon-status; do
	expect_match "$call reached the VMM" "$(cat "$dir/api.out")" "^$call\$"
done
$PY - "$dir/metrics.json" <<'PY' && pass "metrics line" || fail "metrics line"
import json, sys
line = json.loads(open(sys.argv[1]).readline())
assert line["block_rootfs"]["update_count"] == 1, line
assert line["api_server"]["requests"] > 10, line
assert "exit_io_out" in line["vcpu"], line
assert len(line["balloon"]) == 12 and line["balloon"]["inflate_count"] == 0, line
PY

# --- slow clients: a stalled request delays no one and is dropped ---
$PY - "$API_SOCK" <<'PY' && pass "stalled clients" || fail "stalled clients"
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
api_expect 200 '"state":"Running"' GET /

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
API_SOCK=$dir/cfg.sock
expect_match "--config-file booted" "$(cat "$dir/cfg.out")" '^start$'
api_expect 200 '"state":"Running"' GET /
api_expect 200 "\"path_on_host\":\"$dir/rootfs.ext4\"" GET /vm/config
# A bad file is refused with its name and the field.
echo '{"boot-source": {"kernel_image_path": "/nonexistent"}, "drives": []}' >"$dir/bad.json"
"$FAKE" --api-sock "$dir/bad.sock" --config-file "$dir/bad.json" \
	2>"$dir/bad.err" >/dev/null && fail "bad config accepted"
expect_match "bad config message" "$(cat "$dir/bad.err")" \
	'bad.json: boot-source: The kernel file cannot be opened'

# --- a clean stop removes the socket ---
kill -TERM "$api_pid"
wait "$api_pid" && pass "fake server exit status 0" || fail "fake server exit status"
[ ! -e "$dir/api.sock" ] && pass "socket removed" || fail "socket left behind"

# --- versions as version-checking clients read them ---
# Kata: the second word of the first line of --version, "v" dropped, a
# semantic version of at least Firecracker 0.21.1.
need_built "$AZOTE"
first=$("$AZOTE" --version | head -n 1 | cut -d ' ' -f 2)
expect_match "--version's first line: the Firecracker API version" "${first#v}" '^1\.16\.0$'
expect_match "--version names azote" "$("$AZOTE" --version)" '^azote [0-9]+\.[0-9]+\.[0-9]+$'
finish
