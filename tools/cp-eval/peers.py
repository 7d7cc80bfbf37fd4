"""Python re-implementations of peer change-point detectors (each returns a sorted list of CP
indices, a CP being the first index of the new regime).

perfherder  - Mozilla Treeherder/Perfherder `detect_changes` (linear-weighted two-sample t,
              back window 12..24, fore window 12, t > 7, local-max rule).
otava       - Apache Otava / Hunter `compute_change_points`: windowed E-divisive means (window 50)
              with Student t-test significance (first pass p 0.01 = 10 x max_pvalue, then merge at
              p 0.001, min_magnitude 0).
edivisive   - Matteson & James (2014) E-divisive means, alpha=1, permutation test (R=199; 19 if n > 1500,
              p <= 0.05), min segment 5 (ecp default is 30; too long for 21-point series).
zscore      - trailing-window z-score: 3 consecutive points with |z| > 2.5 against the mean/std of
              the last 30 points of the current regime -> CP at the first of them, baseline reset.
pettitt     - the product's current method: binary segmentation with Pettitt's rank test
              (p < 0.01 per split), 2 % minimum relative change of segment medians, min segment 5,
              and a trend-vs-step check (reject a split a straight line explains at least as well).
"""
import numpy as np
from scipy import stats


# ----------------------------------------------------------------------------- Perfherder
def perfherder(values, min_back_window=12, max_back_window=24, fore_window=12, t_threshold=7):
    x = [float(v) for v in values]
    n = len(x)

    def analyze(w, weighted):
        m = len(w)
        if m == 0:
            return 0.0, 0, 0.0
        wts = [(m - i) / m for i in range(m)] if weighted else [1.0] * m
        avg = sum(a * b for a, b in zip(w, wts)) / sum(wts)
        var = sum((d - avg) ** 2 for d in w) / (m - 1) if m > 1 else 0.0
        return avg, m, var

    def calc_t(w1, w2):
        if not w1 or not w2:
            return 0.0
        a1, n1, v1 = analyze(w1, True)
        a2, n2, v2 = analyze(w2, True)
        d = a2 - a1
        if d == 0:
            return 0.0
        if v1 == 0 and v2 == 0:
            return float('inf')
        return d / ((v1 / n1) + (v2 / n2)) ** 0.5

    t = [0.0] * n
    prev_amt = [0] * n
    next_amt = [0] * n
    last_seen = 0
    for i in range(1, n):
        jw = []
        j = i - 1
        while (len(jw) < max_back_window and j >= 0 and
               (i - j) <= min(max(last_seen, min_back_window), max_back_window)):
            jw.append(x[j])      # most recent first -> linear weights favour close points
            j -= 1
        kw = x[i:i + fore_window]
        prev_amt[i] = len(jw)
        next_amt[i] = len(kw)
        t[i] = abs(calc_t(jw, kw))
        if t[i] > t_threshold:
            last_seen = 0
        else:
            last_seen += 1
    cps = []
    for i in range(1, n):
        if prev_amt[i] < min_back_window or next_amt[i] < fore_window:
            continue
        if t[i] <= t_threshold:
            continue
        if t[i - 1] > t[i]:
            continue
        if i + 1 < n and t[i + 1] > t[i]:
            continue
        cps.append(i)
    return cps


# ----------------------------------------------------------------------------- E-divisive core
def _qhat_all(x):
    """Q(tau, kappa) of Matteson & James for all splits of x[0:kappa] at tau (alpha = 1).
    Returns (best_tau, best_kappa, best_q) with 1 <= tau < kappa <= len(x)."""
    w = len(x)
    D = np.abs(x[:, None] - x[None, :])
    P = np.zeros((w + 1, w + 1))
    P[1:, 1:] = D.cumsum(0).cumsum(1)

    def rect(r0, r1, c0, c1):  # sum D[r0:r1, c0:c1], vectorised over arrays
        return P[r1, c1] - P[r0, c1] - P[r1, c0] + P[r0, c0]
    tau = np.arange(1, w)[:, None]
    kap = np.arange(2, w + 1)[None, :]
    tau, kap = np.broadcast_arrays(tau, kap)
    valid = kap > tau
    tau_v, kap_v = tau[valid], kap[valid]
    nX = tau_v.astype(float)
    nY = (kap_v - tau_v).astype(float)
    between = rect(0, tau_v, tau_v, kap_v)
    wX = rect(0, tau_v, 0, tau_v) / 2.0
    wY = rect(tau_v, kap_v, tau_v, kap_v) / 2.0
    tot = nX + nY
    with np.errstate(divide='ignore', invalid='ignore'):
        cX = np.where(nX > 1, 2 * nY / (tot * (nX - 1)), 0.0)
        cY = np.where(nY > 1, 2 * nX / (tot * (nY - 1)), 0.0)
    Q = 2.0 / tot * between - cX * wX - cY * wY
    k = int(np.argmax(Q))
    return int(tau_v[k]), int(kap_v[k]), float(Q[k])


