"""Start: two pairs, each side doing the same work.
- Process start -> control plane ready: `azote --api-sock S` answering
  GET / (200), against QEMU with no machine (`-M none`) greeting on its
  QMP socket and answering qmp_capabilities. Neither has a VM yet.
- Process start -> VM built: azote given the probe's machine in a
  `--config-file` (1 vCPU, 128 MiB, no device) until GET / says the
  instance is Running, against QEMU microvm with the same probe loaded and
  paused (`-S`), its QMP answering. azote's vCPUs have also been started
  by then (there is no "built but paused" in Firecracker's API): azote is
  charged a little more than QEMU, not less.
Wall time from exec; the process's CPU time (user+sys) at that moment,
less its vCPU threads' (azote's run the guest by then; QEMU's have not
run): the VMM's own work."""
import json
import os
import socket
import time

from .. import procfs
from ..results import Row
from ..vm import BenchError, Vm, command
from ..workspace import AZOTE

TITLE = 'process start -> control plane ready, -> VM built'
PEER_API = 'no machine (-M none), QMP + qmp_capabilities'
PEER_VM = 'microvm, probe loaded, paused (-S), QMP + qmp_capabilities'
POLL_S = 0.0002
QEMU = 'qemu-system-x86_64'
GUEST_ARGS = ['probe.test=hello', 'probe.hold=1']


def plan(ctx):
    return [Row('wall', 'start', 'Process start → control plane ready (wall)', 'ms', 'lower',
                PEER_API),
            Row('cpu', 'start', 'Process start → control plane ready (CPU, user+sys)', 'ms',
                'lower', PEER_API),
            Row('vm-wall', 'start', 'Process start → VM built (wall)', 'ms', 'lower', PEER_VM),
            Row('vm-cpu', 'start', 'Process start → VM built (CPU, user+sys, no vCPU thread)',
                'ms', 'lower', PEER_VM)]


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


def _get_root(vm, path, deadline):
    """GET / on azote's API: its JSON body."""
    with _connect(vm, path, deadline) as s:
        s.sendall(b'GET / HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n'
                  b'Connection: close\r\n\r\n')
        reply = b''
        while chunk := s.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b'\r\n\r\n')
    if not head.startswith(b'HTTP/1.1 200'):
        raise BenchError(f'azote API GET /: {head[:80]!r}')
    return json.loads(body)


def _http_ready(vm, path, deadline):
    _get_root(vm, path, deadline)


def _vm_running(vm, path, deadline):
    """GET / until the instance is Running: the VM is built."""
    while _get_root(vm, path, deadline).get('state') != 'Running':
        if time.monotonic() > deadline:
            raise BenchError(f'azote never said Running (log: {vm.log})')
        time.sleep(POLL_S)


def _qmp_ready(vm, path, deadline):
    with _connect(vm, path, deadline) as s:
        f = s.makefile('rwb')
        greeting = f.readline()
        f.write(b'{"execute": "qmp_capabilities"}\n')
        f.flush()
        reply = f.readline()
    if b'"QMP"' not in greeting or b'"return"' not in reply:
        raise BenchError(f'QMP: {greeting!r} {reply!r}')


def azote_config(argv):
    """The Firecracker-style configuration file of the machine in azote's
    probe-run ARGV (its --kernel, --cmdline, --cpus and --memory)."""
    opt = dict(zip(argv[1::2], argv[2::2])) if len(argv) % 2 else {}
    need = ('--kernel', '--cmdline', '--cpus', '--memory')
    if any(k not in opt for k in need) or not opt['--memory'].endswith('M'):
        raise BenchError(f'unexpected azote command line: {argv}')
    # `drives` is the one list Firecracker's config file requires (its
    # VmmConfig gives it no default), and so does azote's.
    return {'boot-source': {'kernel_image_path': opt['--kernel'],
                            'boot_args': opt['--cmdline']},
            'drives': [],
            'machine-config': {'vcpu_count': int(opt['--cpus']),
                               'mem_size_mib': int(opt['--memory'][:-1])}}


def _once(ctx, label, argv, sock, ready):
    if os.path.exists(sock):
        os.unlink(sock)
    ctx.record(label, argv)
    with Vm(argv, ctx.ws.log('start')) as vm:
        ready(vm, sock, time.monotonic() + 20)
        wall = time.monotonic() - vm.t_exec
        cpu = procfs.cpu_ns(vm.pid) - procfs.vcpu_ns(vm.pid)
    return wall * 1e3, cpu / 1e6


def _pair(ctx, rows, setups):
    wall, cpu = rows
    got = ctx.collect(ctx.s.reps, setups, lambda side: _once(ctx, *setups[side]))
    for side, samples in got.items():
        getattr(wall, side).extend(w for w, _ in samples)
        getattr(cpu, side).extend(c for _, c in samples)


def measure(ctx, rows):
    a_sock, q_sock = ctx.ws.path('azote-api.sock'), ctx.ws.path('qmp.sock')
    qmp = ['-qmp', f'unix:{q_sock},server=on,wait=off']
    _pair(ctx, rows[:2], {
        'azote': ('control plane ready: azote',
                  [AZOTE, '--api-sock', a_sock, '--cpus', '1', '--memory', '128M'],
                  a_sock, _http_ready),
        'qemu': ('control plane ready: QEMU',
                 [QEMU, '-M', 'none', '-nodefaults', '-display', 'none'] + qmp,
                 q_sock, _qmp_ready)})
    config = ctx.ws.path('azote-start.json')
    with open(config, 'w') as f:
        json.dump(azote_config(command('azote', GUEST_ARGS)), f)
    _pair(ctx, rows[2:], {
        'azote': ('VM built: azote', [AZOTE, '--api-sock', a_sock, '--config-file', config],
                  a_sock, _vm_running),
        'qemu': ('VM built: QEMU', command('qemu-microvm', GUEST_ARGS) + ['-S'] + qmp,
                 q_sock, _qmp_ready)})
