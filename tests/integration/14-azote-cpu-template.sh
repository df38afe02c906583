#!/usr/bin/env bash
# needs: kvm
# CPU templates: CPUID bits pinned by --cpu-template, by the config file's
# "cpu-config" and by PUT /cpu-config, as the guest sees them.
. "$(dirname "$0")/../lib/api.sh"
require_kvm
guest=$("$ROOT/tests/guests/build.sh" cpuid "$TMP/guests")
tmpl=$ROOT/docs/cpu-templates/no-kvm-pv-hypercalls.json

# kvm_eax OUTPUT: the guest's CPUID 0x40000001 EAX.
kvm_eax() { sed -n 's/^CPUID 40000001 \([0-9a-f]*\) .*/\1/p' <<<"$1"; }
bits_clear() { (( (0x$1 & 0x2800) == 0 )); }

plain=$(timeout 30 "$AZOTE" --kernel "$guest" </dev/null)
expect_eq "plain boot: exit status" "$?" 0
base=$(kvm_eax "$plain")
[ -n "$base" ] || die "no CPUID line: $plain"
# Only meaningful where KVM offers the PV IPI/yield features at all.
(( (0x$base & 0x2800) != 0 )) || skip "this KVM offers neither PV IPI nor PV yield"

out=$(timeout 30 "$AZOTE" --kernel "$guest" --cpu-template "$tmpl" </dev/null)
eax=$(kvm_eax "$out")
bits_clear "$eax" && pass "--cpu-template hides PV IPI and yield ($base -> $eax)" ||
	fail "--cpu-template: EAX $eax"
expect_eq "--cpu-template leaves the other bits" "$(( 0x$eax | (0x$base & 0x2800) ))" "$(( 0x$base ))"
leaf1_plain=$(grep '^CPUID 00000001' <<<"$plain")
expect_eq "leaf 1 untouched" "$(grep '^CPUID 00000001' <<<"$out")" "$leaf1_plain"

echo "{\"boot-source\": {\"kernel_image_path\": \"$guest\"}, \"drives\": [],
       \"cpu-config\": \"$tmpl\"}" >"$TMP/vm.json"
out=$(timeout 30 "$AZOTE" --config-file "$TMP/vm.json" --no-api </dev/null)
bits_clear "$(kvm_eax "$out")" && pass "config file cpu-config applies" ||
	fail "config file cpu-config: $out"

API_SOCK=$TMP/api.sock
"$AZOTE" --api-sock "$API_SOCK" </dev/null >"$TMP/out" 2>"$TMP/err" &
pid=$!
kill_at_exit "$pid"
wait_socket "$API_SOCK"
api_expect 400 'msr_modifiers' PUT /cpu-config '{"msr_modifiers": [{"addr": "0x10", "bitmap": "0b1"}]}'
api_expect 204 '' PUT /cpu-config "$(cat "$tmpl")"
api_expect 204 '' PUT /boot-source "{\"kernel_image_path\": \"$guest\"}"
api_expect 204 '' PUT /actions '{"action_type": "InstanceStart"}'
status=0; wait_exit "$pid" 30 || status=$?
expect_eq "API VM: exit status" "$status" 0
bits_clear "$(kvm_eax "$(cat "$TMP/out")")" && pass "PUT /cpu-config applies" ||
	fail "PUT /cpu-config: $(cat "$TMP/out")"

# A template for a leaf this host lacks stops the VM from starting.
echo '{"cpuid_modifiers":[{"leaf":"0x4fffffff","subleaf":"0","flags":0,"modifiers":[{"register":"eax","bitmap":"0b00000000000000000000000000000000"}]}]}' >"$TMP/bad.json"
out=$(timeout 30 "$AZOTE" --kernel "$guest" --cpu-template "$TMP/bad.json" 2>&1 </dev/null)
expect_eq "missing leaf: exit status" "$?" 1
expect_match "missing leaf: message" "$out" "leaf 0x4fffffff subleaf 0x0 is not in this host's CPUID"
finish
