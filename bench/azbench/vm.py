"""Starting one VMM the way the integration tests do, and watching it.

The command lines come from tests/lib/probe-run --print-command, so the
benchmarks boot exactly the VMs the tests boot; bench/ then starts them
itself (posix_spawn, no shell, no `timeout` wrapper in between) so that
exec, the first console byte and the exit can be timed."""
import os
import re
import select
import signal
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROBE_RUN = os.path.join(ROOT, 'tests', 'lib', 'probe-run')
RESULT = re.compile(r'^PROBE ([a-z0-9-]+) (PASS|FAIL)(?: (.*))?$')
MARK = re.compile(r'^PROBE mark ([a-z0-9-]+)\.([a-z0-9]+) (start|end)$')


class BenchError(Exception):
    """A measurement could not be taken (the VM failed, timed out...)."""


def command(vmm, probe_args, disks=(), vublk=(), tap=None, mac=None, memory='128M', vunet=(),
            cpus=1):
    """The argv probe-run would run for VMM (azote, qemu-q35,
    qemu-microvm) with PROBE_ARGS as the guest's command line."""
    args = [PROBE_RUN, '--vmm', vmm, '--memory', memory]
    if cpus != 1:
        args += ['--cpus', str(cpus)]
    for d in disks:
        args += ['--disk', d]
    for s in vublk:
        args += ['--vhost-user-blk', s]
    for s in vunet:
        args += ['--vhost-user-net', s]
    if tap:
        args += ['--tap', tap] + (['--mac', mac] if mac else [])
    argv = printed_command(args + ['--print-command', '--'] + list(probe_args))
    if vmm.startswith('qemu'):
        # names the vCPU threads "CPU N/KVM" (procfs.VCPU_THREAD)
        argv += ['-name', 'azbench,debug-threads=on']
    return argv


def printed_command(args):
    """The argv a test runner's --print-command (in ARGS) prints, each
    argument followed by a NUL byte."""
    out = subprocess.run(args, capture_output=True, check=False)
    if out.returncode != 0:
        raise BenchError(f'{os.path.basename(args[0])} --print-command: '
                         f'{out.stderr.decode().strip()}')
    return [a.decode() for a in out.stdout.split(b'\0')[:-1]]


def spawn(argv, log, stdout):
    """Starts ARGV in a process group of its own: stdin /dev/null, stderr
    appended to LOG, stdout onto the fd or into the file STDOUT. It runs
    under the normal time-sharing policy even though bench/run itself is
    SCHED_FIFO (so that it reads consoles and takes samples the moment
    they are due, however busy the host)."""
    acts = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 2, log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)]
    if isinstance(stdout, int):
        acts.append((os.POSIX_SPAWN_DUP2, stdout, 1))     # clears close-on-exec
    else:
        acts.append((os.POSIX_SPAWN_OPEN, 1, stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))
    return os.posix_spawnp(argv[0], argv, os.environ, file_actions=acts, setpgroup=0,
                           scheduler=(os.SCHED_OTHER, os.sched_param(0)))


def parse_kv(text):
    """'a=1 b=x' -> {'a': '1', 'b': 'x'}"""
    return dict(w.split('=', 1) for w in (text or '').split() if '=' in w)


def vmm_name(argv):
    """Which VMM ARGV starts, for messages: its program, and QEMU's
    machine; past wrappers (unshare, ip netns exec) to the first azote or
    QEMU."""
    for i, arg in enumerate(argv):
        prog = os.path.basename(arg)
        if prog.startswith(('azote', 'qemu-system')):
            rest = argv[i + 1:]
            machine = rest[rest.index('-M') + 1] if '-M' in rest[:-1] else None
            return f'{prog} -M {machine}' if machine else prog
    return os.path.basename(argv[0])


