"""Tables, targets, JSON and a bar chart of one run's results."""

import json
import os

from ._peers import FLOOR, LABELS

# ndgrad's targets: (workload, peer) -> the largest acceptable ndgrad ÷ peer ratio.
TARGETS = {
    ('chain', 'torch'): 1.0,
    ('chain', 'autograd'): 0.4,
    ('sumsin', 'torch'): 1.0,
    ('mlp', 'numpy'): 1.10,
    ('mlp_d2l', 'numpy'): 1.10,
    ('lenet', 'torch'): 2.0,
    ('lenet', 'numpy'): 1.25,
    ('linreg', 'torch'): 0.5,
    ('jacobian', 'autograd'): 0.5,
    ('jacobian', 'torch'): 0.5,
    ('hessian', 'autograd'): 0.5,
    ('hessian', 'torch'): 0.5,
    ('memory', 'torch'): 1.1,
}


def value(entry):
    """The number a cell compares: median seconds, or peak bytes for memory."""
    if entry is None or 'error' in entry or 'skipped' in entry:
        return None
    return entry.get('median', entry.get('peak_rss'))


def _cell(kind, v):
    if v is None:
        return '—'
    if kind == 'memory':
        return f'{v / 2**20:.0f} MB'
    if v >= 1:
        return f'{v:.2f} s'
    if v >= 1e-3:
        return f'{v * 1e3:.3g} ms'
    return f'{v * 1e6:.3g} µs'


def _table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]

    def line(r):
        cells = enumerate(zip(r, widths))
        return '  '.join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in cells)

    return '\n'.join([line(header), '  '.join('-' * w for w in widths)] + [line(r) for r in rows])


def render(results, peers, workloads):
    """The text report: medians, ndgrad ÷ peer, peer ÷ floor, targets, notes."""
    names = [w for w in workloads if w in results['workloads']]
    header = ['workload'] + [LABELS[p] for p in peers]
    out = []
    rows = []
    for w in names:
        res = results['workloads'][w]
        rows.append([w] + [_cell(res['kind'], value(res['peers'].get(p))) for p in peers])
    out += ['Medians (memory: peak RSS above the baseline)', _table(header, rows), '']

    ratio_rows, floor_rows = [], []
    for w in names:
        res = results['workloads'][w]['peers']
        mine, floor = value(res.get('ndgrad')), value(res.get(FLOOR))
        ratio_rows.append(
            [w]
            + [f'{mine / value(res[p]):.2f}×' if mine and value(res.get(p)) else '—' for p in peers]
        )
        floor_rows.append(
            [w]
            + [
                f'{value(res[p]) / floor:.2f}×' if floor and value(res.get(p)) else '—'
                for p in peers
            ]
        )
    out += [
        'ndgrad ÷ peer (below 1: ndgrad is faster / smaller)',
        _table(header, ratio_rows),
        '',
        f'peer ÷ {LABELS[FLOOR]} (the floor)',
        _table(header, floor_rows),
        '',
    ]

    target_rows = []
    for (w, p), limit in TARGETS.items():
        if w not in names:
            continue
        res = results['workloads'][w]['peers']
        mine, theirs = value(res.get('ndgrad')), value(res.get(p))
        if mine is None or theirs is None:
            target_rows.append([w, LABELS[p], f'≤ {limit:.2f}×', '—', 'not measured'])
            continue
        ratio = mine / theirs
        target_rows.append(
            [
                w,
                LABELS[p],
                f'≤ {limit:.2f}×',
                f'{ratio:.2f}×',
                'met' if ratio <= limit else 'MISSED',
            ]
        )
    if target_rows:
        out += [
            'Targets (ndgrad ÷ peer)',
            _table(['workload', 'peer', 'target', 'ratio', ''], target_rows),
            '',
        ]

    notes = []
    for w in names:
        for p, entry in results['workloads'][w]['peers'].items():
            for key in ('skipped', 'error', 'mismatch'):
                if key in entry:
                    notes.append(f'{w} / {LABELS[p]}: {key}: {entry[key]}')
            if 'retained_rss' in entry:
                extra = (
                    f', traced peak {entry["traced_peak"] / 2**20:.0f} MB, traced retained '
                    f'{entry["traced_retained"] / 2**20:.2f} MB'
                    if 'traced_peak' in entry
                    else ''
                )
                held = entry['retained_rss'] > 0.05 * max(entry['peak_rss'], 1)
                notes.append(
                    f'{w} / {LABELS[p]}: retained after backward '
                    f'{entry["retained_rss"] / 2**20:.1f} MB (RSS){extra}'
                    + (' -- the pass still holds memory' if held else '')
                    + (
                        ''
                        if entry.get('peak_exact', True)
                        else ' (peak includes start-up: the peak mark could not be reset)'
                    )
                )
    if notes:
        out += ['Notes'] + ['  ' + n for n in notes]
    return '\n'.join(out)


def write_json(results, directory):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, 'results.json')
    with open(path, 'w') as f:
        json.dump(results, f, indent=1)
    return path


def write_plot(results, peers, directory):
    """One panel per workload: each peer's median (log scale). None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    names = list(results['workloads'])
    cols = 2
    rows = (len(names) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(12, 2.6 * rows), squeeze=False)
    for ax, w in zip(axes.flat, names):
        res = results['workloads'][w]
        shown = [p for p in peers if value(res['peers'].get(p)) is not None]
        scale = 2**20 if res['kind'] == 'memory' else 1e-3
        vals = [value(res['peers'][p]) / scale for p in shown]
        colors = [
            'tab:red' if p == 'ndgrad' else 'tab:gray' if p == FLOOR else 'tab:blue' for p in shown
        ]
        ax.barh([LABELS[p] for p in shown], vals, color=colors)
        if res['kind'] == 'memory':
            ax.set_xlim(0, max(vals) * 1.25)
        else:  # times span orders of magnitude: log scale, every bar labelled
            ax.set_xscale('log')
            ax.set_xlim(min(vals) / 3, max(vals) * 4)
        for k, v in enumerate(vals):
            ax.text(v, k, f' {v:.3g}', va='center', fontsize=7)
        ax.invert_yaxis()
        ax.set_title(res['title'], fontsize=9)
        ax.set_xlabel('peak MB' if res['kind'] == 'memory' else 'ms (median)', fontsize=8)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(names) :]:
        ax.axis('off')
    fig.tight_layout()
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, 'results.png')
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
