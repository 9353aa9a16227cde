"""Times the indicators endpoint on SQLite and PostgreSQL holding the same seeded surveys.

Started by scripts/bench-api.sh (`just bench-api`), once per database size. Standard
library only. The machine is shared and noisy, so every figure is a median (with the
p95 where the issue asks for it) of several runs, and every comparison is a ratio of
two figures measured in the same run.

Per store, against a release server started on that store's database:

1. Cold, warm, 304 (issue 5): `GET /api/v1/indicators?level=county&by_year=true`
   computed (each query string is a cache key of its own), cached, and revalidated;
   the baseline is the same sums in hand-written SQL, run by the store's own command-line
   client (sqlite3, psql) on the same database.
2. Cold after a write (issue 14): WRITES times, POST one new synthetic survey through
   the API, then GET the county x year indicators. During the survey season writes
   never stop, so this is what a bureau's read costs. Both requests are timed, the GET
   is checked to include the survey just written. The baseline of PostgreSQL's GET is
   SQLite's, measured in the same run (the issue's ratio).
3. Survey exports over HTTP (with --exports, SQLite only: issue 5's rows).
"""

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid

INDICATORS = [
    "film_recovery", "pesticide_count", "pesticide_kg", "straw_utilization",
    "yak_dung_utilization", "film_thickness", "degradable_share",
]
PASSWORD = "bench-password-2030"
ENDPOINT = "/api/v1/indicators?level=county&by_year=true"


def baseline_sql():
    """The grouping the endpoint does, written by hand: the same sums per county and year,
    over the surveys that count by default (`ReviewState::counts_by_default`)."""
    sums = []
    for p in INDICATORS:
        sums += [
            f"COUNT({p}_x)", f"SUM(weight * {p}_y)", f"SUM(weight * {p}_x)", f"SUM({p}_y)", f"SUM({p}_x)",
            f"SUM(weight * {p}_y * weight * {p}_y)", f"SUM(weight * {p}_x * weight * {p}_x)",
            f"SUM(weight * {p}_x * weight * {p}_y)",
        ]
    return (
        "SELECT county_code, survey_year, COUNT(*), " + ", ".join(sums)
        + " FROM survey_facts WHERE review_state NOT IN ('rejected', 'resubmitted')"
        + " GROUP BY county_code, survey_year ORDER BY county_code, survey_year;"
    )


def sql_seconds(store, target, runs):
    """Median wall time of the baseline query in the store's own client, by its own timer
    (sqlite3 `.timer`, psql `\\timing`), so process start-up is not counted."""
    if store == "sqlite":
        command, script, pattern = ["sqlite3", target], ".timer on\n", r"Run Time: real ([0-9.]+)"
        scale = 1.0
    else:
        command, script, pattern = ["psql", "-X", "-q", "-A", "-t", target], "\\timing on\n", r"Time: ([0-9.]+) ms"
        scale = 0.001
    times = []
    for _ in range(runs):
        out = subprocess.run(command, input=script + baseline_sql() + "\n", capture_output=True, text=True,
                             check=True).stdout
        times.append(float(re.search(pattern, out).group(1)) * scale)
    return statistics.median(times)


def percentile(samples, p):
    """Nearest-rank percentile, as server/examples/bench_ingest.rs computes it."""
    ordered = sorted(samples)
    return ordered[min(len(ordered), max(1, math.ceil(p * len(ordered)))) - 1]


def spread(samples):
    return {"median": statistics.median(samples), "p95": percentile(samples, 0.95), "samples": samples}


def request(url, token, etag=None, body=None):
    """One request; returns (seconds, status, etag, body). The clock covers the whole body."""
    headers = {"authorization": f"Bearer {token}"}
    if etag:
        headers["if-none-match"] = etag
    if body is not None:
        headers["content-type"] = "application/json"
    req = urllib.request.Request(url, headers=headers, data=body, method="POST" if body is not None else "GET")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req) as response:
            data = response.read()
            status, tag = response.status, response.headers.get("etag")
    except urllib.error.HTTPError as err:  # 304 and errors arrive as an HTTPError
        data, status, tag = err.read(), err.code, err.headers.get("etag")
    return time.perf_counter() - started, status, tag, data


def households(body):
    """The surveys an indicators answer counts, over all its groups."""
    return sum(group["households"] for group in json.loads(body)["groups"])


