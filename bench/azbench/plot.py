"""docs/benchmarks.png: how many times better azote is on each row
(paired ratio for higher-is-better metrics, its inverse otherwise), a bar
from 1.0 (no difference) to it on a log scale, the rounds' lowest and
highest as an error bar, and the host named under the plot."""
import textwrap

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402 (after the backend choice)


def plot(rows, path, title, caption):
    # a failed row (failed in any round) is "failed" in the table: no bar either
    rows = [r for r in rows if r.advantage() and not r.error]
    if not rows:
        return
    labels = [f'{r.metric}\nvs QEMU {r.peer}' for r in rows][::-1]
    adv = [r.advantage() for r in rows][::-1]
    spreads = [r.spread() or (a, a) for r, a in zip(rows[::-1], adv)]
    lo = [a - s[0] for a, s in zip(adv, spreads)]
    hi = [s[1] - a for a, s in zip(adv, spreads)]
    fig, ax = plt.subplots(figsize=(11, 0.45 * len(rows) + 2))
    # Bars start at 1.0: their length is the advantage, either way.
    ax.barh(range(len(rows)), [a - 1 for a in adv], left=1,
            color=['#2e7d32' if a >= 1 else '#c62828' for a in adv],
            xerr=[lo, hi], error_kw={'ecolor': 'black', 'capsize': 2, 'linewidth': 0.8})
    ax.axvline(1, color='black', linewidth=0.8)
    ax.set_xscale('log')
    # Plain ticks (0.5×, 1×, 2×...) rather than powers of ten.
    ends = [s[0] for s in spreads] + [s[1] for s in spreads] + adv
    ticks = [2.0 ** k for k in range(-8, 9) if min(ends) / 2 <= 2.0 ** k <= max(ends) * 2]
    # Below 1 as fractions: "1/32×" is narrower than "0.03125×" and
    # does not run into its neighbour.
    ax.set_xticks(ticks, [f'{t:g}×' if t >= 1 else f'1/{1 / t:g}×' for t in ticks], fontsize=8)
    ax.minorticks_off()
    ax.set_yticks(range(len(rows)), labels, fontsize=6.5)
    for i, (a, s) in enumerate(zip(adv, spreads)):
        ax.text(max(a, s[1]), i, f'  {a:.2f}×', va='center', fontsize=6.5)
    # Two lines: centred under the bars, one line ran past the figure.
    ax.set_xlabel('azote advantage, paired (× better than QEMU; < 1: QEMU better), log scale;\n'
                  'bar from 1.0, whiskers: lowest and highest round', fontsize=8)
    ax.set_title(title, fontsize=9)
    fig.text(0.01, 0.005, '\n'.join(textwrap.wrap(caption, 160)), fontsize=6.5, va='bottom')
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    # Whatever the labels' length, nothing is cut off.
    fig.savefig(path, dpi=110, bbox_inches='tight')
    plt.close(fig)
