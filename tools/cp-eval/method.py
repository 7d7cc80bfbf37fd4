"""Robust multiscale MOSUM change-point detector (reference implementation for the C++ port).

detect(values, min_change=0.02, sensitivity=None (-> ALPHA)) -> [{index, before, after, p_value, ci_low, ci_high,
                                                       rel_change, scale}]

Pipeline (see REPORT.md section (b) for the pseudo-code with every constant):
  1. noise scale sigma: robust (MAD) scale of first differences / sqrt(2), and of differences of block
     means (blocks of 2 and 4, detrended by the median difference) as a long-run (autocorrelation-aware)
     scale; sigma = max of them (floored).
  2. winsorise: y = clip(x, runmed5(x) - 3 sigma1, runmed5(x) + 3 sigma1)  (kills isolated spikes).
  3. multiscale MOSUM scan of y (bandwidths G = 5, 8, 12, 18, 27, 41, 61, 91, 137, 205, <= n/2; windows
     shortened at the series ends, never below M_MIN points): T_G(t) = (mean right - mean left) /
     (sigma sqrt(1/nl + 1/nr)); candidates = local maxima of |T_G| over +-G/2 above the MOSUM critical
     value D(n, G, alpha) (Eichinger & Kirch 2018).
  4. bottom-up merge of candidates across scales (small G first; a candidate is new unless an accepted
     one lies within +-G/2).
  5. refine each CP to the best L2 split of y between its neighbours (within +-G).
  6. validate / prune (backward elimination, weakest first): each CP is re-tested on its two adjacent
     segments (capped at W_CAP points each side): scan-adjusted p <= alpha, relative change of medians
     >= min_change, and the jump still significant when a common linear trend is fitted.
"""
import math

import numpy as np

M_MIN = 5            # minimum regime length (points)
CLIP_K = 3.0         # winsorisation half-width in units of sigma1 around the running median
RUNMED_W = 9         # running-median width for winsorisation (= 2*M_MIN-1: keeps any regime >= M_MIN, removes bursts <= M_MIN-1)
G_LIST = (5, 8, 12, 18, 27, 41, 61, 91, 137, 205)
W_CAP = 250          # max points per side used when re-testing a CP
ALPHA = 0.001        # default sensitivity: scan-adjusted false-alarm probability (chosen on dev, 0.002-0.001 equal)
TREND_T = 3.0        # min |t| of the jump when a common linear trend is fitted
REL_TOL_SE = 2.5    # min_change gate: rel + REL_TOL_SE * se(rel) >= min_change


# ----------------------------------------------------------------------------- helpers
def _mad(v):
    v = np.asarray(v, float)
    if len(v) == 0:
        return 0.0
    return 1.4826 * float(np.median(np.abs(v - np.median(v))))


def noise_scale(x, y=None):
    """sigma1: white-noise scale from first differences of x (MAD / sqrt 2).
    sigma: max(sigma1, long-run scales from differences of block means (b = 2, 4, 8; only when there
    are >= 12 blocks) of the winsorised series y) -- inflates sigma under positive autocorrelation."""
    n = len(x)
    d = np.diff(x)
    s1 = _mad(d) / math.sqrt(2)
    if s1 == 0:   # heavily quantised series: fall back to the mean absolute deviation of differences
        s1 = 1.2533 * float(np.mean(np.abs(d - np.median(d)))) / math.sqrt(2)
    lev = float(np.median(np.abs(x)))
    floor = 1e-9 * lev if lev > 0 else 1e-12
    s1 = max(s1, floor)
    if y is None:
        return s1
    s = s1
    for b in (2, 4, 8):
        m = n // b
        if m >= 12:
            bm = y[:m * b].reshape(m, b).mean(1)
            s = max(s, _mad(np.diff(bm)) * math.sqrt(b / 2.0))
    return s1, s


def running_median(x, w):
    """Centred running median of odd width w, window truncated at the ends.
    (numpy: sliding_window_view; C++: two-heap / indexable skip-list sliding median, O(n log w))."""
    n = len(x)
    h = w // 2
    out = np.empty(n)
    if n > 2 * h:
        out[h:n - h] = np.median(np.lib.stride_tricks.sliding_window_view(x, w), axis=1)
    for i in list(range(min(h, n))) + list(range(max(h, n - h), n)):
        out[i] = np.median(x[max(0, i - h):min(n, i + h + 1)])
    return out


