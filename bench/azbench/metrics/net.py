"""Network over a TAP in a network namespace with the probe's net-bench:
UDP guest->host and host->guest (tests/lib/probe-netpeer floods the
guest), 60-byte frames (64 on a wire, with the FCS) for packets/s and
1514-byte frames (MTU 1500) for throughput; host CPU per packet of the
VMM and its card, vCPU threads excluded, between the phase's marks; and
the distribution of ICMP echo round trips (the probe's net-echo against
the host's own IP stack, one at a time), the probe's TSC ticks converted
by the host's clock between the loop's marks. azote against QEMU's own
virtio-net on the TAP, and against QEMU driving an azote-card-net bench/
starts on the same TAP over vhost-user (the VMMs apart, the back-end the
same; the card's CPU counted with QEMU's).
azote is measured as soon as its --help offers `--net tap=`."""
from ..marks import Marks
from ..results import Row
from ..vm import Vm, azote_has, command
from ..workspace import AZOTE

TITLE = 'network over TAP'
PEERS = {'qemu': 'q35 virtio-net-pci, TAP (no vhost-net)',
         'qemu+card': 'q35 vhost-user-net-pci + azote-card-net on the TAP (the same back-end)'}
SMALL, LARGE = 18, 1472     # UDP payload bytes: 60- and 1514-byte frames
FRAME_HDR = 14 + 20 + 8     # Ethernet, IPv4, UDP
METRICS = (  # key, label, unit, better, (payload, direction, what)
    ('pps_tx', 'guest → host, 64-byte frames', 'packets/s', 'higher', (SMALL, 'tx', 'pps')),
    ('pps_rx', 'host → guest, 64-byte frames', 'packets/s', 'higher', (SMALL, 'rx', 'pps')),
    ('bw_tx', 'guest → host, 1514-byte frames', 'Mbit/s', 'higher', (LARGE, 'tx', 'mbit_s')),
    ('bw_rx', 'host → guest, 1514-byte frames', 'Mbit/s', 'higher', (LARGE, 'rx', 'mbit_s')),
    ('cpu_tx', 'host CPU per packet, guest → host 64-byte (VMM + card)', 'µs', 'lower',
     (SMALL, 'tx', 'cpu')),
    ('cpu_rx', 'host CPU per packet, host → guest 64-byte (VMM + card)', 'µs', 'lower',
     (SMALL, 'rx', 'cpu')),
) + tuple(
    (f'rtt_{pct}', f'ICMP echo round trip {name} (one at a time)', 'µs', 'lower',
     (None, 'rtt', pct))
    for pct, name in (('p50', 'median'), ('p90', 'p90'), ('p99', 'p99'), ('p999', 'p99.9')))
ECHOES = 5000


def plan(ctx):
    rows = [Row(f'{key}/{peer}', 'net', label, unit, better, what)
            for key, label, unit, better, _ in METRICS for peer, what in PEERS.items()]
    if not azote_has('--net tap=', AZOTE):
        for r in rows:
            r.na = "needs azote's net card (`--net tap=`)"
    return rows


def _run(ctx, setup, probe_args, label, timeout):
    """The probe with PROBE_ARGS on SETUP's network (azote, qemu or
    qemu+card): its result's key=value pairs and its Marks."""
    ns = ctx.ws.netns()
    card, vunet, tap = None, [], ns.TAP
    if setup == 'qemu+card':
        card, sock = ctx.ws.net_card()
        vunet, tap = [sock], None
    argv = command('azote' if setup == 'azote' else 'qemu-q35',
                   [f'probe.ip={ns.GUEST}/24', f'probe.peer={ns.HOST}'] + probe_args,
                   tap=tap, mac=ns.MAC if tap else None, vunet=vunet)
    ctx.record(f'net: {setup}, {label}', argv)
    try:
        with Vm(argv, ctx.ws.log('net'), netns=ns.name) as vm:
            marks = Marks(vm, [card.pid] if card else [])
            res = vm.result(timeout, marks)
            vm.wait_exit(30)
    finally:
        if card:
            card.stop()
    return res, marks


def bench(ctx, setup, payload):
    """{'tx'|'rx': {'pps':, 'mbit_s':, 'cpu': µs per packet}} of one VM."""
    res, marks = _run(ctx, setup, ['probe.test=net-bench', f'probe.port={ctx.ws.netns().PORT}',
                                   f'probe.secs={ctx.s.secs}', f'probe.size={payload}'],
                      f'{payload + FRAME_HDR}-byte frames', 2 * ctx.s.secs + 60)
    out = {}
    for d in ('tx', 'rx'):
        pkts = int(res[f'{d}_pkts'])
        secs, cpu = marks.span(d)
        out[d] = {'pps': pkts / secs, 'mbit_s': pkts * (payload + FRAME_HDR) * 8 / secs / 1e6,
                  'cpu': cpu * 1e6 / max(pkts, 1)}
    return out


def echo(ctx, setup):
    """{'rtt': {'p50':, 'p90':, 'p99':, 'p999': µs}} of one VM."""
    res, marks = _run(ctx, setup, ['probe.test=net-echo', f'probe.count={ECHOES}'],
                      f'{ECHOES} echoes', ECHOES // 100 + 60)
    secs, _ = marks.span('rtt')
    us_per_tick = secs * 1e6 / int(res['rtt_ticks'])
    return {'rtt': {p: int(res[f'rtt_{p}_t']) * us_per_tick
                    for p in ('p50', 'p90', 'p99', 'p999')}}


def measure(ctx, rows):
    by_key = {r.key: r for r in rows}
    setups = tuple(PEERS) if rows[0].na else ('azote',) + tuple(PEERS)
    for payload in (SMALL, LARGE, None):
        run = (lambda side: echo(ctx, side)) if payload is None else \
            (lambda side: bench(ctx, side, payload))
        got = ctx.collect(ctx.s.io_reps, setups, run)
        for key, _, _, _, (p, d, what) in METRICS:
            if p != payload:
                continue
            for peer in PEERS:
                row = by_key[f'{key}/{peer}']
                row.azote += [g[d][what] for g in got.get('azote', [])]
                row.qemu += [g[d][what] for g in got[peer]]
