"""Times the indicators endpoint against a hand-written SQL baseline on the same SQLite file.

Started by scripts/bench-api.sh (`just bench-api`). Standard library only. The machine is
shared and noisy, so every figure is the median of several runs and the comparison is a
ratio measured in the same run.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import tempfile
import time
import urllib.request

INDICATORS = [
    "film_recovery", "pesticide_count", "pesticide_kg", "straw_utilization",
    "yak_dung_utilization", "film_thickness", "degradable_share",
]


def baseline_sql():
    """The grouping the endpoint does, written by hand: the same sums per county and year."""
    sums = []
    for p in INDICATORS:
        sums += [
            f"COUNT({p}_x)", f"SUM(weight * {p}_y)", f"SUM(weight * {p}_x)", f"SUM({p}_y)", f"SUM({p}_x)",
            f"SUM(weight * {p}_y * weight * {p}_y)", f"SUM(weight * {p}_x * weight * {p}_x)",
            f"SUM(weight * {p}_x * weight * {p}_y)",
        ]
    return (
        "SELECT county_code, survey_year, COUNT(*), " + ", ".join(sums)
        + " FROM survey_facts WHERE review_state <> 'rejected' GROUP BY county_code, survey_year"
        + " ORDER BY county_code, survey_year;"
    )


def sqlite_cli_seconds(database, runs):
    """Median wall time of the baseline query in the sqlite3 CLI (its own timer)."""
    script = ".timer on\n" + baseline_sql() + "\n"
    times = []
    for _ in range(runs):
        out = subprocess.run(["sqlite3", database], input=script, capture_output=True, text=True, check=True).stdout
        match = re.search(r"Run Time: real ([0-9.]+)", out)
        times.append(float(match.group(1)))
    return statistics.median(times)


def request(url, token, etag=None):
    headers = {"authorization": f"Bearer {token}"}
    if etag:
        headers["if-none-match"] = etag
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as response:
            body = response.read()
            status, tag = response.status, response.headers.get("etag")
    except urllib.error.HTTPError as err:  # 304 arrives as an HTTPError
        body, status, tag = b"", err.code, err.headers.get("etag")
    return time.perf_counter() - started, status, tag, body


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--surveys", type=int, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", help="also write the figures to this file (for `just bench`)")
    args = parser.parse_args()
    url = f"sqlite://{os.path.abspath(args.database)}?mode=rwc"
    env = dict(os.environ, DATABASE_URL=url, RUST_LOG="warn")
    with tempfile.TemporaryDirectory() as data:
        subprocess.run(
            [args.binary, "user", "add", "--username", "bench", "--role", "admin", "--password-stdin", "--data-dir", data],
            input="bench-password-2030\n", text=True, env=env, capture_output=True,
        )
        server = subprocess.Popen(
            [args.binary, "serve", "--bind", "127.0.0.1:0", "--data-dir", data],
            env=env, stdout=subprocess.PIPE, text=True,
        )
        try:
            base = None
            for line in server.stdout:
                if line.startswith("agriwaste listening on "):
                    base = line.split()[-1]
                    break
            login = urllib.request.Request(
                f"{base}/api/v1/auth/login", method="POST", headers={"content-type": "application/json"},
                data=json.dumps({"username": "bench", "password": "bench-password-2030"}).encode(),
            )
            with urllib.request.urlopen(login) as response:
                token = json.load(response)["token"]
            endpoint = f"{base}/api/v1/indicators?level=county&by_year=true"
            # Cold: each query string is a cache key of its own (the year bound changes
            # nothing in the result: every survey is from 2023 on).
            cold = []
            for i in range(args.runs):
                seconds, status, _, body = request(f"{endpoint}&from={2000 + i}", token)
                assert status == 200, status
                cold.append(seconds)
            groups = len(json.loads(body)["groups"])
            warm, conditional = [], []
            _, _, etag, _ = request(endpoint, token)
            for _ in range(max(20, args.runs)):
                seconds, status, _, _ = request(endpoint, token)
                assert status == 200
                warm.append(seconds)
                seconds, status, _, _ = request(endpoint, token, etag)
                assert status == 304, status
                conditional.append(seconds)
            exports = {}
            for fmt in ["csv", "ndjson", "xlsx"]:
                req = urllib.request.Request(f"{base}/api/v1/exports/surveys.{fmt}", headers={"authorization": f"Bearer {token}"})
                started = time.perf_counter()
                size = 0
                with urllib.request.urlopen(req) as response:
                    while chunk := response.read(1 << 20):
                        size += len(chunk)
                exports[fmt] = (time.perf_counter() - started, size)
        finally:
            server.terminate()
            server.wait()
    sql = sqlite_cli_seconds(args.database, args.runs)
    cold_s, warm_s, cond_s = statistics.median(cold), statistics.median(warm), statistics.median(conditional)
    print(f"\nIndicators by county x year, {args.surveys:,} surveys in SQLite, {groups} groups (medians of {args.runs}+ runs)\n")
    print(f"| measurement | time | vs raw SQL |")
    print(f"| --- | ---: | ---: |")
    print(f"| hand-written SQL, sqlite3 CLI | {sql * 1000:.1f} ms | 1.00x |")
    print(f"| GET /api/v1/indicators, cold (computed) | {cold_s * 1000:.1f} ms | {cold_s / sql:.2f}x |")
    print(f"| GET /api/v1/indicators, warm (cached) | {warm_s * 1000:.2f} ms | {warm_s / sql:.3f}x |")
    print(f"| GET /api/v1/indicators, If-None-Match (304) | {cond_s * 1000:.2f} ms | {cond_s / sql:.3f}x |")
    print(f"\nSurvey exports over HTTP, {args.surveys:,} surveys (one run each)\n")
    print("| format | time | rows/s | size |")
    print("| --- | ---: | ---: | ---: |")
    for fmt, (seconds, size) in exports.items():
        print(f"| {fmt} | {seconds:.1f} s | {args.surveys / seconds:,.0f} | {size / 1e6:.0f} MB |")
    if args.json:
        figures = {
            "surveys": args.surveys, "groups": groups, "runs": args.runs, "sql_seconds": sql,
            "cold_seconds": cold_s, "warm_seconds": warm_s, "conditional_seconds": cond_s,
            "exports": {fmt: {"seconds": seconds, "bytes": size} for fmt, (seconds, size) in exports.items()},
        }
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(figures, f, indent=2)
    print(f"\nGoals: cold within 2x of raw SQL ({'met' if cold_s <= 2 * sql else 'not met'}); "
          f"warm under 5 ms ({'met' if warm_s < 0.005 else 'not met'}).")


if __name__ == "__main__":
    main()
