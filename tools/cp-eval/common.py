"""Data loaders and scorers shared by eval_all.py (read-only access to the eval data)."""
import glob
import json
import os
from datetime import datetime

# GIFLAB_EVAL_DATA, or ../shared/eval/data beside the repository.
DATA = os.environ.get('GIFLAB_EVAL_DATA') or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'shared', 'eval', 'data'))

MISSING_TCPD = {'apple', 'bee_waggle_6', 'bitcoin', 'iceland_tourism', 'measles', 'occupancy',
                'ratner_stock', 'robocalls', 'scanline_126007', 'scanline_42049'}


# ----------------------------------------------------------------------------- dev (asv)
def load_dev():
    out = []
    for p in sorted(glob.glob(os.path.join(DATA, 'dev', '*', 'series.jsonl'))):
        with open(p) as f:
            for line in f:
                if line.strip():
                    out.append(json.loads(line))
    return out


def _match(true, pred, margin):
    free = set(pred)
    hit = set()
    for t in sorted(set(true)):
        close = sorted((abs(t - x), x) for x in free if abs(t - x) <= margin)
        if close:
            hit.add(t)
            free.remove(close[0][1])
    return hit


def score_dev(series, preds, margin=5):
    """Same numbers as dev/score.py (re-implemented to avoid a subprocess per method)."""
    f1s, tp, ntrue, npred = [], 0, 0, 0
    st_pts = st_al = st_ser = st_alarmed = 0
    per_src = {}
    for r in series:
        n = len(r['values'])
        pred = sorted({i for i in preds.get(r['id'], []) if 0 <= i < n})
        src = r['source']
        ps = per_src.setdefault(src, {'f1': [], 'tp': 0, 'nt': 0, 'np': 0, 'sp': 0, 'sa': 0})
        if r['labels'] == 'none':
            al = [i for i in pred if i != 0]
            st_pts += n; st_al += len(al); st_ser += 1; st_alarmed += bool(al)
            ps['sp'] += n; ps['sa'] += len(al)
            continue
        true = r['change_points']
        T = set(true) | {0}
        X = set(pred) | {0}
        k = len(_match(T, X, margin))
        p, rc = k / len(X), k / len(T)
        f = 0.0 if p + rc == 0 else 2 * p * rc / (p + rc)
        f1s.append(f); ps['f1'].append(f)
        pnz = [i for i in pred if i != 0]
        h = len(_match(true, pnz, margin))
        tp += h; ntrue += len(true); npred += len(pnz)
        ps['tp'] += h; ps['nt'] += len(true); ps['np'] += len(pnz)
    res = {
        'f1': sum(f1s) / len(f1s),
        'recall': tp / ntrue,
        'precision': tp / npred if npred else 1.0,
        'fp100': 100.0 * st_al / st_pts,
        'stable_alarmed': st_alarmed / st_ser,
        'by_source': {s: {'f1': (sum(v['f1']) / len(v['f1'])) if v['f1'] else None,
                          'recall': v['tp'] / v['nt'] if v['nt'] else None,
                          'fp100': 100.0 * v['sa'] / v['sp'] if v['sp'] else None}
                      for s, v in per_src.items()},
    }
    return res


# ----------------------------------------------------------------------------- TCPD
def load_tcpd():
    ann = json.load(open(os.path.join(DATA, 'tcpd', 'annotations.json')))
    out = []
    for p in sorted(glob.glob(os.path.join(DATA, 'tcpd', 'datasets', '*.json'))):
        d = json.load(open(p))
        name = d['name']
        if name in MISSING_TCPD or name not in ann:
            continue
        raw = d['series'][0]['raw']          # run_log: dimension 0 (Pace) only
        keep = [i for i, v in enumerate(raw) if v is not None]
        newidx = {old: new for new, old in enumerate(keep)}
        vals = [float(raw[i]) for i in keep]

        def shift(cps):
            res = []
            for c in cps:
                # a CP at a dropped index maps to the next kept one
                while c not in newidx and c < len(raw):
                    c += 1
                if c in newidx:
                    res.append(newidx[c])
            return res
        anns = {k: shift(v) for k, v in ann[name].items()}
        out.append({'id': name, 'values': vals, 'annotations': anns})
    return out


