#!/usr/bin/env bash
# needs: kvm
# Firecracker's MMDS as Linux reaches it: the VM from a Firecracker config
# file whose mmds-config names its NIC (GET /vm/config shows it). Once the
# guest has eth0 and a route to 169.254.169.254 it says so, and the host,
# through the API, PUTs a document whose ami-id is "pending", reads it back
# (GET /mmds), then PATCHes in the ami-id the guest waits for: azote hands
# each to the net card, which answers the guest from it and keeps those
# frames from the TAP. The guest reads the nested key over HTTP: with V1 a
# plain GET; with V2 a GET without a token is refused (401), PUT
# /latest/api/token gives one, the GET with it reads the value, and one
# with a made-up token is refused. The host's reads come before the PATCH,
# the last thing the guest waits for (it reboots once it has read it).
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
require_kvm
require curl
lg_itest_init
need_built "$AZOTE" "$BUILD/azote-card-net"
require_root "a network namespace and a TAP"

# The host's part, run when the guest says "LINUX mmds-wait": each answer's
# status, then body, into $TMP/<name>.
api="curl -s --unix-socket $TMP/api.sock -H 'Content-Type: application/json' \
	-w '\n%{http_code}'"
doc() { printf '{"latest": {"meta-data": {"ami-id": "%s"}}}' "$1"; }
host_part="$api http://localhost/vm/config > $TMP/vm_config; \
	$api -X PUT http://localhost/mmds -d '$(doc pending)' > $TMP/put; \
	$api http://localhost/mmds > $TMP/get; \
	$api -X PATCH http://localhost/mmds \
		-d \"{\\\"latest\\\": {\\\"meta-data\\\": {\\\"ami-id\\\": \\\"\$LG_MMDS_VALUE\\\"}}}\" > $TMP/patch"
status() { tail -n 1 "$TMP/$1"; }
body() { sed '$d' "$TMP/$1"; }

for version in V1 V2; do
	echo "--- MMDS $version"
	rm -f "$TMP/api.sock" "$TMP"/{vm_config,put,get,patch}
	lg_run --vmm azote --net --mmds "$version" --checks boot,mmds \
		--vmm-arg --api-sock --vmm-arg "$TMP/api.sock" --when 'LINUX mmds-wait' "$host_part"
	expect_match "GET /vm/config: mmds-config with $version" "$(body vm_config)" \
		"\"mmds-config\":\\{\"version\":\"$version\",\"network_interfaces\":\\[\"n0\"\\]"
	expect_eq "PUT /mmds after boot" "$(status put)" 204
	expect_eq "GET /mmds: the document, compact" "$(body get)" \
		'{"latest":{"meta-data":{"ami-id":"pending"}}}'
	expect_eq "PATCH /mmds after boot" "$(status patch)" 204
	expect_match "the guest read the patched ami-id" "$(lg_result mmds value)" \
		'^ami-[0-9a-f]{8}$'
	if [ "$version" = V2 ]; then
		expect_eq "V2: a GET without a token refused" "$(lg_result mmds no_token)" 401
		expect_eq "V2: a made-up token refused" "$(lg_result mmds bad_token)" 401
	fi
done
finish
