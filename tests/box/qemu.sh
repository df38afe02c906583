# shellcheck shell=bash
# The QEMU that runs the box (sourced by tests/box/run after
# tests/lib/debian-kernel.sh). By default QEMU from Debian's backports for
# this release (bookworm: QEMU 10), fetched once with `apt-get download`
# into the cache and unpacked there, never installed: the distribution's
# QEMU (7.2) stays the tests' peer. TCG's emulation of nested SVM is the
# box's weak point (README, "The box"), and the newer QEMU carries years of
# fixes to it. AZOTE_BOX_QEMU chooses:
#   auto       (the default) backports, or, where they cannot be fetched,
#              the qemu-system-x86_64 in PATH, saying so
#   backports  backports or nothing
#   system     the qemu-system-x86_64 in PATH
#   /path      that binary
#
# bq_resolve: sets BQ_CMD, the command (with the variables and data folders
# it needs) that starts the box's QEMU.

bq_die() { echo "box: $*" >&2; exit 125; }

# bq_backports: prints the folder holding the backports packages unpacked,
# downloading them the first time.
bq_backports() {
	local codename suite root lists debs p
	codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
	[ -n "$codename" ] || bq_die "cannot tell this Debian release (/etc/os-release); set AZOTE_BOX_QEMU=system"
	suite=$codename-backports
	root=$DK_CACHE/box-qemu-$suite
	if [ ! -x "$root/usr/bin/qemu-system-x86_64" ]; then
		echo "box: downloading QEMU from Debian's $suite (unpacked in $DK_CACHE, not installed)" >&2
		lists=$(mktemp -d)
		mkdir -p "$lists/state/partial"
		echo "deb http://deb.debian.org/debian $suite main" > "$lists/sources.list"
		# Its own package lists, so that the machine's apt sources stay as
		# they are; apt verifies them with the machine's Debian keyring.
		local apt=(timeout 600 apt-get -q -o "Dir::Etc::SourceList=$lists/sources.list"
			-o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$lists/state"
			-o APT::Sandbox::User=root)
		debs=$lists/debs
		mkdir -p "$debs"
		if ! "${apt[@]}" update >&2 ||
		   ! (cd "$debs" && "${apt[@]}" download qemu-system-x86/"$suite" \
			qemu-system-common/"$suite" qemu-system-data/"$suite" seabios/"$suite" >&2); then
			rm -rf "$lists"
			bq_die "cannot download QEMU from $suite"
		fi
		for p in "$debs"/*.deb; do
			dpkg-deb -x "$p" "$lists/root" || { rm -rf "$lists"; bq_die "dpkg-deb -x $p failed"; }
		done
		# (A box started meanwhile may have put its own copy there first.)
		mv -T "$lists/root" "$root" 2>/dev/null || [ -x "$root/usr/bin/qemu-system-x86_64" ] ||
			{ rm -rf "$lists"; bq_die "cannot move the unpacked QEMU to $root"; }
		rm -rf "$lists"
	fi
	echo "$root"
}

bq_resolve() {
	local choice=${AZOTE_BOX_QEMU:-auto} root missing bin
	if [ "$choice" = auto ]; then
		if root=$(bq_backports); then
			choice=backports
		else
			echo "box: running on this machine's QEMU instead (AZOTE_BOX_QEMU=system)" >&2
			choice=system
		fi
	fi
	case $choice in
	system) bin=qemu-system-x86_64; BQ_CMD=("$bin") ;;
	backports)
		[ -n "${root:-}" ] || root=$(bq_backports) || exit 125
		bin=$root/usr/bin/qemu-system-x86_64
		# Its libraries are the release's own, which the installed QEMU
		# (.ci/install-deps) already pulled in.
		missing=$(ldd "$bin" | awk '/not found/ { print $1 }' | tr '\n' ' ')
		[ -z "$missing" ] || bq_die "$bin lacks libraries: $missing(apt-get install qemu-system-x86 pulls them in)"
		# Its modules, not the installed QEMU's (which it refuses to load).
		BQ_CMD=(env "QEMU_MODULE_DIR=$root/usr/lib/x86_64-linux-gnu/qemu"
			"$bin" -L "$root/usr/share/qemu" -L "$root/usr/share/seabios")
		;;
	/*) bin=$choice; BQ_CMD=("$bin") ;;
	*) bq_die "AZOTE_BOX_QEMU=$choice: want auto, backports, system or an absolute path" ;;
	esac
	command -v "$bin" >/dev/null ||
		bq_die "$bin not found (AZOTE_BOX_QEMU=$choice): apt-get install qemu-system-x86"
}