def _qhat_min(x, min_size):
    """Best (tau, q) with both sides >= min_size, kappa free (>= tau+min_size)."""
    w = len(x)
    if w < 2 * min_size:
        return None, -np.inf
    D = np.abs(x[:, None] - x[None, :])
    P = np.zeros((w + 1, w + 1))
    P[1:, 1:] = D.cumsum(0).cumsum(1)
    tau = np.arange(min_size, w - min_size + 1)[:, None]
    kap = np.arange(2 * min_size, w + 1)[None, :]
    tau, kap = np.broadcast_arrays(tau, kap)
    valid = kap - tau >= min_size
    t, k = tau[valid], kap[valid]
    nX, nY = t.astype(float), (k - t).astype(float)

    def rect(r0, r1, c0, c1):
        return P[r1, c1] - P[r0, c1] - P[r1, c0] + P[r0, c0]
    between = rect(0, t, t, k)
    wX = rect(0, t, 0, t) / 2.0
    wY = rect(t, k, t, k) / 2.0
    tot = nX + nY
    Q = 2.0 / tot * between - 2 * nY / (tot * (nX - 1)) * wX - 2 * nX / (tot * (nY - 1)) * wY
    i = int(np.argmax(Q))
    return int(t[i]), float(Q[i])


# ----------------------------------------------------------------------------- Otava
def _ttest(left, right):
    m1, m2 = np.mean(left), np.mean(right)
    s1 = np.std(left) if len(left) >= 2 else 0.0
    s2 = np.std(right) if len(right) >= 2 else 0.0
    df = len(left) + len(right) - 2
    if df <= 0:
        return 1.0, m1, m2
    with np.errstate(all='ignore'):
        t, p = stats.ttest_ind_from_stats(m1, s1, len(left), m2, s2, len(right))
    if not np.isfinite(p):
        p = 1.0 if m1 == m2 else 0.0 if (s1 == 0 and s2 == 0) else 1.0
        # scipy gives nan when both stds are 0; Otava then treats the point as not significant
        p = 1.0
    return float(p), m1, m2


def _intervals(cps, n):
    b = [0] + sorted(cps) + [n]
    return [(b[i], b[i + 1]) for i in range(len(b) - 1) if b[i] != b[i + 1]]


def _otava_window(x, max_pvalue):
    """Otava ChangePointDetector on one window: E-divisive candidate + t-test, stop at first
    insignificant candidate."""
    n = len(x)
    cps = []
    while True:
        best = None
        for (s, e) in _intervals(cps, n):
            if e - s > 1:
                tau, kap, q = _qhat_all(x[s:e])
                if best is None or q > best[1]:
                    best = (s + tau, q, s, e)
        if best is None:
            break
        idx, q, s, e = best
        p, _, _ = _ttest(x[s:idx], x[idx:e])
        if p <= max_pvalue:
            cps.append(idx)
            cps.sort()
        else:
            break
    return cps


def otava(values, window_len=50, max_pvalue=0.001, min_magnitude=0.0):
    x = np.asarray(values, dtype=float)
    n = len(x)
    first = max_pvalue * 10 if max_pvalue < 0.05 else max_pvalue
    step = window_len // 2
    start = 0
    cps = []
    while start < n:
        end = min(start + window_len, n)
        new = [c + start for c in _otava_window(x[start:end], first)]
        last = new[-1] if new else 0
        start = max(last, start + step)
        for c in new:
            if c not in cps:
                cps.append(c)
    cps.sort()

    # merge
    def stats_for(cps):
        iv = _intervals(cps, n)
        out = []
        for k, c in enumerate(cps):
            l = x[iv[k][0]:iv[k][1]]
            r = x[iv[k + 1][0]:iv[k + 1][1]]
            p, m1, m2 = _ttest(l, r)
            mag = max(abs(m2 / m1 - 1) if m1 else 0, abs(m1 / m2 - 1) if m2 else 0)
            out.append((p, mag))
        return out
    while cps:
        st = stats_for(cps)
        k = max(range(len(cps)), key=lambda i: st[i][0])
        if st[k][0] < max_pvalue:
            k = min(range(len(cps)), key=lambda i: st[i][1])
            if st[k][1] > min_magnitude:
                break
        del cps[k]
    return cps