class Server:
    """A release server on `url`, with an admin account to sign in as."""

    def __init__(self, binary, url):
        self.binary, self.env = binary, dict(os.environ, DATABASE_URL=url, RUST_LOG="warn")
        self.data = tempfile.TemporaryDirectory()

    def __enter__(self):
        subprocess.run(
            [self.binary, "user", "add", "--username", "bench", "--role", "admin", "--password-stdin",
             "--data-dir", self.data.name],
            input=PASSWORD + "\n", text=True, env=self.env, capture_output=True, check=True,
        )
        self.process = subprocess.Popen(
            [self.binary, "serve", "--bind", "127.0.0.1:0", "--data-dir", self.data.name],
            env=self.env, stdout=subprocess.PIPE, text=True,
        )
        self.base = None
        for line in self.process.stdout:
            if line.startswith("agriwaste listening on "):
                self.base = line.split()[-1]
                break
        if self.base is None:
            raise RuntimeError("the server exited before listening")
        login = urllib.request.Request(
            f"{self.base}/api/v1/auth/login", method="POST", headers={"content-type": "application/json"},
            data=json.dumps({"username": "bench", "password": PASSWORD}).encode(),
        )
        with urllib.request.urlopen(login) as response:
            self.token = json.load(response)["token"]
        return self

    def __exit__(self, *_):
        self.process.terminate()
        self.process.wait()
        self.data.cleanup()


def cold_warm_conditional(server, runs):
    """Issue 5's rows: computed, cached and revalidated answers, no write in between."""
    endpoint = server.base + ENDPOINT
    cold = []
    for i in range(runs):
        # The year bound changes nothing in the result (every survey is from 2023 on),
        # but makes each request a cache key of its own.
        seconds, status, _, body = request(f"{endpoint}&from={2000 + i}", server.token)
        assert status == 200, status
        cold.append(seconds)
    groups = len(json.loads(body)["groups"])
    warm, conditional = [], []
    _, _, etag, _ = request(endpoint, server.token)
    for _ in range(max(20, runs)):
        seconds, status, _, _ = request(endpoint, server.token)
        assert status == 200, status
        warm.append(seconds)
        seconds, status, _, _ = request(endpoint, server.token, etag)
        assert status == 304, status
        conditional.append(seconds)
    return {"groups": groups, "cold_seconds": statistics.median(cold), "warm_seconds": statistics.median(warm),
            "conditional_seconds": statistics.median(conditional)}


def cold_after_write(server, surveys):
    """Issue 14's row: POST a new survey, then read the county x year indicators, per survey.
    Each GET must count exactly one survey more than the one before (it was computed after
    the write, not served stale) and carry a new ETag."""
    endpoint = server.base + ENDPOINT
    _, status, etag, body = request(endpoint, server.token)
    assert status == 200, status
    counted = households(body)
    posts, gets = [], []
    for survey in surveys:
        survey = dict(survey, id=str(uuid.uuid4()))  # a new survey every time, whatever the database holds
        seconds, status, _, answer = request(f"{server.base}/api/v1/surveys", server.token,
                                             body=json.dumps(survey).encode())
        assert status == 201, (status, answer[:300])
        posts.append(seconds)
        seconds, status, new_etag, body = request(endpoint, server.token)
        assert status == 200, status
        assert new_etag != etag, "the ETag did not move with the write"
        now_counted = households(body)
        assert now_counted == counted + 1, f"the answer counts {now_counted} surveys, expected {counted + 1}"
        gets.append(seconds)
        etag, counted = new_etag, now_counted
    return {"writes": len(surveys), "get": spread(gets), "post": spread(posts)}


def exports(server, count):
    figures = {}
    for fmt in ["csv", "ndjson", "xlsx"]:
        req = urllib.request.Request(f"{server.base}/api/v1/exports/surveys.{fmt}",
                                     headers={"authorization": f"Bearer {server.token}"})
        started = time.perf_counter()
        size = 0
        with urllib.request.urlopen(req) as response:
            while chunk := response.read(1 << 20):
                size += len(chunk)
        figures[fmt] = {"seconds": time.perf_counter() - started, "bytes": size}
    return {"surveys": count, "store": "sqlite", **figures}


def verdict(ok):
    return "met" if ok else "not met"


def ms(seconds):
    return f"{seconds * 1000:,.1f} ms" if seconds >= 0.01 else f"{seconds * 1000:.2f} ms"