class Vm:
    """One VMM process in a process group of its own. Its console is a
    pipe whose lines are timestamped as they arrive, or (console_file) a
    file. Use as a context manager: leaving kills whatever still runs."""

    def __init__(self, argv, log, console_file=None, netns=None):
        self.name = vmm_name(argv)
        if netns:
            argv = ['ip', 'netns', 'exec', netns] + list(argv)
        self.log = log
        self.lines, self.t_first, self.t_exit = [], None, None
        self.status = self.rusage = None
        self._buf, self._stamp = b'', None
        self._fd, w = (None, None) if console_file else os.pipe()  # close-on-exec
        self.t_exec = time.monotonic()
        try:
            self.pid = spawn(argv, log, console_file or w)
        finally:
            if w is not None:
                os.close(w)
        self.pidfd = os.pidfd_open(self.pid)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()

    def fail(self, why):
        """Raises a BenchError saying WHY, with the log's path and the
        last console lines."""
        tail = ''.join(f'\n    {line}' for _, line in self.lines[-5:])
        raise BenchError(f'{self.name}: {why} (log: {self.log}){tail}')

    def next_line(self, deadline):
        """(host time, line) of the next console line; None at EOF."""
        while b'\n' not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail('timeout waiting for console output')
            if not select.select([self._fd], [], [], left)[0]:
                continue
            data = os.read(self._fd, 65536)
            now = time.monotonic()
            if not data:
                if not self._buf:
                    return None
                data = b'\n'
            if self.t_first is None:
                self.t_first = now
            self._buf += data
            self._stamp = now
        line, self._buf = self._buf.split(b'\n', 1)
        text = line.decode(errors='replace').rstrip('\r')
        if 'PROBE ' in text:
            text = text[text.index('PROBE '):]   # noise before it, as probe-run
        self.lines.append((self._stamp, text))
        return self._stamp, text

    def result(self, timeout, on_line=None):
        """Reads the console up to the probe's result line and returns its
        key=value pairs; fails unless it says PASS. on_line(t, line) sees
        every line before it (for PROBE mark lines)."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.next_line(deadline)
            if got is None:
                self.fail('console closed before the result line')
            if on_line:
                on_line(*got)
            m = RESULT.match(got[1])
            if m:
                if m.group(2) != 'PASS':
                    self.fail(f'probe failed: {got[1]}')
                return parse_kv(m.group(3))

    def wait_line(self, text, timeout):
        """Reads the console up to the line TEXT; returns its time."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.next_line(deadline)
            if got is None:
                self.fail(f'console closed before "{text}"')
            if got[1] == text:
                return got[0]

    def wait_exit(self, timeout):
        """Waits for the VMM to end (console drained to EOF first);
        fails unless it exits with status 0."""
        deadline = time.monotonic() + timeout
        if self._fd is not None:
            while self.next_line(deadline) is not None:
                pass
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([self.pidfd], [], [], left)[0]:
            self.fail('timeout waiting for the VMM to exit')
        self.t_exit = time.monotonic()
        self._reap()
        if self.status != 0:
            self.fail(f'VMM exit status {self.status}')

    def check_alive(self):
        if select.select([self.pidfd], [], [], 0)[0]:
            self._reap()
            self.fail(f'VMM ended early (status {self.status})')

    def _reap(self):
        _, st, self.rusage = os.wait4(self.pid, 0)
        self.status = os.waitstatus_to_exitcode(st)
        os.close(self.pidfd)
        self.pidfd = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def cpu_s(self):
        """User+system CPU of the VMM and every descendant it reaped."""
        return self.rusage.ru_utime + self.rusage.ru_stime

    def kill(self):
        if self.pidfd is None:
            return
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._reap()


def azote_has(option, azote):
    """Whether this azote's --help lists OPTION (e.g. '--net tap='): the
    metrics that need a device azote does not have yet say n/a until the
    branch that adds it is merged, and then measure it with no change."""
    out = subprocess.run([azote, '--help'], capture_output=True, text=True)
    return option in out.stdout + out.stderr