def tcpd_f1(annotations, predictions, margin=5):
    """TCPDBench f_measure (van den Burg & Williams 2020)."""
    def tp(T, X):
        X = set(X)
        TP = set()
        for tau in sorted(T):
            close = sorted((abs(tau - x), x) for x in X if abs(tau - x) <= margin)
            if close:
                TP.add(tau)
                X.remove(close[0][1])
        return TP
    Tks = [set(a) | {0} for a in annotations.values()]
    X = set(predictions) | {0}
    Tstar = set().union(*Tks)
    P = len(tp(Tstar, X)) / len(X)
    R = sum(len(tp(Tk, X)) / len(Tk) for Tk in Tks) / len(Tks)
    return 0.0 if P + R == 0 else 2 * P * R / (P + R)


def score_tcpd(series, preds):
    f = [tcpd_f1(r['annotations'], preds.get(r['id'], [])) for r in series]
    return {'f1': sum(f) / len(f), 'per_series': {r['id']: x for r, x in zip(series, f)}}


# ----------------------------------------------------------------------------- MongoDB
def load_mongo():
    base = os.path.join(DATA, 'mongodb_signal_processing')
    d = {}
    for k in ('real_series', 'long_series', 'robust_series'):
        d[k] = [float(v) for v in json.load(open(os.path.join(base, k + '.json')))]
    for k in ('small', 'medium'):
        d['tiled_' + k] = [float(v) for v in json.load(open(os.path.join(base, 'profiling', k + '.json')))['series']]
    return d


def score_mongo(preds):
    """real_series: stable with outliers -> false CPs (want 0).
    long_series: 4 shifts at 205/395/594/794 (visual; 205 is a short ramp) -> hits within +-5 (margin) and extras.
    robust_series / tiled: reported as found indices (qualitative)."""
    real_fp = len([i for i in preds['real_series'] if i != 0])
    truth = [205, 395, 594, 794]
    lp = [i for i in preds['long_series'] if i != 0]
    hit = _match(truth, lp, 5)
    return {'real_fp': real_fp, 'long_hits': len(hit), 'long_extra': len(lp) - len(hit),
            'long_pred': lp, 'robust_pred': [i for i in preds['robust_series'] if i != 0],
            'tiled_small_pred': [i for i in preds['tiled_small'] if i != 0]}


# ----------------------------------------------------------------------------- github-action-benchmark
def load_gab():
    d = json.load(open(os.path.join(DATA, 'github_action_benchmark', 'data.json')))
    out = []
    for suite, entries in d['entries'].items():
        names = []
        for e in entries:
            for b in e['benches']:
                if b['name'] not in names:
                    names.append(b['name'])
        for nm in names:
            vals, dates = [], []
            for e in entries:
                for b in e['benches']:
                    if b['name'] == nm and b.get('value') is not None:
                        vals.append(float(b['value']))
                        dates.append(e['date'])
            if len(vals) >= 10:
                out.append({'id': suite + '/' + nm, 'suite': suite, 'values': vals, 'dates': dates})
    return out


def score_gab(series, preds):
    """Alerts per 100 samples; 'suite-wide' = an alert with an alert of another bench of the same
    suite within +-3 suite entries (simultaneous shift -> likely runner/toolchain change)."""
    pts = sum(len(r['values']) for r in series)
    suite_dates = {}
    for r in series:
        suite_dates.setdefault(r['suite'], set()).update(r['dates'])
    pos = {s: {d: i for i, d in enumerate(sorted(v))} for s, v in suite_dates.items()}
    by_suite = {}
    for r in series:
        for i in preds.get(r['id'], []):
            if i == 0:
                continue
            by_suite.setdefault(r['suite'], []).append((r['id'], pos[r['suite']][r['dates'][i]]))
    alerts = shared = 0
    for suite, al in by_suite.items():
        for sid, p in al:
            alerts += 1
            if any(s2 != sid and abs(p2 - p) <= 3 for s2, p2 in al):
                shared += 1
    return {'alerts': alerts, 'per100': 100.0 * alerts / pts, 'suite_wide': shared, 'points': pts,
            'isolated_per100': 100.0 * (alerts - shared) / pts,
            'series_alarmed': sum(1 for r in series if any(i != 0 for i in preds.get(r['id'], [])))}
