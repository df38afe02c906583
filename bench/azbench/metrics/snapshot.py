"""Snapshots (docs/snapshot.md): writing one, restoring one, and clones of
one. The guest is the probe's persist test (a round every 5 ms: a counter
in memory and on its disk, written, flushed and read back), 1 vCPU, on a
1 MiB disk; QEMU is q35 with the same disk as virtio-blk-pci, azote its
default PCI machine.
- create: the VM paused between two rounds, then its state and all of its
  RAM written to files on build/'s filesystem: azote's
  PUT /snapshot/create (Full; it fsyncs what it writes) against QEMU's
  `migrate "exec:cat > F"` of the stopped VM until query-migrate says
  completed (no fsync; QEMU's stream leaves out pages of zeroes). 128 MiB
  and 1 GiB of RAM.
- restore: exec of a new process to the probe's next round line, the guest
  running again with its disk: `azote --restore SNAP --restore-mem MEM`
  (lazy: pages load as touched) against QEMU `-S -incoming "exec:cat F"`,
  `cont` on QMP as soon as query-status says paused.
- the same restore with all of RAM in, QEMU's restore (which reads its
  whole stream before the guest runs) the peer for both: azote
  `--eager-mem` (the whole memory file read before the guest runs, the
  fallback issue 16 measures lazy loading against: exec → next round
  line), and azote `--prefetch-mem` (lazy, the rest copied in while the
  guest runs: exec → its log line "guest memory loaded", read from its
  log every millisecond).
- clones: N processes restored from one snapshot at once, from the first
  exec to the last clone's next round line: restores per second, and each
  clone's memory once all run (USS of the VMM and its cards, guest RAM
  included: what a clone costs beyond the shared files). Each clone runs
  in a mount namespace of its own where the snapshot's disk folder is a
  copy of its own (a snapshot names its disk's path), both VMMs behind the
  same wrapper. N = 1, 4, 16."""
import http.client
import json
import os
import re
import shutil
import socket
import tempfile
import time
from statistics import median

from .. import procfs
from ..results import Row
from ..vm import BenchError, Vm, command
from ..workspace import AZOTE, LOGS

TITLE = 'snapshot create, restore -> running, clones'
PEER_CREATE = 'q35, migrate "exec:cat > F" of the stopped VM'
PEER_RESTORE = 'q35, -incoming "exec:cat F", cont'
PEER_LOADED = PEER_RESTORE + ' (all of RAM read before the guest runs)'
LOADED = 'guest memory loaded:'
ROUND = re.compile(r'^PROBE persist: round ([0-9]+) ok(?: .*)?$')
CLONE_MIB = 128
POLL_S = 0.001


def sizes(ctx):
    return (128,) if ctx.s.quick else (128, 1024)


def counts(ctx):
    return (1, 4) if ctx.s.quick else (1, 4, 16)


def plan(ctx):
    rows = []
    for mib in sizes(ctx):
        rows += [Row(f'create/{mib}', 'snap', f'snapshot create, {mib} MiB (paused → files '
                     'written)', 'ms', 'lower', PEER_CREATE),
                 Row(f'restore/{mib}', 'snap', f'restore → guest running, {mib} MiB (exec → '
                     'next round)', 'ms', 'lower', PEER_RESTORE),
                 Row(f'restore-eager/{mib}', 'snap', f'restore → guest running, {mib} MiB, '
                     'RAM read whole first (azote --eager-mem)', 'ms', 'lower', PEER_LOADED),
                 Row(f'restore-loaded/{mib}', 'snap', f'restore → all of RAM in, {mib} MiB '
                     '(azote --prefetch-mem: exec → "guest memory loaded")', 'ms', 'lower',
                     PEER_LOADED)]
    for n in counts(ctx):
        rows += [Row(f'clones-rate/{n}', 'snap', f'clones of one snapshot, {n} at once: '
                     'restores per second', '/s', 'higher', PEER_RESTORE),
                 Row(f'clones-uss/{n}', 'snap', f'clones of one snapshot, {n} at once: memory '
                     'per clone (USS, guest RAM included)', 'MiB', 'lower', PEER_RESTORE)]
    return rows


