#!/usr/bin/env bash
# needs: box
# An inflated balloon across a snapshot (LINUX_GUEST=stock, virtio-pci):
# the balloon check of test 95, but when the guest says its balloon is
# inflated (64 MiB), the host pauses azote, snapshots it, kills it, and
# loads the snapshot into a new azote on the same console (resume_vm); the
# host's deflation (PATCH /balloon 0) then goes to the restored azote, and
# the guest must see its MemTotal come back. Before that, the restored
# azote must show the balloon as it was: GET /balloon's amount_mib 64
# (the snapshot's recorded configuration, changed by a PATCH after boot),
# GET /balloon/statistics' target and actual 64 (the device configuration
# azote keeps, the guest's `actual` included, from the snapshot's
# card-config section), and the guest's statistics again: the old card gave
# the guest its statistics buffer back when its rings stopped, so the
# guest posts it anew and the new card reads it.
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
export LINUX_GUEST=stock
require_kvm
require curl
lg_itest_init
need_built "$AZOTE" "$BUILD/azote-card-balloon"

sock=$TMP/api.sock
# The VMM run.sh starts: azote as run.sh asks (its balloon on the command
# line, the API on $sock), then, once the snapshot is taken and that azote
# killed, a new azote on the same console waiting for the load.
cat >"$TMP/azote" <<SH
#!/usr/bin/env bash
rm -f "$TMP/restore"
(echo "\$BASHPID" >"$TMP/a.pid"; exec "$AZOTE" --log-path "$TMP/a.log" "\$@")
rc=\$?
[ -e "$TMP/restore" ] || exit \$rc
exec "$AZOTE" --api-sock "$sock" --log-path "$TMP/b.log"
SH
# run.sh --when's command on "LINUX balloon-inflated", before run.sh
# deflates the balloon: each step's HTTP status (and the GETs' bodies)
# into snap.out, for the checks below.
cat >"$TMP/snap.sh" <<SH
#!/usr/bin/env bash
call() {
	curl -s -m 60 --unix-socket "$sock" -X "\$1" "http://localhost\$2" \\
		-H 'Content-Type: application/json' \${3:+--data "\$3"} -o "$TMP/body" -w '%{http_code}'
}
step() { echo "\$1=\$2" >>"$TMP/snap.out"; echo "snap.sh: \$1=\$2" >&2; }
: >"$TMP/snap.out"
step pause "\$(call PATCH /vm '{"state": "Paused"}')"
step create "\$(call PUT /snapshot/create '{"snapshot_type": "Full", "snapshot_path": "$TMP/vm.snap", "mem_file_path": "$TMP/vm.mem"}')"
touch "$TMP/restore"
kill -KILL "\$(cat "$TMP/a.pid")"
for _ in \$(seq 200); do
	[ "\$(call GET / 2>/dev/null)" = 200 ] && [ -e "$TMP/b.log" ] && break
	sleep 0.1
done
step load "\$(call PUT /snapshot/load '{"snapshot_path": "$TMP/vm.snap", "mem_backend": {"backend_type": "File", "backend_path": "$TMP/vm.mem"}, "resume_vm": true}') \$(tr -d '\n' <"$TMP/body")"
grep -q '^load=204 ' "$TMP/snap.out" || tail -n 20 "$TMP/a.log" "$TMP/b.log" >&2
step config "\$(call GET /balloon) \$(tr -d ' \\n' <"$TMP/body")"
for _ in \$(seq 300); do
	status=\$(call GET /balloon/statistics)
	grep -q '"total_memory"' "$TMP/body" && break
	sleep 0.1
done
step stats "\$status \$(tr -d ' \\n' <"$TMP/body")"
SH
chmod +x "$TMP/azote"

echo "--- azote, stock bzImage, balloon inflated to 64 MiB, snapshotted, loaded, deflated"
lg_run --vmm azote --azote "$TMP/azote" --vmm-arg --api-sock --vmm-arg "$sock" \
	--kernel bzImage --transport pci --memory 256M --checks boot,balloon --balloon 64 \
	--when 'LINUX balloon-inflated' "bash $TMP/snap.sh" --timeout 400 --log "$TMP/console"
snap() { sed -n "s/^$1=//p" "$TMP/snap.out"; }
expect_eq "paused" "$(snap pause)" 204
expect_eq "snapshot created" "$(snap create)" 204
expect_eq "loaded into a new azote and resumed" "$(snap load)" "204 "
expect_ok "the new azote logged (it ran): $TMP/b.log" test -s "$TMP/b.log"
config=$(snap config) stats=$(snap stats)
echo "restored: GET /balloon: $config"
echo "restored: GET /balloon/statistics: $stats"
expect_match "GET /balloon: the target set after boot, from the snapshot" "$config" \
	'^200 .*"amount_mib":64[,}]'
expect_match "GET /balloon/statistics: target and actual from the snapshot" "$stats" \
	'^200 .*"target_mib":64[,}]'
expect_match "GET /balloon/statistics: the guest's actual from the snapshot" "$stats" \
	'"actual_mib":64[,}]'
expect_match "the guest's statistics reach the new card" "$stats" '"total_memory":[1-9]'
expect_eq "MemTotal fell by the balloon's size, KiB" "$(lg_result balloon fell_kib)" 65536
expect_eq "MemTotal came back after the restored azote deflated it, KiB" \
	"$(lg_result balloon after_kib)" "$(lg_result balloon before_kib)"
expect_eq "the deflation went to the restored azote: amount_mib" \
	"$(lg_balloon_host deflate_amount_mib)" 0
finish
