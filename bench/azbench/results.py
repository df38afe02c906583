"""One row per comparison (a metric, azote against one QEMU setup), the
samples behind it, its paired ratio in each round of the run, and the
Markdown table."""
import statistics
from dataclasses import dataclass, field


@dataclass
class Row:
    key: str                    # how the metric's code finds the row
    group: str                  # the bench/run selection it belongs to
    metric: str
    unit: str
    better: str                 # 'higher', 'lower', or 'target': the nearer it the better
    peer: str                   # the QEMU setup compared against
    azote: list = field(default_factory=list)
    qemu: list = field(default_factory=list)
    na: str = ''                # why azote cannot be measured yet
    error: str = ''             # why the measurement failed this run
    note: str = ''              # what else a reader must know about it
    rounds: list = field(default_factory=list)  # paired ratio of each round
    target: float = 0.0         # with better 'target': the rate both sides are held to

    def median(self, side):
        xs = getattr(self, side)
        return statistics.median(xs) if xs else None

    def ratio(self):
        a, q = self.median('azote'), self.median('qemu')
        return a / q if a is not None and q else None

    def paired(self):
        """Median of the ratios of samples taken in the same round: the
        setups take turns (Context.collect), so a change in the host's
        load hits both sides of a pair, where two medians can land in
        different modes of bimodal samples."""
        if not self.azote or len(self.azote) != len(self.qemu) or not all(self.qemu):
            return None
        return statistics.median(a / q for a, q in zip(self.azote, self.qemu))

    def advantage(self):
        """How many times better azote is (> 1: azote wins), paired."""
        return self._better(self.paired())

    def _better(self, r):
        # Held to a target, neither side is better for being faster.
        if not r or self.better == 'target':
            return None
        return r if self.better == 'higher' else 1 / r

    def off_target(self):
        """With a target: how far each side's median is from it, as a note
        ('' without samples)."""
        medians = (('azote', self.median('azote')), ('QEMU', self.median('qemu')))
        return ', '.join(f'{side} {(m / self.target - 1) * 100:+.1f} %'
                         for side, m in medians if m is not None)

    def spread(self):
        """(lowest, highest) advantage over the rounds, or None with fewer
        than two rounds measured."""
        adv = [a for a in map(self._better, self.rounds) if a]
        return (min(adv), max(adv)) if len(adv) > 1 else None

    def verdict(self):
        """Who is better in every round: 'azote', 'QEMU', or 'no clear
        winner' when the rounds' ratios fall on both sides of 1.0; '' for a
        single round."""
        s = self.spread()
        if not s:
            return ''
        if s[0] > 1:
            return 'azote'
        if s[1] < 1:
            return 'QEMU'
        return 'no clear winner'


def merge_rounds(rounds):
    """One list of rows from the same plan measured in several rounds: the
    samples of every round together (the medians), each round's paired
    ratio kept apart (the spread), a failure in any round kept."""
    merged = {}
    for rows in rounds:
        for r in rows:
            m = merged.setdefault((r.group, r.key), Row(
                r.key, r.group, r.metric, r.unit, r.better, r.peer, na=r.na, note=r.note,
                target=r.target))
            m.azote.extend(r.azote)
            m.qemu.extend(r.qemu)
            m.rounds.append(r.paired())
            m.error = m.error or r.error
            m.note = m.note or r.note
    return list(merged.values())


def fmt(x):
    """Three significant figures, no exponent for everyday sizes."""
    if x is None:
        return '—'
    if x == 0:
        return '0'
    if abs(x) >= 100:
        return f'{x:,.0f}'
    if abs(x) >= 10:
        return f'{x:.1f}'
    if abs(x) >= 1:
        return f'{x:.2f}'
    return f'{x:.3g}'


def _ratio(x):
    return f'{x:.2f}' if x is not None else '—'


def _spread(r):
    s = r.spread()
    return f'{s[0]:.2f}–{s[1]:.2f}' if s else '—'


def _cells(r):
    if r.error:
        return ['**failed**', fmt(r.median('qemu')), '—', '—', '—', '', f'failed: {r.error}']
    if r.na and not r.azote:
        return [f'n/a — {r.na}', fmt(r.median('qemu')), '—', '—', '—', '', '']
    note = r.note
    if r.better == 'target':
        note = '; '.join(x for x in (f'off the limit of {fmt(r.target)}: {r.off_target()}',
                                     r.note) if x)
    return [fmt(r.median('azote')), fmt(r.median('qemu')), _ratio(r.ratio()),
            _ratio(r.paired()), _spread(r), r.verdict(), note]


# How the unit column says which way is better.
ARROWS = {'higher': '↑', 'lower': '↓', 'target': '='}


def table(rows):
    """The results as a Markdown table: medians, their ratio (azote /
    QEMU), the median of the per-round ratios, and the spread of the
    rounds' paired ratios as advantages (× better for azote) with who
    wins in all of them."""
    out = ['| metric | azote | QEMU | ratio | paired | advantage, rounds min–max | '
           'winner | unit | QEMU setup |',
           '|---|---:|---:|---:|---:|---:|---|---|---|']
    for r in rows:
        a, q, ratio, paired, spread, winner, why = _cells(r)
        arrow = ARROWS[r.better]
        peer = r.peer + (f' ({why})' if why else '')
        out.append(f'| {r.metric} | {a} | {q} | {ratio} | {paired} | {spread} | {winner} '
                   f'| {r.unit} {arrow} | {peer} |')
    return '\n'.join(out)


def samples_table(rows):
    """Every sample behind the medians, for judging the spread."""
    out = ['| metric | QEMU setup | azote samples | QEMU samples |', '|---|---|---|---|']
    for r in rows:
        out.append(f'| {r.metric} | {r.peer} | {" ".join(fmt(x) for x in r.azote) or "—"} '
                   f'| {" ".join(fmt(x) for x in r.qemu) or "—"} |')
    return '\n'.join(out)
