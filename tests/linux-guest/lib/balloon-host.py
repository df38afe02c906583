#!/usr/bin/python3
"""The host's part of the Linux guest's balloon check (run.sh --balloon):
sets the balloon's target and reads back what the VMM says of it, and how
much of the VMM's guest RAM (a memfd) is allocated.

  azote (Firecracker's API on SOCK): PATCH /balloon {"amount_mib": MIB},
    GET /balloon, GET /balloon/statistics (actual_mib, total_memory,
    free_memory: the guest's own statistics, in bytes);
  qemu (QMP on SOCK): balloon (whose value is the guest RAM left, in bytes,
    not the balloon's size), query-balloon (the same) and qom-get
    guest-stats of the device with id balloon0 (stat-total-memory,
    stat-free-memory).

The guest RAM is the memfd named RAM_NAME that process PID holds (azote's
azote-guest-ram; QEMU's memory-backend-memfd): its allocated size (st_blocks)
falls when the VMM gives ballooned pages back to the host.

  balloon-host.py azote|qemu SOCK PID RAM_NAME RAM_MIB inflate MIB GUEST_TOTAL_KIB
                  DIRTIED_KIB REPORTING
  balloon-host.py azote|qemu SOCK PID RAM_NAME RAM_MIB deflate

inflate: the memfd's size when the guest is ready (ram_wait_kib; it has
just written DIRTIED_KIB and freed them, so the memfd holds at least that
unless the guest gave them back); with REPORTING 1 (free page reporting),
first waits until the memfd holds REPORT_KIB (32 MiB, or the environment's
LG_BALLOON_REPORT_MIB) less than DIRTIED_KIB
(ram_reported_kib, report_ms): the guest's reports gave its freed pages
back; LG_BALLOON_REPORT_MIB 0 (guest RAM on huge pages, which nothing
gives back) waits for none. Then the memfd's size (ram_before_kib), the
target set to MIB, then waits until the device's actual size is MIB, the
memfd's size again
(ram_inflated_kib, ram_fell_kib), then until the guest's statistics show
its total memory fallen by MIB from GUEST_TOTAL_KIB (what the guest said
before; stats_total_memory, stats_free_memory, in bytes: the guest's
statistics arrived and are fresh). deflate: the target set to 0 (azote:
deflate_amount_mib, GET /balloon's), no more: the guest sees its memory
come back and ends the VM.
Prints one line, "balloon-host: STEP key=value ...", with "FAIL why=..."
after STEP when a step did not complete; exits 0 when it did, else 1.
"""
import http.client
import json
import os
import socket
import sys
import time

ACTUAL_WAIT_S = 240     # the guest gives the pages (in the box: slow)
STATS_WAIT_S = 60       # fresh statistics, every second once asked
REPORT_WAIT_S = 120     # the guest's free page reports (Linux waits 2 s)
# What its reports must give back, at least: 32 MiB, or LG_BALLOON_REPORT_MIB
# (0 on guest RAM of 2 MiB pages: nothing comes back).
REPORT_KIB = int(os.environ.get("LG_BALLOON_REPORT_MIB", "32")) << 10
POLL_S = 0.25


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self.path)


