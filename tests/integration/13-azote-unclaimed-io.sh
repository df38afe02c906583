#!/usr/bin/env bash
# needs: kvm
# Issue 2: ports Linux probes (0x80, absent UARTs, VGA), absent PCI slots
# and unassigned MMIO are harmless: reads float high, writes vanish, the
# guest runs on and exits normally.
. "$(dirname "$0")/../lib/common.sh"
require_kvm
guest=$("$ROOT/tests/guests/build.sh" ports "$TMP/guests")
out=$(timeout 30 "$AZOTE" --kernel "$guest" </dev/null 2>"$TMP/err")
expect_eq "exit status" "$?" 0
expect_eq "guest verdict" "$out" "PORTS PASS"
expect_eq "no diagnostics at the default level" "$(cat "$TMP/err")" ""
finish
