# Shared by the Linux test guest's scripts (sourced, not run).

LG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Build products live outside the clone, so a fresh checkout (CI) reuses them.
LG_CACHE=${AZOTE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/azote}

lg_log() { printf 'linux-guest: %s\n' "$*" >&2; }
lg_die() { lg_log "error: $*"; exit 1; }

# lg_stall_report PID: on stderr, what the VMM PID and its vCPUs are doing
# when a guest has stopped making progress: each thread's state and kernel
# wait channel, and, as root with tracefs, the KVM exits of one second
# (reason and guest RIP, most frequent first; none at all: the vCPUs run
# in the guest or sleep outside KVM_RUN). A stalled boot in the box has
# left no other trace (an empty console, no message from azote).
lg_stall_report() {
	local pid=$1 t tr=/sys/kernel/tracing
	lg_log "stall report for process $pid:"
	for t in /proc/"$pid"/task/*; do
		[ -r "$t/stat" ] || continue
		printf '  thread %s %s state %s wchan %s\n' "${t##*/}" "$(cat "$t/comm")" \
			"$(awk '{print $3}' "$t/stat")" "$(cat "$t/wchan" 2>/dev/null)" >&2
	done
	[ -e "$tr/events" ] || mount -t tracefs nodev "$tr" 2>/dev/null
	[ -w "$tr/events/kvm/kvm_exit/enable" ] || { lg_log "  (no tracefs: no KVM exits)"; return 0; }
	: > "$tr/trace"
	echo 1 > "$tr/events/kvm/kvm_exit/enable"
	sleep 1
	echo 0 > "$tr/events/kvm/kvm_exit/enable"
	lg_log "  KVM exits in 1 s: $(grep -c 'kvm_exit:' "$tr/trace")"
	# No exit at all is a finding too, not a failure of the report (run.sh
	# runs under set -e and pipefail: a failing grep here ended it before
	# its verdict).
	{ grep -o 'kvm_exit: .*' "$tr/trace" || true; } | sed 's/ info[0-9]* .*//' |
		sort | uniq -c | sort -rn | head -8 >&2
	: > "$tr/trace"
}

# Installs the Debian packages named that are missing (root only; others
# are told what to install).
lg_need_pkgs() {
	local p missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || lg_die "missing Debian packages: ${missing[*]} (apt-get install them)"
	lg_log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
		{ apt-get update -q >&2 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; } ||
		lg_die "could not install ${missing[*]}"
}

# Short content hash of the named files (by their path in this directory,
# however the caller spelled it) and of any extra strings on stdin.
lg_hash() {
	{ cat; for f in "$@"; do realpath --relative-to="$LG_DIR" "$f"; cat "$f"; done; } |
		sha256sum | cut -c1-16
}

# Holds an exclusive lock on the cache until the calling script exits, so
# two builds never race (CI and a developer, or two test scripts).
lg_lock() {
	mkdir -p "$LG_CACHE"
	exec 9>"$LG_CACHE/.lock"
	flock 9
}

# Sets LG_MODE, LG_VMLINUX, LG_BZIMAGE, LG_SYSTEM_MAP and LG_INITRD for the
# mode LINUX_GUEST asks: from $LG_PREBUILT/<mode>.env when the caller built
# them already (tests/integration/run-all.sh does, before the box: hashing
# the sources there runs under emulation), else from build.sh.
lg_artifacts() {
	local env=${LG_PREBUILT:-}/${LINUX_GUEST:-test}.env
	if [ -n "${LG_PREBUILT:-}" ] && [ -f "$env" ]; then
		eval "$(cat "$env")"
	else
		eval "$("$LG_DIR/build.sh")"
	fi
}
