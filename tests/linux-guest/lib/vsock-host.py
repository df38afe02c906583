#!/usr/bin/python3
"""The host's part of the Linux guest's vsock check (run.sh --vsock), over
azote's vsock card as Firecracker's clients use it:
  guest-initiated: listens on <uds>_<out>, reads one line from the guest
    and answers it upper-cased;
  host-initiated: connects to <uds>, writes "CONNECT <in>\\n", expects
    "OK <port>\\n" (retrying while the guest does not listen yet: the card
    then closes the socket), sends a line starting "host-" and expects it
    echoed.
Exits 0 when both worked, 1 otherwise, with one line saying why.

  vsock-host.py UDS OUT_PORT IN_PORT TIMEOUT_S
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


def serve_out(path, result, deadline):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(path)
    os.chmod(path, 0o777)  # the card may run as nobody
    ls.listen(1)
    ls.settimeout(max(1, deadline - time.time()))
    try:
        c, _ = ls.accept()
        c.settimeout(max(1, deadline - time.time()))
        line = read_exact(c, MSG_LEN)
        if len(line) != MSG_LEN or not line.endswith(b"\n"):
            result["out"] = "guest sent %d bytes" % len(line)
            return
        c.sendall(line.upper())
        # The guest closes after reading it all.
        c.settimeout(10)
        c.recv(1)
        c.close()
        result["out"] = "ok"
    except OSError as e:
        result["out"] = "guest-initiated: %s" % e


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


def main():
    uds, out_port, in_port, timeout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    deadline = time.time() + timeout
    result = {}
    t = threading.Thread(target=serve_out, args=("%s_%d" % (uds, out_port), result, deadline))
    t.start()
    while not os.path.exists(uds) and time.time() < deadline:
        time.sleep(0.2)
    inbound = connect_in(uds, in_port, deadline)
    t.join()
    outbound = result.get("out", "no guest connection")
    print("vsock-host: guest-initiated %s, host-initiated %s" % (outbound, inbound))
    sys.exit(0 if outbound == "ok" and inbound == "ok" else 1)


main()
