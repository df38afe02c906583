"""A description of the host the figures were measured on."""
import os
import platform
import subprocess

from .vm import ROOT


def _first(path, key):
    with open(path) as f:
        for line in f:
            if line.startswith(key):
                return line.split(':', 1)[1].strip()
    return '?'


def _run(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT).stdout.strip()
    except OSError:
        return '?'


def describe():
    """Markdown bullet list: CPU, memory, kernel, virtualization, versions."""
    flags = _first('/proc/cpuinfo', 'flags').split()
    hw = [f for f in ('vmx', 'svm') if f in flags]
    mem_gib = int(_first('/proc/meminfo', 'MemTotal').split()[0]) / (1 << 20)
    rev = _run(['git', 'rev-parse', '--short', 'HEAD'])
    # what bench/run itself writes does not make the code measured dirty
    if _run(['git', 'status', '--porcelain', '--untracked-files=no', '--', '.',
             ':(exclude)docs/benchmarks*']):
        rev += ' with uncommitted changes'
    return '\n'.join([
        f'- CPU: {_first("/proc/cpuinfo", "model name")}, {os.cpu_count()} logical CPUs '
        f'at {_first("/proc/cpuinfo", "cpu MHz")} MHz'
        f'{" (itself a VM: hypervisor flag set)" if "hypervisor" in flags else ""}',
        f'- hardware virtualization visible to this host: {", ".join(hw) or "none (no vmx/svm flag)"}',
        f'- memory: {mem_gib:.1f} GiB; kernel: Linux {platform.release()}',
        f'- load average when the run began: {" ".join(f"{x:.2f}" for x in os.getloadavg())}',
        f'- azote: {rev}; QEMU: {_run(["qemu-system-x86_64", "--version"]).splitlines()[0]}',
    ])


def virtualization():
    """What KVM runs on here, in a phrase for the plot's caption: the
    figures mean something else on a host without VT-x/AMD-V."""
    flags = _first('/proc/cpuinfo', 'flags').split()
    hw = {'vmx': 'Intel VT-x', 'svm': 'AMD-V'}
    seen = [hw[f] for f in hw if f in flags]
    kvm = sorted(m for m in (os.listdir('/sys/module') if os.path.isdir('/sys/module') else [])
                 if m.startswith('kvm_'))
    if seen:
        return f'KVM on {", ".join(seen)}' + (f' ({", ".join(kvm)})' if kvm else '')
    return ('KVM without hardware virtualization (no vmx/svm flag' +
            (f'; {", ".join(kvm)}' if kvm else '') + '): guest ring 0 is emulated')


def caption():
    """One line naming the host: CPU, count, virtualization, kernel."""
    return (f'Host: {_first("/proc/cpuinfo", "model name")}, {os.cpu_count()} CPUs, '
            f'{virtualization()}, Linux {platform.release()}.')