def round_of(line):
    """The round number of a persist round line, or None."""
    m = ROUND.match(line)
    return int(m.group(1)) if m else None


def in_own_disk_dir(own, target, argv):
    """ARGV run in a mount namespace of its own where the folder TARGET
    shows the folder OWN."""
    return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c',
            'mount --bind "$1" "$2" && shift 2 && exec "$@"', 'sh', own, target, *argv]


class _UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__('localhost', timeout=120)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(120)
        self.sock.connect(self.path)


def api(sock, method, path, body):
    """One request to azote's API; fails unless it answers 204."""
    c = _UnixHTTP(sock)
    try:
        c.request(method, path, json.dumps(body), {'Content-Type': 'application/json'})
        r = c.getresponse()
        text = r.read().decode(errors='replace')
    finally:
        c.close()
    if r.status != 204:
        raise BenchError(f'azote {method} {path}: {r.status} {text}')


def qmp_answer(lines):
    """The answer among QMP's lines (events skipped): its 'return' value;
    a BenchError for an 'error'. None if no line is one yet."""
    for line in lines:
        msg = json.loads(line)
        if 'error' in msg:
            raise BenchError(f'QMP: {msg["error"].get("desc", msg["error"])}')
        if 'return' in msg:
            return msg['return']
    return None


class Qmp:
    def __init__(self, path, deadline):
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.s.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                self.s.close()
                if time.monotonic() > deadline:
                    raise BenchError(f'no QMP at {path}')
                time.sleep(POLL_S)
        self.s.settimeout(120)
        self.f = self.s.makefile('rwb')
        self.f.readline()                       # the greeting
        self.run('qmp_capabilities')

    def run(self, cmd, args=None):
        self.f.write(json.dumps({'execute': cmd, **({'arguments': args} if args else {})})
                     .encode() + b'\n')
        self.f.flush()
        while True:
            line = self.f.readline()
            if not line:
                raise BenchError(f'QMP closed during {cmd}')
            got = qmp_answer([line])
            if got is not None:
                return got

    def until(self, cmd, key, want, deadline):
        while (got := self.run(cmd).get(key)) != want:
            if got in ('failed', 'cancelled') or time.monotonic() > deadline:
                raise BenchError(f'QMP {cmd}: {key} is {got}, not {want}')
            time.sleep(POLL_S)

    def close(self):
        self.f.close()
        self.s.close()


