#!/usr/bin/env bash
# MMDS's network stack (src/cards/net/mmds*.c) against a real TCP stack
# and HTTP client: tests/host/mmds-tap serves MMDS on a TAP in a namespace
# of the test's own, and curl there is the guest. ARP, handshakes, closes,
# HTTP/1.0 and 1.1 keep-alive, V2 tokens, answers of many segments through
# the client's window, 20 connections at once, a refused port. No VM.
. "$(dirname "$0")/../lib/netns.sh"

TAPD=$BUILD/tests/mmds-tap
need_built "$TAPD"
require curl
netns_init
netns_tap mmtap0
ip -n "$NS" addr add 10.78.0.2/24 dev mmtap0
ip -n "$NS" route add 169.254.169.254/32 dev mmtap0

big=$(head -c 20000 /dev/zero | tr '\0' x)
printf '{"latest":{"meta-data":{"ami-id":"ami-87654321","reservation-id":"r-1","big":"%s"}},"user-data":"hello"}' \
	"$big" >"$TMP/doc.json"
netns_bg "$TAPD" --tap mmtap0 --data "$TMP/doc.json" --version 2 >"$TMP/tapd.out"
tapd=$!
wait_for "$TMP/tapd.out" '^ready$' 10 || die "mmds-tap did not start"

url=http://169.254.169.254
get() { netns_run 20 curl -s "$@"; }

echo "--- version 2: tokens"
expect_eq "GET without a token" "$(get -o /dev/null -w '%{http_code}' $url/latest/meta-data)" 401
tok=$(get -X PUT -H 'X-metadata-token-ttl-seconds: 60' $url/latest/api/token)
expect_match "PUT /latest/api/token gives a token" "$tok" '^[A-Za-z0-9_-]{43}$'
tok_h="X-metadata-token: $tok"
expect_eq "a wrong token" "$(get -o /dev/null -w '%{http_code}' -H 'X-metadata-token: x' $url/user-data)" 401

echo "--- answers"
expect_eq "IMDS listing" "$(get -H "$tok_h" $url/latest/meta-data)" $'ami-id\nbig\nreservation-id'
expect_eq "JSON, the AWS header" \
	"$(get -H "X-aws-ec2-metadata-token: $tok" -H 'Accept: application/json' $url/latest/meta-data/ami-id)" \
	'"ami-87654321"'
expect_eq "20000 bytes in segments" "$(get -H "$tok_h" $url/latest/meta-data/big | wc -c)" 20000
expect_eq "keep-alive: two requests on one connection" \
	"$(get -H "$tok_h" -w ' %{num_connects}\n' $url/user-data $url/latest/meta-data/ami-id)" \
	$'hello 1\nami-87654321 0'
expect_eq "HTTP/1.0" "$(get -0 -i -H "$tok_h" $url/user-data | head -n 1 | tr -d '\r')" 'HTTP/1.0 200 '
expect_eq "404" "$(get -o /dev/null -w '%{http_code}' -H "$tok_h" $url/nothing)" 404

echo "--- 20 connections at once"
pids=()
for i in $(seq 1 20); do
	get -H "$tok_h" -o /dev/null -w '%{http_code} %{size_download}\n' \
		$url/latest/meta-data/big >"$TMP/par.$i" &
	pids+=("$!")
done
wait "${pids[@]}"
expect_eq "every one answered whole" "$(cat "$TMP"/par.* | sort | uniq -c | tr -s ' ')" ' 20 200 20000'

echo "--- a port MMDS does not serve"
netns_run 20 curl -s -o /dev/null $url:81/
expect_eq "refused (curl: could not connect)" $? 7

kill "$tapd"
wait "$tapd"
expect_eq "mmds-tap ended cleanly" $? 0
finish
