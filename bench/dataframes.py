"""The indicator computation in pandas and in polars, as an analyst would write it, on the
facts CSV that server/examples/bench_facts.rs exported and computed natively.

Usage: python bench/dataframes.py FACTS_CSV NATIVE_JSON OUT_JSON [RUNS]

For each library: the load (read_csv) is timed once, the computation (group by county and
year; per indicator n, the weighted sums, the weighted ratio, the unweighted ratio, its
Taylor-linearized standard error and 95 % Student-t interval, the formulas of
analytics-wasm/src/estimate.rs) RUNS times, median reported. Every number is then checked
against the native results to 1e-9 relative, so the three compute the same thing; a
mismatch fails the benchmark. Runs in the venv made by scripts/bench-venv.sh
(bench/requirements.txt).
"""

import json
import math
import statistics
import sys
import time

import numpy as np
import pandas as pd
import polars as pl
from scipy import stats

INDICATORS = [
    "film_recovery", "pesticide_count", "pesticide_kg", "straw_utilization",
    "yak_dung_utilization", "film_thickness", "degradable_share",
]
KEYS = ["county_code", "survey_year"]
SUMS = ["n", "wy", "wx", "y", "x", "wwyy", "wwxx", "wwxy"]
TOLERANCE = 1e-9


def finish(n, wy, wx, y, x, wwyy, wwxx, wwxy):
    """Rates, SE and interval from the eight sums (numpy arrays), as estimate.rs does."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(wx != 0, wy / wx, np.nan)
        unweighted = np.where(x != 0, y / x, np.nan)
        residual = np.maximum(wwyy - 2.0 * rate * wwxy + rate * rate * wwxx, 0.0)
        variance = n / (n - 1.0) * residual / (wx * wx)
        se = np.where(n >= 2, np.sqrt(variance), np.nan)
        t = np.where(n >= 2, stats.t.ppf(0.975, np.maximum(n - 1.0, 1.0)), np.nan)
    return {"rate": rate, "unweighted_rate": unweighted, "se": se,
            "ci_low": rate - t * se, "ci_high": rate + t * se}


def pandas_compute(df):
    w = df["weight"]
    parts = {}
    for p in INDICATORS:
        y, x = df[f"{p}_y"], df[f"{p}_x"]
        wy, wx = w * y, w * x
        parts[f"{p}_n"] = x.notna().astype("int64")
        parts[f"{p}_wy"], parts[f"{p}_wx"] = wy, wx
        parts[f"{p}_y"], parts[f"{p}_x"] = y, x
        parts[f"{p}_wwyy"], parts[f"{p}_wwxx"], parts[f"{p}_wwxy"] = wy * wy, wx * wx, wx * wy
    frame = pd.DataFrame(parts)
    frame["county_code"], frame["survey_year"] = df["county_code"], df["survey_year"]
    sums = frame.groupby(KEYS, sort=True).sum()
    out = {"county_code": sums.index.get_level_values(0).to_numpy(),
           "survey_year": sums.index.get_level_values(1).to_numpy()}
    for p in INDICATORS:
        columns = [sums[f"{p}_{s}"].to_numpy(dtype="float64") for s in SUMS]
        out[p] = {"n": columns[0], "wy": columns[1], "wx": columns[2], **finish(*columns)}
    return out


def polars_compute(df):
    w = pl.col("weight")
    aggregations = []
    for p in INDICATORS:
        y, x = pl.col(f"{p}_y"), pl.col(f"{p}_x")
        wy, wx = w * y, w * x
        aggregations += [
            x.count().alias(f"{p}_n"), wy.sum().alias(f"{p}_wy"), wx.sum().alias(f"{p}_wx"),
            y.sum().alias(f"{p}_y"), x.sum().alias(f"{p}_x"), (wy * wy).sum().alias(f"{p}_wwyy"),
            (wx * wx).sum().alias(f"{p}_wwxx"), (wx * wy).sum().alias(f"{p}_wwxy"),
        ]
    sums = df.group_by(KEYS).agg(aggregations).sort(KEYS)
    out = {"county_code": sums["county_code"].to_numpy(), "survey_year": sums["survey_year"].to_numpy()}
    for p in INDICATORS:
        columns = [sums[f"{p}_{s}"].cast(pl.Float64).to_numpy() for s in SUMS]
        out[p] = {"n": columns[0], "wy": columns[1], "wx": columns[2], **finish(*columns)}
    return out


def timed(runs, work):
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times, result


def close(ours, theirs):
    if theirs is None:
        return ours is None or math.isnan(ours)
    if ours is None or math.isnan(ours):
        return False
    return abs(ours - theirs) <= TOLERANCE * max(abs(theirs), 1e-300) or ours == theirs


def check(name, result, native):
    """Every group and number equal to the native one; returns the largest relative gap."""
    groups = native["results"]
    if len(result["county_code"]) != len(groups):
        raise SystemExit(f"{name}: {len(result['county_code'])} groups, native {len(groups)}")
    worst = 0.0
    for i, group in enumerate(groups):
        if (str(result["county_code"][i]), int(result["survey_year"][i])) != (group["county_code"], group["survey_year"]):
            raise SystemExit(f"{name}: group {i} is {result['county_code'][i]}/{result['survey_year'][i]}")
        for p in INDICATORS:
            expected = group["indicators"][p]
            for field in ["n", "wy", "wx", "rate", "unweighted_rate", "se", "ci_low", "ci_high"]:
                ours = float(result[p][field][i])
                theirs = expected[field]
                if not close(ours, theirs):
                    raise SystemExit(f"{name}: {group['county_code']}/{group['survey_year']} {p}.{field} = {ours!r}, native {theirs!r}")
                if theirs not in (None, 0):
                    worst = max(worst, abs(ours - theirs) / abs(theirs))
    return worst


def main():
    csv_path, native_path, out_path = sys.argv[1:4]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    with open(native_path, encoding="utf-8") as f:
        native = json.load(f)
    text_columns = {"survey_id": str, "county_code": str}
    summary = {"rows": native["rows"], "groups": native["groups"], "runs": runs}

    started = time.perf_counter()
    df = pd.read_csv(csv_path, dtype=text_columns)
    load = time.perf_counter() - started
    compute, times, result = timed(runs, lambda: pandas_compute(df))
    summary["pandas"] = {"version": pd.__version__, "load_seconds": load, "compute_seconds": compute,
                         "compute_runs": times, "max_relative_difference": check("pandas", result, native)}
    del df

    started = time.perf_counter()
    df = pl.read_csv(csv_path, schema_overrides={"survey_id": pl.String, "county_code": pl.String})
    load = time.perf_counter() - started
    compute, times, result = timed(runs, lambda: polars_compute(df))
    summary["polars"] = {"version": pl.__version__, "threads": pl.thread_pool_size(), "load_seconds": load,
                         "compute_seconds": compute, "compute_runs": times,
                         "max_relative_difference": check("polars", result, native)}

    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
    for name in ["pandas", "polars"]:
        s = summary[name]
        print(f"{name} {s['version']}: load {s['load_seconds']:.2f} s, compute {s['compute_seconds'] * 1000:.1f} ms "
              f"(median of {runs}); equal to native within {s['max_relative_difference']:.1e} relative")


if __name__ == "__main__":
    main()
