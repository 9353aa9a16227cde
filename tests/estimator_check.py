#!/usr/bin/env python3
"""An independent check of the Rust weighted ratio estimator (analytics-wasm/src/estimate.rs).

Usage: python3 tests/estimator_check.py FIXTURE.json

The fixture (written by analytics-wasm/tests/estimator_python.rs) holds groups of
household observations (y, x, w) and what the Rust crate estimated for each. This script
recomputes every estimate from REFERENCE.md's formulas with its own code, Python's
standard library only, and a Student t quantile found by a different method from the
crate's: the closed-form distribution function for integer degrees of freedom
(Abramowitz & Stegun 26.7.3 and 26.7.4) inverted by bisection, where the crate inverts
the regularized incomplete beta function by Newton steps. It first checks itself
against REFERENCE.md's worked example (checked there against samplics).

Exit status 0 when everything agrees to 1e-9 (relative), 1 otherwise.
"""

import json
import math
import sys

TOLERANCE = 1e-9


def t_cdf(t, df):
    """P(T <= t) for integer df >= 1 (A&S 26.7.3 odd, 26.7.4 even)."""
    theta = math.atan(abs(t) / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    s = math.sin(theta)
    if df % 2 == 1:
        total, term = 0.0, math.cos(theta)
        for k in range(1, (df - 1) // 2 + 1):
            if k > 1:
                term *= c2 * (2 * k - 2) / (2 * k - 1)
            total += term
        a = (2 / math.pi) * (theta + (s * total if df > 1 else 0.0))
    else:
        total, term = 1.0, 1.0
        for k in range(1, df // 2):
            term *= c2 * (2 * k - 1) / (2 * k)
            total += term
        a = s * total
    return 0.5 + a / 2 if t >= 0 else 0.5 - a / 2


def t_quantile(p, df):
    """The p quantile (p > 0.5) of Student t with integer df, by bisection."""
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        lo, hi = hi, hi * 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def estimate(observations):
    """Weighted ratio, Taylor-linearized SE and 95 % t interval (REFERENCE.md)."""
    n = len(observations)
    wy = math.fsum(w * y for y, x, w in observations)
    wx = math.fsum(w * x for y, x, w in observations)
    sy = math.fsum(y for y, x, w in observations)
    sx = math.fsum(x for y, x, w in observations)
    out = {"n": n, "rate": None, "unweighted_rate": sy / sx if sx != 0 else None,
           "se": None, "ci_low": None, "ci_high": None}
    if wx == 0:
        return out
    r = wy / wx
    out["rate"] = r
    if n >= 2:
        z = [w * (y - r * x) / wx for y, x, w in observations]
        mean = math.fsum(z) / n
        var = n / (n - 1) * math.fsum((zi - mean) ** 2 for zi in z)
        se = math.sqrt(var)
        half = t_quantile(0.975, n - 1) * se
        out.update(se=se, ci_low=r - half, ci_high=r + half)
    return out


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b))


def check(name, observations, expected, failures):
    mine = estimate(observations)
    bad = [key for key in ("n", "rate", "unweighted_rate", "se", "ci_low", "ci_high")
           if not close(mine[key], expected.get(key))]
    if bad:
        failures.append(f"{name}: " + ", ".join(f"{k} python {mine[k]!r} vs {expected.get(k)!r}" for k in bad))


def reference_example(failures):
    """REFERENCE.md's worked example: (w, x, y) per household."""
    cases = {
        "film": ([(10, 40, 30), (30, 10, 10), (20, 50, 20)],
                 dict(n=3, unweighted_rate=0.6, rate=0.588235294118, se=0.168771604128,
                      ci_low=-0.137930309, ci_high=1.314400897)),
        "packaging": ([(10, 20, 15), (30, 10, 12)],
                      dict(n=2, unweighted_rate=0.9, rate=1.02, se=0.216,
                           ci_low=-1.724540223, ci_high=3.764540223)),
        "straw": ([(10, 1000, 800), (30, 500, 450)],
                  dict(n=2, unweighted_rate=0.833333333333, rate=0.86, se=0.048,
                       ci_low=0.250102173, ci_high=1.469897827)),
        "dung": ([(10, 10000, 8000), (30, 5000, 5000), (20, 20000, 15000)],
                 dict(n=3, unweighted_rate=0.8, rate=0.815384615385, se=0.071829542748,
                      ci_low=0.506327037, ci_high=1.124442194)),
    }
    # The reference prints 9 to 12 decimals, so 1e-9 holds there too.
    for name, (rows, expected) in cases.items():
        check(f"REFERENCE {name}", [(y, x, w) for w, x, y in rows], expected, failures)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    failures = []
    reference_example(failures)
    with open(sys.argv[1], encoding="utf-8") as f:
        fixture = json.load(f)
    for case in fixture["cases"]:
        check(case["name"], [tuple(o) for o in case["observations"]], case["rust"], failures)
    total = 4 + len(fixture["cases"])
    for failure in failures:
        print("FAIL", failure)
    print(f"{total - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
