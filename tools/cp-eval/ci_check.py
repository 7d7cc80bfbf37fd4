"""Coverage of the reported 95% shift CI (ci_low, ci_high) on synthetic single steps."""
import sys; sys.path.insert(0, '/work/cp-research')
import numpy as np, method
rng = np.random.default_rng(11)
for kind in ('gauss', 'ar0.5', 't3'):
    cov = found = 0
    reps = 200
    for _ in range(reps):
        n = 120
        if kind == 'gauss': e = rng.standard_normal(n)
        elif kind == 't3': e = rng.standard_t(3, n) / np.sqrt(3)
        else:
            z = rng.standard_normal(n); e = np.zeros(n)
            for i in range(1, n): e[i] = 0.5 * e[i - 1] + z[i]
            e *= np.sqrt(0.75)
        x = 100 + 2.0 * e
        x[60:] += 5.0
        out = [d for d in method.detect(x) if abs(d['index'] - 60) <= 5]
        if out:
            found += 1
            cov += out[0]['ci_low'] <= 5.0 <= out[0]['ci_high']
    print('%-6s step 5 (2.5 sd) at 60/120: found %d/%d, CI covers true shift %d/%d' % (kind, found, reps, cov, found))