class Snapshots:
    """The files of one snapshot per VMM, and how to make and restore them."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.dir = tempfile.mkdtemp(prefix='azbench-snap.', dir=os.path.dirname(LOGS))
        ctx.ws.on_close(lambda: shutil.rmtree(self.dir, ignore_errors=True))

    def path(self, name):
        return os.path.join(self.dir, name)

    def _disk(self, vmm):
        """A fresh disk in a folder of its own (clones bind their own
        copy over that folder)."""
        d = self.disk_dir(vmm)
        os.makedirs(d, exist_ok=True)
        disk = os.path.join(d, 'disk.img')
        with open(disk, 'wb') as f:
            f.truncate(1 << 20)
        return disk

    def _argv(self, vmm, mib, extra):
        """The persist guest's command line for VMM, on its disk as it is."""
        disk = os.path.join(self.disk_dir(vmm), 'disk.img')
        return command('qemu-q35' if vmm == 'qemu' else 'azote',
                       ['probe.test=persist', 'probe.rounds=1000000', 'probe.pause_ms=5'],
                       disks=[disk], memory=f'{mib}M') + extra

    def _boot(self, vmm, mib, extra):
        disk = self._disk(vmm)
        argv = self._argv(vmm, mib, extra)
        self.ctx.record(f'snapshot: {vmm}', argv)
        return argv, disk

    def create(self, vmm, mib):
        """Boots VMM's persist guest, pauses it after round 2 and snapshots
        it: the ms the snapshot took. The disk as it was is kept beside."""
        sock = self.ctx.ws.path(f'{vmm}.sock')   # tmpfs: sockets work anywhere
        if os.path.exists(sock):
            os.unlink(sock)
        extra = ['-qmp', f'unix:{sock},server=on,wait=off'] if vmm == 'qemu' else \
            ['--api-sock', sock]
        argv, disk = self._boot(vmm, mib, extra)
        with Vm(argv, self.ctx.ws.log('snapshot')) as vm:
            deadline = time.monotonic() + 120
            while (round_of(_next(vm, vmm, deadline)[1]) or 0) < 2:
                pass
            if vmm == 'qemu':
                q = Qmp(sock, deadline)
                q.run('stop')
                t0 = time.monotonic()
                q.run('migrate', {'uri': f'exec:cat > {self.path("qemu.state")}'})
                q.until('query-migrate', 'status', 'completed', deadline)
                took = time.monotonic() - t0
                q.close()
            else:
                api(sock, 'PATCH', '/vm', {'state': 'Paused'})
                t0 = time.monotonic()
                api(sock, 'PUT', '/snapshot/create',
                    {'snapshot_type': 'Full', 'snapshot_path': self.path('azote.snap'),
                     'mem_file_path': self.path('azote.mem')})
                took = time.monotonic() - t0
        shutil.copyfile(disk, disk + '.at-snapshot')
        return took * 1e3

    def restore_argv(self, vmm, mib, qmp, mem_opts=()):
        """The command that restores VMM's snapshot (QEMU's paused, with
        QMP at qmp; azote's with MEM_OPTS, e.g. --eager-mem)."""
        if vmm == 'azote':
            return [AZOTE, '--restore', self.path('azote.snap'),
                    '--restore-mem', self.path('azote.mem'), *mem_opts]
        # The disk as rewind_disk left it, not a fresh one (_boot's).
        return self._argv('qemu', mib, ['-S', '-incoming', f'exec:cat {self.path("qemu.state")}',
                                        '-qmp', f'unix:{qmp},server=on,wait=off'])

    def disk_dir(self, vmm):
        return self.path(f'{vmm}-disk')

    def rewind_disk(self, vmm, into=None):
        """The disk back at the snapshot (in INTO, a clone's own folder)."""
        d = into or self.disk_dir(vmm)
        os.makedirs(d, exist_ok=True)
        shutil.copyfile(os.path.join(self.disk_dir(vmm), 'disk.img.at-snapshot'),
                        os.path.join(d, 'disk.img'))


def _next(vm, vmm, deadline):
    """The VM's next console line (time, text); a BenchError at its end."""
    got = vm.next_line(deadline)
    if got is None:
        vm.fail(f'{vmm}: the guest ended')
    return got


def _running(vm, vmm, qmp, deadline):
    """Waits for the restored guest's next round line (QEMU continued as
    soon as it says paused): its host time."""
    if vmm == 'qemu':
        q = Qmp(qmp, deadline)
        q.until('query-status', 'status', 'paused', deadline)
        q.run('cont')
        q.close()
    while True:
        t, line = _next(vm, vmm, deadline)
        if round_of(line) is not None:
            return t


def log_line_at(log, start, text, deadline, alive=lambda: None):
    """The host time at which TEXT was first seen in the file LOG past
    offset START, looked for every POLL_S; alive() raises if the process
    writing it has ended."""
    while True:
        with open(log, 'rb') as f:
            f.seek(start)
            if text.encode() in f.read():
                return time.monotonic()
        alive()
        if time.monotonic() > deadline:
            raise BenchError(f'no "{text}" in {log} after offset {start}')
        time.sleep(POLL_S)


