#!/usr/bin/python3
"""Writes an initramfs: an uncompressed cpio archive in the kernel's "newc"
format (Documentation/driver-api/early-userspace/buffer-format.rst).

Usage: mkcpio.py OUT INIT [MODULE...] [--add GUEST_PATH=HOST_FILE...]
The archive holds /init, /dev/console (so the kernel can give init a
console before init mounts devtmpfs), /proc, /sys and, for a stock kernel,
the modules in /lib/modules with load.list naming them in load order.
Each --add puts HOST_FILE's bytes (through symbolic links) at the absolute
GUEST_PATH, its directories made, with HOST_FILE's permission bits: the
bench-only variant's fio, its libraries and the dynamic loader.
Written here rather than with cpio(1) so that it needs no root for the
device node and is byte-for-byte reproducible (fixed owners and times).
Uncompressed on purpose: the guest's ring 0 is emulated on the development
machines, and inflating costs far more there than copying.
"""
import os
import stat
import sys


class Cpio:
    def __init__(self, out):
        self.out = out
        self.ino = 1
        self.dirs = set()

    def _entry(self, name, mode, data=b"", rdev=(0, 0)):
        name_b = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0,
                  rdev[0], rdev[1], len(name_b), 0]
        hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
        self.ino += 1
        self.out.write(hdr + name_b)
        self.out.write(b"\0" * (-(len(hdr) + len(name_b)) % 4))
        self.out.write(data)
        self.out.write(b"\0" * (-len(data) % 4))

    def dir(self, name):
        self._entry(name, stat.S_IFDIR | 0o755)

    def node(self, name, major, minor):
        self._entry(name, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def file(self, name, data, mode=0o644):
        self._entry(name, stat.S_IFREG | mode, data)

    def tree_file(self, name, data, mode):
        """A file at NAME ("a/b/c"), after each of its directories not
        yet in the archive."""
        parts = name.split("/")[:-1]
        for i in range(len(parts)):
            d = "/".join(parts[:i + 1])
            if d not in self.dirs:
                self.dirs.add(d)
                self.dir(d)
        self.file(name, data, mode)

    def trailer(self):
        self._entry("TRAILER!!!", 0)
        self.out.write(b"\0" * (-self.out.tell() % 512))


def split_args(args):
    """(positional arguments, [(guest path, host file)] of the --add
    items)."""
    pos, added = [], []
    while args:
        a = args.pop(0)
        if a != "--add":
            pos.append(a)
            continue
        if not args or "=" not in args[0] or not args[0].startswith("/"):
            sys.exit("mkcpio.py: --add wants /GUEST_PATH=HOST_FILE")
        guest, host = args.pop(0).split("=", 1)
        added.append((guest.strip("/"), host))
    return pos, added


def main():
    args, added = split_args(sys.argv[1:])
    if len(args) < 2:
        sys.exit(__doc__)
    out_path, init, modules = args[0], args[1], args[2:]
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as out:
        c = Cpio(out)
        for d in ("dev", "proc", "sys"):
            c.dir(d)
            c.dirs.add(d)
        c.node("dev/console", 5, 1)
        with open(init, "rb") as f:
            c.file("init", f.read(), 0o755)
        if modules:
            c.dir("lib")
            c.dir("lib/modules")
            for m in modules:
                with open(m, "rb") as f:
                    c.file("lib/modules/" + os.path.basename(m), f.read())
            order = "".join(os.path.basename(m) + "\n" for m in modules)
            c.file("lib/modules/load.list", order.encode())
            c.dirs.update(("lib", "lib/modules"))
        for guest, host in added:
            with open(host, "rb") as f:
                c.tree_file(guest, f.read(), stat.S_IMODE(os.stat(host).st_mode))
        c.trailer()
    os.replace(tmp, out_path)


if __name__ == "__main__":
    main()