def print_size(count, runs, stores):
    print(f"\nIndicators by county x year, {count:,} surveys (cold: median of {runs}; warm, 304: median of "
          f"{max(20, runs)}; baseline: the same sums in hand-written SQL, the store's own client)\n")
    print("| store | groups | hand-written SQL | cold | cold / SQL | warm | 304 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for store, f in stores.items():
        print(f"| {store} | {f['groups']} | {ms(f['sql_seconds'])} | {ms(f['cold_seconds'])} | "
              f"{f['cold_seconds'] / f['sql_seconds']:.2f}x | {ms(f['warm_seconds'])} | {ms(f['conditional_seconds'])} |")
    first = next(iter(stores.values()))["after_write"]["writes"]
    print(f"\nCold after a write, {count:,} surveys: {first} times POST /api/v1/surveys, then GET {ENDPOINT} "
          "(baseline of PostgreSQL: SQLite, same run; goal at 1 000 000: GET <= 50 ms, PostgreSQL/SQLite <= 1.5)\n")
    print("| store | GET median | GET p95 | POST median | POST p95 | GET vs SQLite |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    sqlite = stores.get("sqlite")
    for store, f in stores.items():
        g, p = f["after_write"]["get"], f["after_write"]["post"]
        ratio = f"{g['median'] / sqlite['after_write']['get']['median']:.2f}x" if sqlite else "—"
        print(f"| {store} | {ms(g['median'])} | {ms(g['p95'])} | {ms(p['median'])} | {ms(p['p95'])} | {ratio} |")
    goals = [f"{store} cold within 2x of its SQL ({verdict(f['cold_seconds'] <= 2 * f['sql_seconds'])}), "
             f"warm under 5 ms ({verdict(f['warm_seconds'] < 0.005)})" for store, f in stores.items()]
    print("\nGoals of issue 5: " + "; ".join(goals) + ".")
    if count >= 1_000_000:
        goals = [f"{store} GET after a write <= 50 ms ({verdict(f['after_write']['get']['median'] <= 0.050)})"
                 for store, f in stores.items()]
        if sqlite and "postgres" in stores:
            ratio = stores["postgres"]["after_write"]["get"]["median"] / sqlite["after_write"]["get"]["median"]
            goals.append(f"PostgreSQL/SQLite <= 1.5 ({verdict(ratio <= 1.5)})")
        print("Goals of issue 14: " + "; ".join(goals) + ".")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--surveys", type=int, required=True, help="surveys the databases were seeded with")
    parser.add_argument("--sqlite", help="SQLite file")
    parser.add_argument("--postgres", help="PostgreSQL URL of a database")
    parser.add_argument("--write-surveys", required=True,
                        help="surveys to POST, one JSON a line (bench_seed --print-surveys)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--exports", action="store_true", help="also time the survey exports (on SQLite)")
    parser.add_argument("--json", help="add the figures to this file, under this size (for `just bench`)")
    args = parser.parse_args()
    with open(args.write_surveys, encoding="utf-8") as f:
        writes = [json.loads(line) for line in f if line.strip()]
    targets = {}
    if args.sqlite:
        targets["sqlite"] = (f"sqlite://{os.path.abspath(args.sqlite)}?mode=rwc", os.path.abspath(args.sqlite))
    if args.postgres:
        targets["postgres"] = (args.postgres, args.postgres)
    stores, exported = {}, None
    for store, (url, cli_target) in targets.items():
        with Server(args.binary, url) as server:
            figures = cold_warm_conditional(server, args.runs)
            figures["after_write"] = cold_after_write(server, writes)
            if args.exports and store == "sqlite":
                exported = exports(server, args.surveys)
        figures["sql_seconds"] = sql_seconds(store, cli_target, args.runs)
        stores[store] = figures
    print_size(args.surveys, args.runs, stores)
    if exported:
        print(f"\nSurvey exports over HTTP, {args.surveys:,} surveys in SQLite (one run each)\n")
        print("| format | time | rows/s | size |")
        print("| --- | ---: | ---: | ---: |")
        for fmt in ["csv", "ndjson", "xlsx"]:
            e = exported[fmt]
            print(f"| {fmt} | {e['seconds']:.1f} s | {args.surveys / e['seconds']:,.0f} | {e['bytes'] / 1e6:.0f} MB |")
    if args.json:
        merged = {"sizes": {}}
        if os.path.exists(args.json):
            with open(args.json, encoding="utf-8") as f:
                merged = json.load(f)
        merged["sizes"][str(args.surveys)] = {"surveys": args.surveys, "runs": args.runs, "stores": stores}
        if exported:
            merged["exports"] = exported
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(merged, f, indent=2)


if __name__ == "__main__":
    main()