def restore_ms(ctx, snaps, vmm, mib, mem_opts=()):
    """ms from exec to the restored guest's next round line, or with
    --prefetch-mem in MEM_OPTS to azote's "guest memory loaded" line."""
    snaps.rewind_disk(vmm)
    qmp = ctx.ws.path(f'{vmm}-restore.qmp')
    argv = snaps.restore_argv(vmm, mib, qmp, mem_opts)
    log = ctx.ws.log('restore')
    start = os.path.getsize(log) if os.path.exists(log) else 0
    ctx.record(f'restore: {vmm} {" ".join(mem_opts)}'.rstrip(), argv)
    with Vm(argv, log) as vm:
        deadline = time.monotonic() + 120
        t = (log_line_at(log, start, LOADED, deadline, vm.check_alive)
             if '--prefetch-mem' in mem_opts
             else _running(vm, vmm, qmp, deadline))
        return (t - vm.t_exec) * 1e3


def create_restore(ctx, snaps, vmm, mib):
    create_ms = snaps.create(vmm, mib)
    lazy = restore_ms(ctx, snaps, vmm, mib)
    if vmm == 'qemu':   # one way only, which loads everything first
        return {'create': create_ms, 'restore': lazy, 'restore-eager': lazy,
                'restore-loaded': lazy}
    return {'create': create_ms, 'restore': lazy,
            'restore-eager': restore_ms(ctx, snaps, vmm, mib, ('--eager-mem',)),
            'restore-loaded': restore_ms(ctx, snaps, vmm, mib,
                                         ('--prefetch-mem', '--log-level', 'info'))}


def clones(ctx, snaps, vmm, n):
    """{'rate': restores per second, 'uss': MiB per clone} for N clones."""
    vms = []
    try:
        for i in range(n):
            own = snaps.path(f'{vmm}-clone{i}')
            snaps.rewind_disk(vmm, own)
            qmp = ctx.ws.path(f'{vmm}-clone{i}.qmp')
            argv = in_own_disk_dir(own, snaps.disk_dir(vmm),
                                   snaps.restore_argv(vmm, CLONE_MIB, qmp))
            ctx.record(f'clone: {vmm}', argv)
            vms.append((Vm(argv, ctx.ws.log('clones')), qmp))
        deadline = time.monotonic() + 120
        last = max(_running(vm, vmm, qmp, deadline) for vm, qmp in vms)
        took = last - vms[0][0].t_exec
        uss = [sum(procfs.memory_kib(p, CLONE_MIB * 1024)['uss'] for p in procfs.tree(vm.pid))
               for vm, _ in vms]
    finally:
        for vm, _ in vms:
            vm.kill()
    return {'rate': n / took, 'uss': median(uss) / 1024}


def measure(ctx, rows):
    by_key = {r.key: r for r in rows}
    snaps = Snapshots(ctx)
    sides = ('azote', 'qemu')
    reps = min(ctx.s.io_reps, 3)
    for mib in sizes(ctx):
        got = ctx.collect(reps, sides, lambda vmm: create_restore(ctx, snaps, vmm, mib))
        for side, samples in got.items():
            for key in ('create', 'restore', 'restore-eager', 'restore-loaded'):
                getattr(by_key[f'{key}/{mib}'], side).extend(s[key] for s in samples)
    try:
        measure_clones(ctx, snaps, by_key, sides, reps)
    except BenchError as e:
        # The create and restore rows stand; only the clones' rows failed
        # (N VMs at once: the likeliest to overload a host), as blk's
        # queue scaling.
        ctx.say(f'snap: clones FAILED: {e}')
        for n in counts(ctx):
            for key in ('clones-rate', 'clones-uss'):
                by_key[f'{key}/{n}'].error = str(e).splitlines()[0]


def measure_clones(ctx, snaps, by_key, sides, reps):
    for vmm in sides:
        snaps.create(vmm, CLONE_MIB)
    for n in counts(ctx):
        got = ctx.collect(reps, sides, lambda vmm: clones(ctx, snaps, vmm, n))
        for side, samples in got.items():
            getattr(by_key[f'clones-rate/{n}'], side).extend(s['rate'] for s in samples)
            getattr(by_key[f'clones-uss/{n}'], side).extend(s['uss'] for s in samples)
