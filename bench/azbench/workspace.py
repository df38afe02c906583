"""Everything a run creates, and its removal on every exit path: a
scratch directory in tmpfs (sockets, consoles), the disk image,
vhost-user cards QEMU connects to, the network namespace with its TAP
and probe-netpeer."""
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time

from .vm import ROOT, BenchError, spawn

BUILD = os.path.join(ROOT, 'build')
AZOTE = os.environ.get('AZOTE', os.path.join(BUILD, 'azote'))
CARD_BLK = os.path.join(BUILD, 'azote-card-blk')
CARD_NET = os.path.join(BUILD, 'azote-card-net')
NETPEER = os.path.join(BUILD, 'probe-netpeer')
LOGS = os.path.join(BUILD, 'bench', 'logs')


class Helper:
    """A process bench/ starts next to a VM (a card, probe-netpeer), in a
    process group of its own; stop() ends it by its pid."""

    def __init__(self, argv, log):
        self.pid = spawn(argv, log, os.devnull)
        self.pidfd = os.pidfd_open(self.pid)

    def running(self):
        return self.pidfd is not None and not select.select([self.pidfd], [], [], 0)[0]

    def stop(self):
        if self.pidfd is None:
            return
        os.kill(self.pid, signal.SIGTERM)
        if not select.select([self.pidfd], [], [], 5)[0]:
            os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.pidfd)
        self.pidfd = None


class NetNs:
    """A network namespace holding a TAP with the host's address, where
    QEMU or azote (and its card) open the TAP and probe-netpeer answers."""
    TAP, HOST, GUEST, MAC, PORT = 'btap0', '10.214.0.1', '10.214.0.2', '52:54:00:a2:07:f1', 9000

    def __init__(self, ws):
        self.name = f'azbench{os.getpid()}'
        ws.on_close(self._delete)
        self._ip('netns', 'add', self.name)
        self.created = True
        self._in('ip', 'link', 'set', 'lo', 'up')
        self._in('ip', 'tuntap', 'add', 'dev', self.TAP, 'mode', 'tap')
        self._in('sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1',
                 'net.ipv6.conf.default.disable_ipv6=1')
        self._in('ip', 'addr', 'add', f'{self.HOST}/24', 'dev', self.TAP)
        self._in('ip', 'link', 'set', self.TAP, 'up')
        self.peer = ws.helper(['ip', 'netns', 'exec', self.name, NETPEER, '--addr',
                               self.HOST, '--port', str(self.PORT), '--lifetime', '3600'],
                              'netpeer')

    def _ip(self, *args):
        r = subprocess.run(['ip'] + list(args), capture_output=True, text=True)
        if r.returncode:
            raise BenchError(f'ip {" ".join(args)}: {r.stderr.strip()}')

    def _in(self, *args):
        self._ip('netns', 'exec', self.name, *args)

    def _delete(self):
        if getattr(self, 'created', False):
            subprocess.run(['ip', 'netns', 'del', self.name], capture_output=True)


class Workspace:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='azbench.', dir='/dev/shm')
        shutil.rmtree(LOGS, ignore_errors=True)       # this run's logs only
        os.makedirs(LOGS)
        self._cleanups = [lambda: shutil.rmtree(self.dir, ignore_errors=True)]
        self._disk = self._netns = self.disk_dir = None

    def on_close(self, fn):
        self._cleanups.append(fn)

    def close(self):
        while self._cleanups:
            try:
                self._cleanups.pop()()
            except Exception as e:           # keep cleaning up
                print(f'bench: cleanup: {e}')

    def path(self, name):
        return os.path.join(self.dir, name)

    @staticmethod
    def log(name):
        return os.path.join(LOGS, name + '.log')

    def helper(self, argv, logname):
        h = Helper(argv, self.log(logname))
        self.on_close(h.stop)
        return h

    def disk(self, mib=256):
        """A raw image of random data in the page cache of the filesystem
        build/ lives on (where images usually are; on tmpfs, io_uring
        would hand every read to a worker thread). Written here, so every
        page is cached; sync_disk() writes it back between runs so that
        no writeback lands in a measurement."""
        if not self._disk:
            d = self.disk_dir = tempfile.mkdtemp(prefix='azbench.', dir=os.path.dirname(LOGS))
            self.on_close(lambda: shutil.rmtree(d, ignore_errors=True))
            self._disk = os.path.join(d, 'disk.img')
            with open(self._disk, 'wb') as f:
                for _ in range(mib):
                    f.write(os.urandom(1 << 20))
            self.sync_disk()
        return self._disk

    def sync_disk(self):
        fd = os.open(self._disk, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def netns(self):
        if not self._netns:
            self._netns = NetNs(self)
        return self._netns

    def card(self, image):
        """An azote-card-blk serving IMAGE on a fresh socket, for QEMU's
        vhost-user-blk-pci; returns (helper, socket)."""
        sock = self.path(f'card-{time.monotonic_ns()}.sock')
        return self._backend([CARD_BLK, '--socket', sock, '--image', image], sock, 'card-blk')

    def qsd(self, image):
        """qemu-storage-daemon exporting IMAGE over vhost-user-blk (one
        queue, as the card) on a fresh socket, for either VMM; returns
        (helper, socket)."""
        sock = self.path(f'qsd-{time.monotonic_ns()}.sock')
        return self._backend([
            'qemu-storage-daemon', '--blockdev', f'driver=file,node-name=file0,filename={image}',
            '--blockdev', 'driver=raw,node-name=disk0,file=file0',
            '--export', 'type=vhost-user-blk,id=exp0,node-name=disk0,addr.type=unix,'
            f'addr.path={sock},writable=on,num-queues=1'], sock, 'qsd')

    def net_card(self):
        """An azote-card-net on the namespace's TAP (in the namespace),
        serving a fresh socket, for QEMU's vhost-user-net; returns
        (helper, socket)."""
        ns = self.netns()
        sock = self.path(f'card-net-{time.monotonic_ns()}.sock')
        return self._backend(['ip', 'netns', 'exec', ns.name, CARD_NET, '--tap', ns.TAP,
                              '--socket', sock], sock, 'card-net')

    def _backend(self, argv, sock, logname):
        """ARGV started as a helper that will listen on SOCK; once it does."""
        h = self.helper(argv, logname)
        deadline = time.monotonic() + 10
        while not os.path.exists(sock):
            if not h.running() or time.monotonic() > deadline:
                raise BenchError(f'{os.path.basename(argv[0])} did not listen on {sock} '
                                 f'(log: {self.log(logname)})')
            time.sleep(0.001)
        return h, sock