def crit_value(n, g_min, g_max, alpha):
    """MOSUM asymptotic critical value (Eichinger & Kirch 2018; R package mosum)."""
    x = max(n / float(g_min), 2.0 * math.e)   # keep log log x > 0 on very short series
    K = g_min / float(g_max)
    a = math.sqrt(2 * math.log(x))
    b = 2 * math.log(x) + 0.5 * math.log(math.log(x)) + math.log((K * K + K + 1) / (K + 1)) - 0.5 * math.log(math.pi)
    c = -math.log(math.log(1.0 / math.sqrt(1.0 - alpha)))
    return (b + c) / a


def scan_pvalue(T, n, g_min, g_max):
    """P(sup |MOSUM| >= T) under H0 from the same Gumbel limit (scan-adjusted p-value)."""
    x = max(n / float(g_min), 2.0 * math.e)
    K = g_min / float(g_max)
    a = math.sqrt(2 * math.log(x))
    b = 2 * math.log(x) + 0.5 * math.log(math.log(x)) + math.log((K * K + K + 1) / (K + 1)) - 0.5 * math.log(math.pi)
    c = a * abs(T) - b
    return float(min(1.0, max(0.0, 1.0 - math.exp(-2.0 * math.exp(-c)))))


def hl_ci(left, right, conf=0.95, inflate=1.0):
    """Hodges-Lehmann shift (right - left) and its Mann-Whitney-inversion CI."""
    L = np.asarray(left, float)[-100:]
    R = np.asarray(right, float)[:100]
    D = np.sort((R[:, None] - L[None, :]).ravel())
    nl, nr = len(L), len(R)
    N = nl * nr
    hl = float(np.median(D))
    z = 1.959963984540054 if conf == 0.95 else float(__import__('scipy.stats').stats.norm.ppf(0.5 + conf / 2))
    k = int(math.floor(N / 2.0 - z * math.sqrt(nl * nr * (nl + nr + 1) / 12.0)))
    k = max(0, min(k, N // 2 - 1 if N > 1 else 0))
    lo, hi = float(D[k]), float(D[N - 1 - k])
    # widen for autocorrelation (sigma_longrun / sigma_white)
    lo = hl - inflate * (hl - lo)
    hi = hl + inflate * (hi - hl)
    return hl, lo, hi


# ----------------------------------------------------------------------------- main
def detect(values, min_change=0.02, sensitivity=None, return_debug=False):
    x = np.asarray([float(v) for v in values], float)
    n = len(x)
    if n < 2 * M_MIN:
        return []
    alpha = float(ALPHA if sensitivity is None else sensitivity)
    s1 = noise_scale(x)
    med = running_median(x, RUNMED_W)
    y = np.clip(x, med - CLIP_K * s1, med + CLIP_K * s1)
    s1, sig = noise_scale(x, y)
    S = np.concatenate([[0.0], np.cumsum(y)])

    def seg_mean(a, b):
        return (S[b] - S[a]) / (b - a)

    # ---- 3. multiscale scan
    gl = [g for g in G_LIST if g <= n // 2] or [M_MIN]
    cands = []
    t_all = np.arange(M_MIN, n - M_MIN + 1)
    for G in gl:
        nl = np.minimum(G, t_all)
        nr = np.minimum(G, n - t_all)
        T = ((S[t_all + nr] - S[t_all]) / nr - (S[t_all] - S[t_all - nl]) / nl) / (sig * np.sqrt(1.0 / nl + 1.0 / nr))
        D = crit_value(n, G, G, alpha)
        A = np.abs(T)
        h = max(1, G // 2)
        for j in np.nonzero(A > D)[0]:
            lo, hi = max(0, j - h), min(len(A), j + h + 1)
            if A[j] >= A[lo:hi].max() and (j == lo or A[j] > A[lo:j].max()):   # leftmost max in +-G/2
                cands.append((G, int(t_all[j]), float(A[j])))
    # ---- 4. bottom-up merge
    acc = []   # (t, G)
    for G, t, a in sorted(cands, key=lambda c: (c[0], -c[2])):
        if all(abs(t - u) > max(M_MIN, G // 2) for u, _ in acc):
            acc.append((t, G))
    acc.sort()
    # ---- 5. refine
    cps = [t for t, _ in acc]
    scales = {t: G for t, G in acc}

    def refine_one(c, a, b):
        """Best L2 split of y in [max(a, c-2G), min(b, c+2G)) within c +- G (G = detection scale)."""
        G = scales.get(c, M_MIN)
        lo_r, hi_r = max(a, c - 2 * G), min(b, c + 2 * G)
        ts = np.arange(max(lo_r + M_MIN, c - G), min(hi_r - M_MIN, c + G) + 1)
        if len(ts) == 0:
            return c
        nl, nr = ts - lo_r, hi_r - ts
        v = np.abs((S[hi_r] - S[ts]) / nr - (S[ts] - S[lo_r]) / nl) * np.sqrt(nl * nr / (nl + nr))
        bt = int(ts[int(np.argmax(v))])
        scales[bt] = G
        return bt

    def refine(cps):
        return [refine_one(c, cps[k - 1] if k > 0 else 0, cps[k + 1] if k + 1 < len(cps) else n)
                for k, c in enumerate(cps)]
    cps = sorted(set(refine(cps)))

    # ---- 6. validate / prune
    def test(k, cps):
        c = cps[k]
        a = cps[k - 1] if k > 0 else 0
        b = cps[k + 1] if k + 1 < len(cps) else n
        a = max(a, c - W_CAP)
        b = min(b, c + W_CAP)
        nl, nr = c - a, b - c
        if nl < M_MIN or nr < M_MIN:
            return {'ok': False, 'score': -1.0}
        T = (seg_mean(c, b) - seg_mean(a, c)) / (sig * math.sqrt(1.0 / nl + 1.0 / nr))
        gmin, gmax = min(nl, nr), max(nl, nr)
        D = crit_value(n, gmin, gmax, alpha)
        p = scan_pvalue(T, n, gmin, gmax)
        mL, mR = float(np.median(x[a:c])), float(np.median(x[c:b]))
        yl, yr = seg_mean(a, c), seg_mean(c, b)
        denom = min(abs(yl), abs(yr))
        rel = abs(yr - yl) / denom if denom > 0 else float('inf')
        se_rel = sig * math.sqrt(1.0 / nl + 1.0 / nr) / denom if denom > 0 else 0.0
        ok = abs(T) > D and rel + REL_TOL_SE * se_rel >= min_change
        # trend check: jump t-statistic with a common slope on [a, b)
        tj = None
        if ok and nl >= 3 and nr >= 3:
            tt = np.arange(a, b, dtype=float)
            X = np.column_stack([np.ones(b - a), tt - tt.mean(), (tt >= c).astype(float)])
            XtX_inv = np.linalg.inv(X.T @ X)
            coef = XtX_inv @ (X.T @ y[a:b])
            tj = coef[2] / (sig * math.sqrt(XtX_inv[2, 2]))
            if abs(tj) < TREND_T:
                ok = False
        return {'ok': ok, 'score': abs(T) / D, 'T': T, 'p': p, 'a': a, 'b': b, 'before': mL, 'after': mR,
                'rel': rel, 'tj': tj}

    # backward elimination: drop the weakest failing CP, re-refine and re-test only its neighbours
    res = [test(k, cps) for k in range(len(cps))]
    while True:
        bad = [k for k in range(len(cps)) if not res[k]['ok']]
        if not bad:
            break
        k = min(bad, key=lambda i: res[i]['score'])
        del cps[k]
        del res[k]
        for j in (k - 1, k):                       # neighbours of the removed CP
            if 0 <= j < len(cps):
                a = cps[j - 1] if j > 0 else 0
                b = cps[j + 1] if j + 1 < len(cps) else n
                cps[j] = refine_one(cps[j], a, b)
        for j in range(max(0, k - 2), min(len(cps), k + 2)):
            res[j] = test(j, cps)

    out = []
    infl = max(1.0, sig / s1)
    for k, c in enumerate(cps):
        r = test(k, cps)
        hl, lo, hi = hl_ci(x[r['a']:c], x[c:r['b']], inflate=infl)
        out.append({'index': int(c), 'before': r['before'], 'after': r['after'], 'p_value': r['p'],
                    'shift': hl, 'ci_low': lo, 'ci_high': hi, 'rel_change': (r['after'] - r['before']) / r['before'] if r['before'] else None,
                    'scale': int(scales.get(c, 0))})
    if return_debug:
        return out, {'sigma1': s1, 'sigma': sig, 'cands': cands}
    return out