class Azote:
    def __init__(self, sock):
        self.sock = sock

    def call(self, method, path, body=None):
        c = UnixHTTP(self.sock)
        try:
            c.request(method, path, body=None if body is None else json.dumps(body),
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            data = r.read().decode()
            return r.status, (json.loads(data) if data.strip() else None)
        finally:
            c.close()

    def set_target(self, mib, _ram_mib):
        status, body = self.call("PATCH", "/balloon", {"amount_mib": mib})
        if status != 204:
            raise RuntimeError("PATCH /balloon: %d %s" % (status, json.dumps(body)))

    def amount_mib(self):
        status, body = self.call("GET", "/balloon")
        if status != 200:
            raise RuntimeError("GET /balloon: %d %s" % (status, json.dumps(body)))
        return body.get("amount_mib")

    def figures(self, _ram_mib):
        """actual_mib, total_memory, free_memory (None: not given)."""
        status, body = self.call("GET", "/balloon/statistics")
        if status != 200:
            raise RuntimeError("GET /balloon/statistics: %d %s" % (status, json.dumps(body)))
        return body.get("actual_mib"), body.get("total_memory"), body.get("free_memory")


class Qemu:
    def __init__(self, sock):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(sock)
        self.f = self.s.makefile("rw")
        self.f.readline()       # the greeting
        self.call("qmp_capabilities")

    def call(self, cmd, **args):
        self.f.write(json.dumps({"execute": cmd, "arguments": args}) + "\n")
        self.f.flush()
        while True:
            r = json.loads(self.f.readline())
            if "return" in r:
                return r["return"]
            if "error" in r:
                raise RuntimeError("QMP %s: %s" % (cmd, r["error"].get("desc")))

    def set_target(self, mib, ram_mib):
        self.call("balloon", value=(ram_mib - mib) << 20)

    def amount_mib(self):
        return None

    def figures(self, ram_mib):
        actual = self.call("query-balloon")["actual"]
        stats = self.call("qom-get", path="/machine/peripheral/balloon0",
                          property="guest-stats")["stats"]
        # QEMU gives -1 (as a u64) for a statistic the guest never sent.
        def stat(name):
            v = stats.get(name)
            return v if v is not None and v < 1 << 63 else None
        return ((ram_mib << 20) - actual) >> 20, stat("stat-total-memory"), \
            stat("stat-free-memory")


def ram_kib(pid, name):
    """KiB allocated to the memfd named name in process pid or, if pid is a
    wrapper that runs the VMM as its child (a snapshot test's), a child."""
    want = "/memfd:%s (deleted)" % name
    try:
        with open("/proc/%s/task/%s/children" % (pid, pid)) as f:
            children = f.read().split()
    except OSError:
        children = []
    for p in [pid] + children:
        d = "/proc/%s/fd" % p
        try:
            fds = os.listdir(d)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(os.path.join(d, fd)) == want:
                    return os.stat(os.path.join(d, fd)).st_blocks * 512 // 1024
            except OSError:
                continue
    raise RuntimeError("process %s (or a child) holds no memfd %s" % (pid, name))


def main():
    vmm, sock, pid, ram_name, ram_mib, step = sys.argv[1:7]
    ram_mib = int(ram_mib)
    out = {}
    why = None
    try:
        dev = Azote(sock) if vmm == "azote" else Qemu(sock)
        if step == "inflate":
            mib, guest_kib = int(sys.argv[7]), int(sys.argv[8])
            dirtied_kib, reporting = int(sys.argv[9]), sys.argv[10] == "1"
            out["ram_wait_kib"] = ram_kib(pid, ram_name)
            if reporting and REPORT_KIB:
                t0 = time.monotonic()
                while ram_kib(pid, ram_name) > dirtied_kib - REPORT_KIB:
                    if time.monotonic() - t0 > REPORT_WAIT_S:
                        raise RuntimeError("memfd-not-below-%d-KiB-in-%ds" %
                                           (dirtied_kib - REPORT_KIB, REPORT_WAIT_S))
                    time.sleep(POLL_S)
                out["report_ms"] = int((time.monotonic() - t0) * 1000)
                out["ram_reported_kib"] = ram_kib(pid, ram_name)
            out["ram_before_kib"] = ram_kib(pid, ram_name)
            t0 = time.monotonic()
            dev.set_target(mib, ram_mib)
            amount = dev.amount_mib()
            if amount is not None:
                out["amount_mib"] = amount
            while True:
                actual, total, free = dev.figures(ram_mib)
                out["actual_mib"] = actual
                if actual == mib:
                    break
                if time.monotonic() - t0 > ACTUAL_WAIT_S:
                    raise RuntimeError("actual_mib-not-%d-in-%ds" % (mib, ACTUAL_WAIT_S))
                time.sleep(POLL_S)
            out["inflate_ms"] = int((time.monotonic() - t0) * 1000)
            out["ram_inflated_kib"] = ram_kib(pid, ram_name)
            out["ram_fell_kib"] = out["ram_before_kib"] - out["ram_inflated_kib"]
            # The guest's statistics once they show the balloon: its
            # total memory less what it gave.
            t1 = time.monotonic()
            while True:
                actual, total, free = dev.figures(ram_mib)
                out["stats_total_memory"] = total
                out["stats_free_memory"] = free
                if total is not None and free is not None and \
                   total <= (guest_kib - (mib << 10)) << 10:
                    break
                if time.monotonic() - t1 > STATS_WAIT_S:
                    raise RuntimeError("no-statistics-with-the-balloon-in-%ds" % STATS_WAIT_S)
                time.sleep(POLL_S)
            out["stats_ms"] = int((time.monotonic() - t1) * 1000)
        elif step == "deflate":
            # The guest judges the deflation (its MemTotal back), then
            # ends the VM at once: nothing to wait for here.
            dev.set_target(0, ram_mib)
            amount = dev.amount_mib()
            if amount is not None:
                out["deflate_amount_mib"] = amount
        else:
            raise RuntimeError("unknown-step-" + step)
    except (OSError, RuntimeError, ValueError, KeyError, TypeError) as e:
        why = str(e).replace(" ", "_")
    print("balloon-host: %s%s %s" % (step, " FAIL why=" + why if why else "",
                                     " ".join("%s=%s" % kv for kv in out.items())))
    return 1 if why else 0


if __name__ == "__main__":
    sys.exit(main())
