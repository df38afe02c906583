"""Process start -> API ready. azote: `azote --api-sock S` answering
GET / (200). QEMU: microvm, paused (-S) with the probe loaded, its QMP
socket greeting and answering qmp_capabilities. Wall time from exec, and
the process's CPU time at that moment."""
import os
import socket
import time

from .. import procfs
from ..results import Row
from ..vm import BenchError, Vm, command
from ..workspace import AZOTE

TITLE = 'process start -> API ready'
PEER = 'microvm, -S, QMP + qmp_capabilities'
POLL_S = 0.0002


def plan(ctx):
    return [Row('wall', 'start', 'Process start → API ready (wall)', 'ms', 'lower', PEER),
            Row('cpu', 'start', 'Process start → API ready (CPU, user+sys)', 'ms', 'lower', PEER)]


def _connect(vm, path, deadline):
    """A connected socket to PATH once the VMM listens there."""
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            s.settimeout(max(deadline - time.monotonic(), 0.1))
            return s
        except (FileNotFoundError, ConnectionRefusedError):
            s.close()
        vm.check_alive()
        if time.monotonic() > deadline:
            raise BenchError(f'nothing listens on {path} (log: {vm.log})')
        time.sleep(POLL_S)


def _http_ready(vm, path, deadline):
    with _connect(vm, path, deadline) as s:
        s.sendall(b'GET / HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n\r\n')
        status = s.makefile('rb').readline()
    if not status.startswith(b'HTTP/1.1 200'):
        raise BenchError(f'azote API GET /: {status!r}')


def _qmp_ready(vm, path, deadline):
    with _connect(vm, path, deadline) as s:
        f = s.makefile('rwb')
        greeting = f.readline()
        f.write(b'{"execute": "qmp_capabilities"}\n')
        f.flush()
        reply = f.readline()
    if b'"QMP"' not in greeting or b'"return"' not in reply:
        raise BenchError(f'QMP: {greeting!r} {reply!r}')


def _once(ctx, label, argv, sock, ready):
    if os.path.exists(sock):
        os.unlink(sock)
    ctx.record(label, argv)
    with Vm(argv, ctx.ws.log('start')) as vm:
        ready(vm, sock, time.monotonic() + 20)
        wall = time.monotonic() - vm.t_exec
        cpu = procfs.cpu_ns(vm.pid)
    return wall * 1e3, cpu / 1e6


def measure(ctx, rows):
    wall, cpu = rows
    a_sock, q_sock = ctx.ws.path('azote-api.sock'), ctx.ws.path('qmp.sock')
    a_argv = [AZOTE, '--api-sock', a_sock, '--cpus', '1', '--memory', '128M']
    q_argv = command('qemu-microvm', ['probe.test=hello']) + \
        ['-S', '-qmp', f'unix:{q_sock},server=on,wait=off']
    setups = {'azote': ('API ready: azote', a_argv, a_sock, _http_ready),
              'qemu': ('API ready: QEMU', q_argv, q_sock, _qmp_ready)}
    got = ctx.collect(ctx.s.reps, setups, lambda side: _once(ctx, *setups[side]))
    for side, samples in got.items():
        getattr(wall, side).extend(w for w, _ in samples)
        getattr(cpu, side).extend(c for _, c in samples)
