# Debian's stock kernel package, fetched with `apt-get download` and unpacked
# into the cache (never installed: no boot loader or initramfs hooks run),
# and its modules in load order. Sourced by tests/box/ (the box's own
# kernel) and tests/linux-guest/stock-kernel.sh (the stock guest kernel).

DK_CACHE=${AZOTE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/azote}

dk_die() { echo "${DK_WHO:-debian-kernel}: $*" >&2; exit 1; }

# dk_unpacked: prints the directory holding Debian's linux-image package
# (the one linux-image-amd64 depends on today) unpacked, with modules.dep.
dk_unpacked() {
	local pkg root deb
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	if [ -z "$pkg" ]; then
		# A machine whose package lists were never fetched knows no kernel.
		apt-get update -q >&2 || true
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
			awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	fi
	if [ -z "$pkg" ]; then
		# No apt at all: the newest package already in the cache will do.
		root=$(ls -d "$DK_CACHE"/linux-image-[0-9]*/boot 2>/dev/null | sort -V | tail -n 1)
		[ -n "$root" ] || dk_die "no Debian kernel: apt-cache knows no linux-image-amd64 and $DK_CACHE has none"
		dirname "$root"
		return
	fi
	root=$DK_CACHE/$pkg
	if [ ! -d "$root/boot" ]; then
		echo "${DK_WHO:-debian-kernel}: downloading Debian's $pkg (unpacked in $DK_CACHE, not installed)" >&2
		mkdir -p "$DK_CACHE"
		deb=$(mktemp -d)
		(cd "$deb" && apt-get download -q "$pkg" >&2) ||
			{ rm -rf "$deb"; dk_die "apt-get download $pkg failed"; }
		rm -rf "$root.tmp"
		dpkg-deb -x "$deb"/*.deb "$root.tmp" || { rm -rf "$deb"; dk_die "dpkg-deb -x $pkg failed"; }
		rm -rf "$deb"
		mv "$root.tmp" "$root"
	fi
	local ver
	ver=$(dk_version "$root")
	# The package leaves modules.dep to depmod at install time.
	if [ ! -f "$root/lib/modules/$ver/modules.dep" ]; then
		command -v depmod >/dev/null || [ -x /sbin/depmod ] || dk_die "depmod missing: apt-get install kmod"
		PATH=$PATH:/sbin depmod -b "$root" "$ver" || dk_die "depmod for $ver failed"
	fi
	echo "$root"
}

# dk_version ROOT: the kernel version of the unpacked package at ROOT.
dk_version() {
	local k
	k=$(ls "$1"/boot/vmlinuz-* 2>/dev/null | head -n 1)
	[ -n "$k" ] || dk_die "$1/boot has no vmlinuz"
	echo "${k##*/vmlinuz-}"
}

# dk_module_chain MODDIR NAME: the modules to load for NAME, dependencies
# first, as paths relative to MODDIR; nothing if the kernel has it built in.
dk_module_chain() {
	local moddir=$1 name=$2 line deps i
	line=$(grep -E "/${name//[-_]/[-_]}\.ko(\.[a-z]+)?:" "$moddir/modules.dep" || true)
	if [ -z "$line" ]; then
		grep -qE "/${name//[-_]/[-_]}\.ko$" "$moddir/modules.builtin" 2>/dev/null && return 0
		dk_die "$name: neither a module nor built into the kernel of $moddir"
	fi
	read -r -a deps <<< "${line#*:}"
	# modules.dep lists each module's dependencies, deepest last.
	for (( i = ${#deps[@]} - 1; i >= 0; i-- )); do echo "${deps[i]}"; done
	echo "${line%%:*}"
}

# dk_copy_modules MODDIR DEST NAME...: every module NAME needs, uncompressed,
# in DEST, and DEST/load.list naming them in load order.
dk_copy_modules() {
	local moddir=$1 dest=$2 name rel base list
	shift 2
	list=$(for name in "$@"; do dk_module_chain "$moddir" "$name" || exit 1; done) || exit 1
	mkdir -p "$dest"
	: > "$dest/load.list"
	for rel in $(awk '!seen[$0]++' <<< "$list"); do
		base=$(basename "$rel"); base=${base%.ko*}.ko
		case $rel in
		*.ko) cp "$moddir/$rel" "$dest/$base" ;;
		*.ko.xz) xz -dc "$moddir/$rel" > "$dest/$base" ;;
		*.ko.zst) zstd -qdc "$moddir/$rel" > "$dest/$base" ;;
		*.ko.gz) gzip -dc "$moddir/$rel" > "$dest/$base" ;;
		*) dk_die "$rel: unknown module format" ;;
		esac || dk_die "cannot unpack $rel"
		echo "$base" >> "$dest/load.list"
	done
}
