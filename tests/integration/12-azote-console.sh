#!/usr/bin/env bash
# needs: kvm
# Issue 2: the UART is wired to stdin/stdout both ways, nothing typed is
# lost, and a terminal is put in raw mode and restored on every exit path.
. "$(dirname "$0")/../lib/common.sh"
require_kvm
echo_guest=$("$ROOT/tests/guests/build.sh" echo "$TMP/guests")

# Input through a pipe, echoed back whole (more than the UART FIFO holds).
# Each byte is a few port exits each way: in the box, under emulation and a
# loaded host, 4000 of them have taken over 30 s; the bound is for a hang.
input=$(head -c 3000 /dev/urandom | base64 -w 0 | tr -d q)
out=$(printf '%sq' "$input" | timeout 180 "$AZOTE" --log-level debug --kernel "$echo_guest" \
	2>"$TMP/pipe.err")
expect_eq "pipe: exit status" "$?" 0 || { echo "azote's log:"; tail -n 30 "$TMP/pipe.err"; }
expect_eq "pipe: echoed bytes" "${#out}" "${#input}"
[ "$out" = "$input" ] && pass "pipe: echo identical" || fail "pipe: echo differs"

# Input from a regular file.
printf 'from a file q' > "$TMP/in.txt"
out=$(timeout 180 "$AZOTE" --kernel "$echo_guest" <"$TMP/in.txt" 2>/dev/null)
expect_eq "file: echo" "$out" "from a file "

# On a terminal: raw mode while running, restored after a guest exit, a
# guest fault and a signal. The python pty module gives us a terminal.
triple=$("$ROOT/tests/guests/build.sh" triple "$TMP/guests")
/usr/bin/python3 - "$AZOTE" "$echo_guest" "$triple" <<'PY'
import os, pty, sys, termios, time, signal, select
azote, echo, triple = sys.argv[1:4]
fails = 0

def run(args, feed=b"", sig=None):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(azote, [azote, "--kernel"] + args)
    status = None

    def ended():
        nonlocal status
        if status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = st
        return status is not None

    before = termios.tcgetattr(fd)
    # azote makes the terminal raw as it starts: wait for that (a slow
    # box takes longer than a moment), then look.
    deadline = time.time() + 20
    during = termios.tcgetattr(fd)
    while during[3] & (termios.ICANON | termios.ECHO) and time.time() < deadline \
            and not ended():
        time.sleep(0.05)
        during = termios.tcgetattr(fd)
    if feed:
        os.write(fd, feed)
    if sig:
        os.kill(pid, sig)
    out = b""
    deadline = time.time() + 20
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            out += data
        elif ended():
            break
    after = termios.tcgetattr(fd)
    if status is None:
        _, status = os.waitpid(pid, 0)
    return before, during, after, status, out

def check(name, cond):
    global fails
    print(("ok: " if cond else "FAIL: ") + name)
    fails += 0 if cond else 1

for name, args, feed, sig in [
    ("guest exit", [echo], b"abcq", None),
    ("guest fault", [triple], b"", None),
    ("SIGTERM", [echo], b"", signal.SIGTERM),
]:
    before, during, after, status, out = run(args, feed, sig)
    if name != "guest fault":
        check(name + ": raw mode while running (no ICANON/ECHO)",
              not (during[3] & (termios.ICANON | termios.ECHO)))
    check(name + ": terminal restored", after == before)
    if name == "guest exit":
        check(name + ": echo through the pty", b"abc" in out)
        check(name + ": status 0", os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0)
sys.exit(1 if fails else 0)
PY
[ $? = 0 ] && pass "terminal checks" || fail "terminal checks"
finish