# ----------------------------------------------------------------------------- E-divisive
def edivisive(values, sig=0.05, R=199, min_size=5, seed=0):
    x = np.asarray(values, dtype=float)
    n = len(x)
    rng = np.random.default_rng(seed)
    if n > 1500:
        R = 19   # keep the O(R n^2) permutation test affordable on long TCPD series
    cps = []
    while True:
        iv = _intervals(cps, n)
        best = None
        for (s, e) in iv:
            t, q = _qhat_min(x[s:e], min_size)
            if t is not None and (best is None or q > best[1]):
                best = (s + t, q)
        if best is None:
            break
        over = 0
        for _ in range(R):
            qmax = -np.inf
            for (s, e) in iv:
                seg = rng.permutation(x[s:e])
                _, q = _qhat_min(seg, min_size)
                qmax = max(qmax, q)
            over += qmax >= best[1]
        p = (over + 1) / (R + 1)
        if p > sig:
            break
        cps.append(best[0])
        cps.sort()
    return cps


# ----------------------------------------------------------------------------- z-score
def zscore(values, window=30, z=2.5, consecutive=3, min_base=8):
    x = np.asarray(values, dtype=float)
    n = len(x)
    cps = []
    base_start = 0
    i = min_base
    while i < n:
        lo = max(base_start, i - window)
        if i - lo < min_base:
            i += 1
            continue
        b = x[lo:i]
        mu, sd = b.mean(), b.std(ddof=1)
        sd = sd if sd > 0 else 1e-12 * max(1.0, abs(mu))
        if i + consecutive <= n:
            zz = (x[i:i + consecutive] - mu) / sd
            if np.all(zz > z) or np.all(zz < -z):
                cps.append(i)
                base_start = i
                i += min_base
                continue
        i += 1
    return cps


# ----------------------------------------------------------------------------- Pettitt binseg
def _pettitt(x):
    n = len(x)
    s = np.sign(x[None, :] - x[:, None])          # s[i, j] = sign(x_j - x_i)
    # U_t = sum_{i<=t} sum_{j>t} sign(x_j - x_i), t = 0..n-2
    cs = np.cumsum(np.cumsum(s[:, ::-1], axis=1)[:, ::-1], axis=0)  # sum_{i<=t} sum_{j>=c}
    U = np.array([cs[t, t + 1] for t in range(n - 1)])
    t = int(np.argmax(np.abs(U)))
    K = abs(U[t])
    p = min(1.0, 2.0 * np.exp(-6.0 * K * K / (n ** 3 + n ** 2)))
    return t + 1, p


def pettitt_binseg(values, alpha=0.01, min_change=0.02, min_seg=5):
    x = np.asarray(values, dtype=float)
    n = len(x)
    cps = []
    stack = [(0, n)]
    while stack:
        s, e = stack.pop()
        if e - s < 2 * min_seg:
            continue
        seg = x[s:e]
        c, p = _pettitt(seg)
        if p >= alpha or c < min_seg or len(seg) - c < min_seg:
            continue
        l, r = seg[:c], seg[c:]
        ml, mr = np.median(l), np.median(r)
        if ml == 0 or abs(mr - ml) / abs(ml) < min_change:
            continue
        # trend-vs-step: a straight line explaining the segment at least as well rejects the split
        tt = np.arange(len(seg))
        rss_line = np.sum((seg - np.polyval(np.polyfit(tt, seg, 1), tt)) ** 2)
        rss_step = np.sum((l - l.mean()) ** 2) + np.sum((r - r.mean()) ** 2)
        if rss_line <= rss_step:
            continue
        cps.append(s + c)
        stack.append((s, s + c))
        stack.append((s + c, e))
    return sorted(cps)


PEERS = {
    'pettitt_binseg (current)': pettitt_binseg,
    'perfherder_t': perfherder,
    'otava_w50': otava,
    'edivisive_perm': edivisive,
    'zscore': zscore,
}
