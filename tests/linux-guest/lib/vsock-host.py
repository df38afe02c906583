#!/usr/bin/python3
"""The host's part of the Linux guest's vsock checks (run.sh --vsock), over
azote's vsock card as Firecracker's clients use it:
  guest-initiated: listens on <uds>_<out>, reads one line from the guest
    and answers it upper-cased;
  host-initiated: connects to <uds>, writes "CONNECT <in>\\n", expects
    "OK <port>\\n" (retrying while the guest does not listen yet: the card
    then closes the socket), sends a line starting "host-" and expects it
    echoed.
Exits 0 when both worked, 1 otherwise, with one line saying why.

With NEW_UDS, the vsnap check's host side (run.sh --vsock-moved): the VM
is snapshotted and loaded into a new VMM whose card serves NEW_UDS
(vsock_override). Before the snapshot, the guest-initiated exchange on
<uds>_<out>, its connection then held until it ends (the old card
killed); after the load, the guest-initiated exchange on <new>_<out>, and
only then (the guest has seen its old connection reset) the
host-initiated one through <new>. And the old path unused after the
load: no second connection to <uds>_<out>, and nothing listening on <uds>.

  vsock-host.py UDS OUT_PORT IN_PORT TIMEOUT_S [NEW_UDS]
"""
import os
import socket
import sys
import threading
import time

MSG_LEN = 20000


def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def listen(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(path)
    os.chmod(path, 0o777)  # the card may run as nobody
    ls.listen(1)
    return ls


def serve_out(ls, result, key, deadline, hold=False):
    """One guest connection on ls: a line answered upper-cased, then the
    guest's close awaited; with hold, the connection is kept until it ends
    (the card that carried it killed), however long that takes."""
    ls.settimeout(max(1, deadline - time.time()))
    try:
        c, _ = ls.accept()
        c.settimeout(max(1, deadline - time.time()))
        line = read_exact(c, MSG_LEN)
        if len(line) != MSG_LEN or not line.endswith(b"\n"):
            result[key] = "guest sent %d bytes" % len(line)
            return
        c.sendall(line.upper())
        # The guest closes after reading it all.
        c.settimeout(max(1, deadline - time.time()) if hold else 10)
        more = c.recv(1)
        c.close()
        result[key] = "ok" if not more else "more data than the line"
    except OSError as e:
        result[key] = "guest-initiated: %s" % e


def connect_in(uds, port, deadline):
    while time.time() < deadline:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.settimeout(10)
            s.connect(uds)
            s.sendall(b"CONNECT %d\n" % port)
            reply = b""
            while not reply.endswith(b"\n"):
                ch = s.recv(1)
                if not ch:
                    break
                reply += ch
            if reply.startswith(b"OK ") and reply[3:-1].isdigit():
                msg = (b"host-" + b"0123456789" * MSG_LEN)[:MSG_LEN - 1] + b"\n"
                s.sendall(msg)
                back = read_exact(s, MSG_LEN)
                s.close()
                if back != msg:
                    return "host-initiated: %d bytes echoed, not the line" % len(back)
                return "ok"
        except OSError:
            pass
        s.close()
        time.sleep(0.5)
    return "host-initiated: the guest never accepted"


def count_accepts(ls, stop, result, key):
    """Connections to ls until stop is set."""
    ls.settimeout(0.2)
    n = 0
    while not stop.is_set():
        try:
            c, _ = ls.accept()
            n += 1
            c.close()
        except socket.timeout:
            pass
    result[key] = n


def listening(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        return "listening"
    except OSError as e:
        return "not listening (%s)" % os.strerror(e.errno)
    finally:
        s.close()


def plain(uds, out_port, in_port, deadline):
    result = {}
    t = threading.Thread(target=serve_out,
                         args=(listen("%s_%d" % (uds, out_port)), result, "out", deadline))
    t.start()
    while not os.path.exists(uds) and time.time() < deadline:
        time.sleep(0.2)
    inbound = connect_in(uds, in_port, deadline)
    t.join()
    outbound = result.get("out", "no guest connection")
    print("vsock-host: guest-initiated %s, host-initiated %s" % (outbound, inbound))
    return outbound == "ok" and inbound == "ok"


def moved(uds, new, out_port, in_port, deadline):
    result = {}
    old_ls = listen("%s_%d" % (uds, out_port))
    new_ls = listen("%s_%d" % (new, out_port))
    stop = threading.Event()

    def before():
        serve_out(old_ls, result, "before", deadline, hold=True)
        count_accepts(old_ls, stop, result, "stray")

    t = threading.Thread(target=before)
    t.start()
    serve_out(new_ls, result, "after", deadline)
    inbound = connect_in(new, in_port, deadline) if result["after"] == "ok" else "not tried"
    stop.set()
    t.join()
    old = listening(uds)
    ok = (result.get("before") == "ok" and result["after"] == "ok" and inbound == "ok" and
          result.get("stray") == 0 and old.startswith("not"))
    print("vsock-host: before the snapshot guest-initiated %s (held until it ended);"
          " after the load on %s guest-initiated %s, host-initiated %s;"
          " old path: %s %s, %s connection(s) to %s_%d after the first" %
          (result.get("before", "no guest connection"), new, result["after"], inbound,
           uds, old, result.get("stray", "?"), uds, out_port))
    return ok


def main():
    uds, out_port, in_port, timeout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    deadline = time.time() + timeout
    if len(sys.argv) > 5:
        ok = moved(uds, sys.argv[5], out_port, in_port, deadline)
    else:
        ok = plain(uds, out_port, in_port, deadline)
    sys.exit(0 if ok else 1)


main()
