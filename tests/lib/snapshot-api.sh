# shellcheck shell=bash
# Snapshot tests' helpers (source it; it sources api.sh): a snapshot
# created and loaded through Firecracker's API on $API_SOCK, azote killed
# as a crash would, and what a VM's guest RAM costs its host. Paths given
# to the API are azote's (inside its chroot when it is jailed).
. "$(dirname "${BASH_SOURCE[0]}")/api.sh"

# snap_body TYPE SNAP MEM: a PUT /snapshot/create body (Full or Diff).
snap_body() {
	echo "{\"snapshot_type\": \"$1\", \"snapshot_path\": \"$2\", \"mem_file_path\": \"$3\"}"
}

# snap_create SNAP MEM: pauses the VM and writes a full snapshot of it.
snap_create() {
	api_expect 204 '' PATCH /vm '{"state": "Paused"}'
	api_expect 204 '' PUT /snapshot/create "$(snap_body Full "$1" "$2")"
}

# snap_load SNAP MEM [MORE]: PUT /snapshot/load into the fresh azote,
# memory from the File backend; MORE is more of the body's fields
# ('"resume_vm": true', '"network_overrides": [...]').
snap_load() {
	api_expect 204 '' PUT /snapshot/load "{\"snapshot_path\": \"$1\",
		\"mem_backend\": {\"backend_type\": \"File\", \"backend_path\": \"$2\"}${3:+, $3}}"
}

# snap_kill PID: SIGKILL to azote, as a crash, then waits until it and the
# cards it started are gone (a check).
snap_kill() {
	local pid=$1 cards i
	cards=$(pgrep -P "$pid" | tr '\n' ' ')
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	local p left
	for ((i = 0; i < 100; i++)); do
		left=
		for p in $pid $cards; do kill -0 "$p" 2>/dev/null && left+=" $p"; done
		[ -z "$left" ] && break
		sleep 0.1
	done
	expect_eq "azote $pid and its cards ($cards) are gone" "${left# }" ""
}

# snap_lazy PID: a check that the VM azote PID restored loads its guest
# RAM lazily: azote and each card it started hold a userfaultfd
# (docs/snapshot.md, "Memory"), every card's own.
snap_lazy() {
	local p n=0 without=
	for p in "$1" $(pgrep -P "$1"); do
		[ "$p" = "$1" ] || n=$((n + 1))
		ls -l "/proc/$p/fd" 2>/dev/null | grep -q 'anon_inode:\[userfaultfd\]' ||
			without+=" $p"
	done
	expect_eq "azote $1 and its $n card(s) each serve their own guest RAM faults" \
		"${without# }" ""
}

# snap_pagers_ended PID: a check that no process of the VM azote PID
# restored (azote, its cards) still has a pager thread (uffd-pager,
# common/uffd_pager.c), waiting up to 10 s for them to end.
snap_pagers_ended() {
	local p t left= tries=50
	while [ "$tries" -gt 0 ]; do
		left=
		for p in "$1" $(pgrep -P "$1"); do
			for t in /proc/"$p"/task/*; do
				[ "$(cat "$t/comm" 2>/dev/null)" != uffd-pager ] || left+=" $p"
			done
		done
		[ -n "$left" ] || break
		tries=$((tries - 1))
		sleep 0.2
	done
	expect_eq "azote $1 and its cards: no pager thread left, all of guest RAM in" \
		"${left# }" ""
}

# snap_ram_usage PID: the resident and proportional set of the guest RAM
# (the memfd azote-guest-ram) mapped in PID, "rss=N pss=N" in KiB
# (/proc/PID/smaps). Pss divides a page by the processes that map it:
# azote and each card that was given the memory table.
snap_ram_usage() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { ram = /memfd:azote-guest-ram/ }
	     ram && $1 == "Rss:" { rss += $2 }
	     ram && $1 == "Pss:" { pss += $2 }
	     END { printf "rss=%d pss=%d\n", rss, pss }' "/proc/$1/smaps"
}
