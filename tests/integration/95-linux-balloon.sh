#!/usr/bin/env bash
# needs: box
# Debian's stock kernel inflates and deflates azote's balloon
# (azote-card-balloon, Firecracker's balloon device; LINUX_GUEST=stock: its
# virtio_balloon module, unpatched), over virtio-pci with the balloon from
# azote's command line (--balloon) and over virtio-mmio with it from a
# Firecracker config file ("balloon"): 0 MiB at boot, the guest's
# statistics every second, no deflate-on-OOM. The guest (the init's
# balloon check) writes to most of its free memory and frees it, so that
# azote's guest RAM (the memfd azote-guest-ram) holds those pages, then
# says so; the host PATCHes /balloon to 64 MiB and waits for GET
# /balloon/statistics to show actual_mib 64 and the guest's statistics
# with the balloon in them. The guest sees its MemTotal fall by exactly
# 64 MiB (without deflate-on-OOM Linux takes ballooned pages out of it);
# the card gave those pages back (madvise MADV_REMOVE), so the memfd's
# allocated blocks fell by at least half of that (the guest chooses which
# pages go into the balloon; most were written just before). Then the
# host PATCHes the balloon to 0 and the guest sees MemTotal come back.
# A third boot (virtio-pci) adds free page reporting: the memory the guest
# wrote and freed comes back to the host by the guest's own reports, with
# no inflation: the memfd holds at least 32 MiB less than the guest wrote
# (without reporting it holds all of it, which the first two boots check).
# A fourth does the same on guest RAM of 2 MiB hugetlbfs pages
# (--huge-pages): the guest's side of the balloon, reports included, works
# as before, while nothing is given back (a huge page punched out of the
# memfd would lose its reservation: docs/card-balloon.md), so the memfd
# holds after the inflation at least what it held when the guest was
# ready.
# (Test 85 runs the same check against QEMU's virtio-balloon.)
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
export LINUX_GUEST=stock
require_kvm
lg_itest_init
need_built "$AZOTE" "$BUILD/azote-card-balloon"

mib=64
for run in pci mmio pci,reporting pci,reporting,huge; do
	transport=${run%%,*} reporting=0 huge=0 spec=$mib
	export LG_BALLOON_REPORT_MIB=32
	case $run in
	pci) how=() what="azote's --balloon" ;;
	mmio) how=(--config-file) what="the config file's balloon" ;;
	*,reporting) how=() what="azote's --balloon, with free page reporting"
		reporting=1 spec=$mib,reporting ;;
	*,huge) how=(--vmm-arg --huge-pages)
		what="azote's --balloon, with free page reporting, on 2 MiB pages"
		reporting=1 huge=1 spec=$mib,reporting LG_BALLOON_REPORT_MIB=0
		huge_pages_free 128 || continue ;;
	esac
	echo "--- azote, stock bzImage, a balloon over virtio-$transport from $what"
	lg_run --vmm azote --kernel bzImage --transport "$transport" --memory 256M \
		--checks boot,balloon --balloon "$spec" ${how[@]+"${how[@]}"} --timeout 600 \
		--log "$TMP/console"
	before=$(lg_result balloon before_kib) inflated=$(lg_result balloon inflated_kib)
	dirtied=$(($(lg_result balloon dirtied_mib) << 10)) wait=$(lg_balloon_host ram_wait_kib)
	expect_eq "the guest negotiated the statistics ring" "$(lg_result balloon stats_vq)" 1
	expect_eq "and not deflate-on-OOM" "$(lg_result balloon deflate_on_oom)" 0
	expect_eq "free page reporting as offered" "$(lg_result balloon reporting)" "$reporting"
	# (On huge pages reports give nothing back: the memfd holds it all.)
	if [ "$reporting" -eq 1 ] && [ "$huge" -eq 0 ]; then
		reported=$(lg_balloon_host ram_reported_kib)
		expect_ok "the guest's reports gave back what it freed: memfd $reported KiB, written $dirtied KiB (in $(lg_balloon_host report_ms) ms)" \
			test "${reported:-$dirtied}" -le $((dirtied - (LG_BALLOON_REPORT_MIB << 10)))
	else
		expect_ok "nothing reported back: the memfd holds what the guest wrote and freed ($wait KiB, written $dirtied KiB)" \
			test "${wait:-0}" -ge "$dirtied"
	fi
	expect_eq "MemTotal fell by the balloon's size, KiB" "$(lg_result balloon fell_kib)" \
		$((mib << 10))
	expect_eq "MemTotal came back after the deflation, KiB" "$(lg_result balloon after_kib)" \
		"$before"
	expect_eq "GET /balloon: amount_mib after the PATCH" "$(lg_balloon_host amount_mib)" "$mib"
	expect_eq "GET /balloon/statistics: actual_mib" "$(lg_balloon_host actual_mib)" "$mib"
	fell=$(lg_balloon_host ram_fell_kib)
	echo "guest RAM memfd: $(lg_balloon_host ram_before_kib) KiB allocated before," \
		"$(lg_balloon_host ram_inflated_kib) KiB inflated ($fell KiB fewer)"
	# (With reports the balloon takes pages already given back.)
	if [ "$huge" -eq 1 ]; then
		kept=$(lg_balloon_host ram_inflated_kib)
		expect_ok "on huge pages nothing was given back: memfd $wait KiB when the guest was ready, $kept KiB after the inflation" \
			test "${kept:-0}" -ge "${wait:-1}"
	elif [ "$reporting" -eq 0 ]; then
		expect_ok "the memfd gave back at least half the balloon ($fell KiB of $((mib << 10)))" \
			test "${fell:-0}" -ge $((mib << 9))
	fi
	expect_eq "the guest's statistics: total_memory is its MemTotal with the balloon, bytes" \
		"$(lg_balloon_host stats_total_memory)" "$((${inflated:-0} << 10))"
	free=$(lg_balloon_host stats_free_memory)
	expect_ok "the guest's statistics: free_memory ($free) within total_memory" \
		test "${free:-0}" -gt 0 -a "${free:-0}" -lt "$((${inflated:-0} << 10))"
	expect_eq "GET /balloon: amount_mib after the PATCH to 0" \
		"$(lg_balloon_host deflate_amount_mib)" 0
done
finish
