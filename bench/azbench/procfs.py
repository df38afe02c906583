"""What the host kernel says about the processes under test: CPU time,
vCPU threads, descendants and proportional memory (PSS)."""
import os
import re
import time

# vCPU threads spin in the probe's polling loops: their time is the
# guest's, not the VMM's. azote names them vcpuN; QEMU names them
# "CPU N/KVM" when run with -name ...,debug-threads=on (see vm.command).
VCPU_THREAD = re.compile(r'^(vcpu\d+|CPU \d+/KVM)$')

# "7f9be5fcd000-7f9bedfcd000 rw-s 00000000 00:01 660   /memfd:x (deleted)"
MAPPING = re.compile(r'^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$')


def _read(path):
    with open(path) as f:
        return f.read()


def cpu_ns(pid):
    """User+system CPU time of the whole process (every thread, live or
    gone) in ns, read from its CPU-time clock: what clock_getcpuclockid()
    returns, MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED) in the kernel.
    Exact, where /proc/PID/stat counts in 10 ms ticks."""
    return time.clock_gettime_ns((~pid << 3) | 2)


def vcpu_ns(pid):
    """CPU time of the process's live vCPU threads, in ns (schedstat)."""
    total = 0
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            if VCPU_THREAD.match(_read(f'/proc/{pid}/task/{tid}/comm').strip()):
                total += int(_read(f'/proc/{pid}/task/{tid}/schedstat').split()[0])
        except (FileNotFoundError, ProcessLookupError):  # the thread just ended
            pass
    return total


def tree(pid):
    """pid and all its descendants (azote and the cards it started)."""
    parents = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                stat = _read(f'/proc/{entry}/stat')
            except (FileNotFoundError, ProcessLookupError):
                continue
            # the command name may hold spaces and parentheses
            ppid = int(stat[stat.rindex(')') + 2:].split()[1])
            parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(parents.get(p, []))
    return out


def memory_kib(pid, ram_kib):
    """KiB of the process's memory: 'pss' (proportional set size) and
    'uss' (private pages), in all and in the mappings that hold guest RAM
    ('ram_pss', 'ram_uss'; 'ram_maps' counts them). Guest RAM is a memfd
    or anonymous mapping the size of the guest's RAM (both VMMs map it in
    one piece at these sizes; QEMU may round it up a little); a card maps
    the same memfd, so its pages are shared between the card and azote."""
    m = {'pss': 0, 'uss': 0, 'ram_pss': 0, 'ram_uss': 0, 'ram_maps': 0}
    name, size = None, 0
    for line in _read(f'/proc/{pid}/smaps').splitlines():
        hdr = MAPPING.match(line)
        if hdr:
            name = hdr.group(1)
            continue
        key, _, rest = line.partition(':')
        if key == 'Size':
            size = int(rest.split()[0])
            ram = ram_kib <= size <= ram_kib + 4096 and (name == '' or name.startswith('/memfd:'))
            m['ram_maps'] += ram
        elif key in ('Pss', 'Private_Clean', 'Private_Dirty'):
            kib, what = int(rest.split()[0]), 'pss' if key == 'Pss' else 'uss'
            m[what] += kib
            if ram:
                m['ram_' + what] += kib
    return m
