#!/usr/bin/env python3
"""Run every method on every data set and print the results table (markdown).

    nice -n 19 python3 eval_all.py [--methods a,b] [--recompute] [--sets dev,tcpd,mongo,gab,synth]

The first row is the product (giflab-perfd's C++ change points, through
`giflab-eval change-points`, GIFLAB_EVAL_BIN or build/bin); the others are
re-implementations of the peers (peers.py) and the Python reference of the
product's method (method.py), from which the C++ was ported.

Predictions are cached in preds/<method>__<set>.json (delete or --recompute to refresh).
Tuning: only the dev set (and the synthetic checks, which are requirements) were looked at while
choosing the constants of method.py; tcpd, mongodb and github-action-benchmark are held out.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import common  # noqa: E402
import peers  # noqa: E402
import method  # noqa: E402
import synthetic  # noqa: E402


def final(values):
    return [d['index'] for d in method.detect(values)]


def variant(**kw):
    return lambda values: [d['index'] for d in method.detect(values, **kw)]


EVAL_BIN = os.environ.get('GIFLAB_EVAL_BIN') or os.path.join(HERE, '..', '..', 'build', 'bin', 'giflab-eval')


def product(values):
    out = subprocess.run([EVAL_BIN, 'change-points'], input=json.dumps({'id': 's', 'values': list(map(float, values))}),
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)['s']


METHODS = {'giflab-perfd (C++, alpha=0.001)': product}
METHODS.update(peers.PEERS)
METHODS['robust_mosum (Python reference, alpha=0.001)'] = final


def run_set(name, fn, series, recompute):
    os.makedirs(os.path.join(HERE, 'preds'), exist_ok=True)
    key = name.split(' ')[0]
    path = os.path.join(HERE, 'preds', '%s__%s.json' % (key, series[0]))
    if not recompute and os.path.exists(path):
        return json.load(open(path))
    t0 = time.time()
    out = {}
    for sid, vals in series[1]:
        out[sid] = [int(i) for i in fn(vals)]
    json.dump(out, open(path, 'w'))
    sys.stderr.write('%s on %s: %.1fs\n' % (name, series[0], time.time() - t0))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--methods', default=None)
    ap.add_argument('--sets', default='dev,tcpd,mongo,gab,synth')
    ap.add_argument('--recompute', action='store_true')
    ap.add_argument('--recompute-final', action='store_true')
    a = ap.parse_args()
    sets = a.sets.split(',')
    names = list(METHODS) if not a.methods else [m for m in METHODS if m.split(' ')[0] in a.methods.split(',')]

    dev = common.load_dev()
    tcpd = common.load_tcpd()
    mongo = common.load_mongo()
    gab = common.load_gab()
    rows = []
    for nm in names:
        fn = METHODS[nm]
        rc = a.recompute or nm.startswith('giflab-perfd') or (a.recompute_final and nm.startswith('robust_mosum'))
        row = {'method': nm}
        if 'dev' in sets:
            p = run_set(nm, fn, ('dev', [(r['id'], r['values']) for r in dev]), rc)
            row['dev'] = common.score_dev(dev, p)
        if 'tcpd' in sets:
            p = run_set(nm, fn, ('tcpd', [(r['id'], r['values']) for r in tcpd]), rc)
            row['tcpd'] = common.score_tcpd(tcpd, p)
        if 'mongo' in sets:
            p = run_set(nm, fn, ('mongo', list(mongo.items())), rc)
            row['mongo'] = common.score_mongo(p)
        if 'gab' in sets:
            p = run_set(nm, fn, ('gab', [(r['id'], r['values']) for r in gab]), rc)
            row['gab'] = common.score_gab(gab, p)
        if 'synth' in sets:
            sp = os.path.join(HERE, 'preds', '%s__synth.json' % nm.split(' ')[0])
            if not rc and os.path.exists(sp):
                res = json.load(open(sp))
            else:
                res = synthetic.run_checks(fn, seeds=range(5))
                json.dump(res, open(sp, 'w'))
            row['synth'] = res
        rows.append(row)

    print('| method | dev F1 | dev recall | dev FP/100 stable | dev F1 geocat/cartopy/flowkit | tcpd F1 | '
          'mongo real FP / long hits (extra) / robust CPs | GAB alerts/100 all / isolated (suite-wide of all) | synthetic pass |')
    print('|---|---|---|---|---|---|---|---|---|')
    for r in rows:
        cells = [r['method']]
        if 'dev' in r:
            d = r['dev']
            bs = d['by_source']
            cells += ['%.3f' % d['f1'], '%.3f' % d['recall'], '%.3f' % d['fp100'],
                      '/'.join('%.2f' % bs[s]['f1'] for s in ('geocat', 'cartopy', 'flowkit'))]
        else:
            cells += ['', '', '', '']
        cells.append('%.3f' % r['tcpd']['f1'] if 'tcpd' in r else '')
        if 'mongo' in r:
            m = r['mongo']
            cells.append('%d / %d of 4 (%d) / %s' % (m['real_fp'], m['long_hits'], m['long_extra'],
                                                    m['robust_pred']))
        else:
            cells.append('')
        if 'gab' in r:
            g = r['gab']
            cells.append('%.2f / %.2f (%d of %d)' % (g['per100'], g['isolated_per100'], g['suite_wide'], g['alerts']))
        else:
            cells.append('')
        if 'synth' in r:
            s = r['synth']
            cells.append('%d/%d' % (s['passed'], s['total']))
        else:
            cells.append('')
        print('| ' + ' | '.join(cells) + ' |')
    json.dump(rows, open(os.path.join(HERE, 'results.json'), 'w'), indent=1, default=str)


if __name__ == '__main__':
    main()
