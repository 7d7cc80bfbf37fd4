"""False CPs per 100 points of the final method on pure noise (no change): Gaussian, Student-t(3),
AR(1) rho=0.5, lognormal-ish skew. Used to check the calibration of the MOSUM thresholds."""
import sys; sys.path.insert(0, '/work/cp-research')
import numpy as np, method
def gen(kind, n, rng):
    if kind == 'gauss': e = rng.standard_normal(n)
    elif kind == 't3': e = rng.standard_t(3, n) / np.sqrt(3)
    elif kind == 'ar0.5':
        z = rng.standard_normal(n); e = np.zeros(n)
        for i in range(1, n): e[i] = 0.5 * e[i-1] + z[i]
        e *= np.sqrt(0.75)
    elif kind == 'skew': e = (rng.lognormal(0, 0.5, n) - 1.13) / 0.6
    return 100 * (1 + 0.03 * e)
if __name__ == '__main__':
    rng = np.random.default_rng(7)
    for kind in ('gauss', 't3', 'ar0.5', 'skew'):
        row = []
        for n, reps in ((20, 300), (50, 200), (200, 60), (1000, 15), (5000, 4)):
            fp = sum(len(method.detect(gen(kind, n, rng))) for _ in range(reps))
            fp0 = sum(len(method.detect(gen(kind, n, rng), min_change=0.0)) for _ in range(reps))
            row.append('n=%d: %.3f (min_change 0: %.3f)' % (n, 100.0 * fp / (n * reps), 100.0 * fp0 / (n * reps)))
        print(kind, ' | '.join(row), flush=True)
