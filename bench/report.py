"""Assembles `just bench`'s figures (scripts/bench.sh) into one markdown table with the
machine description, prints it and writes it to the report file.

Usage: python3 bench/report.py RESULTS_DIR REPORT_MD (standard library only)
"""

import datetime
import json
import os
import platform
import subprocess
import sys


def load(directory, name):
    with open(os.path.join(directory, name), encoding="utf-8") as f:
        return json.load(f)


def command(*args):
    try:
        return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as f:
        mem_kb = int(next(l for l in f if l.startswith("MemTotal")).split()[1])
    pretty = "Linux"
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release", encoding="utf-8") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    pretty = line.split("=", 1)[1].strip().strip('"')
    commit = command("git", "rev-parse", "--short=12", "HEAD")
    dirty = command("git", "status", "--porcelain", "--untracked-files=no")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "os": f"{pretty}, kernel {platform.release()}",
        "rustc": command("rustc", "--version"),
        "node": command("node", "--version"),
        "python": platform.python_version(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit + (" (with uncommitted changes)" if dirty and dirty != "unknown" else ""),
    }


def met(ok):
    return "yes" if ok else "**no**"


def ms(seconds):
    return f"{seconds * 1000:,.1f} ms" if seconds >= 0.01 else f"{seconds * 1000:.2f} ms"


def rate(per_second):
    return f"{per_second:,.0f} surveys/s"


def load_optional(directory, name):
    """A stage's figures, or None when that stage did not run (a partial run, e.g. only
    `scripts/bench-api.sh`): its rows are left out and the report says so."""
    path = os.path.join(directory, name)
    return load(directory, name) if os.path.exists(path) else None


# Issue 14's "before" figures (bench/results/latest.md when the issue was filed): the
# ingest must not get slower while the aggregates change.
INGEST_BATCH_BEFORE = 0.17
INGEST_BATCH_AIM = 0.30
SINGLE_P99_BEFORE_MS = 225.0
SINGLE_CLIENTS = 64
# Issue 14's goals for the indicators read right after a write.
AFTER_WRITE_GOAL_SECONDS = 0.050
AFTER_WRITE_GOAL_AT = 1_000_000
POSTGRES_RATIO_GOAL = 1.5


def ingest_rows(ingest):
    rows = []
    b, raw = ingest["batch"], ingest["raw"]
    share = b["per_second"] / raw["per_second"]
    rows.append((
        f"Ingest: batch sync through the API, {b['surveys']:,} surveys, {b['per_request']} per request, "
        f"{b['clients']} concurrent clients (release server, SQLite); request p50 {b['p50_ms']:.0f} ms, p99 {b['p99_ms']:.0f} ms",
        rate(b["per_second"]),
        f"{rate(raw['per_second'])}: the same {raw['rows']:,} rows ({', '.join(raw['tables'])}) with one prepared "
        "statement per table in one transaction, rusqlite, same schema and pragmas",
        f"{share:.0%} of raw",
        f"no worse than today ({INGEST_BATCH_BEFORE:.0%} of raw, issue 14); {INGEST_BATCH_AIM:.0%} of raw to aim at",
        met(share >= INGEST_BATCH_BEFORE) + (f" ({INGEST_BATCH_AIM:.0%}: {met(share >= INGEST_BATCH_AIM)})")))
    s = ingest.get("single")
    if s:
        clients = "" if s["clients"] == SINGLE_CLIENTS else f" (the issue's figure is at {SINGLE_CLIENTS} clients)"
        rows.append((
            f"Ingest: single-survey POSTs, {s['surveys']:,} surveys, {s['clients']} concurrent clients{clients}",
            f"{rate(s['per_second'])}; p50 {s['p50_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms",
            f"raw insert above: {rate(raw['per_second'])}",
            f"{s['per_second'] / raw['per_second']:.1%} of raw",
            f"p99 no worse than today ({SINGLE_P99_BEFORE_MS:.0f} ms at {SINGLE_CLIENTS} clients, issue 14)",
            met(s["p99_ms"] <= SINGLE_P99_BEFORE_MS and s["clients"] == SINGLE_CLIENTS)))
    return rows


def after_write_rows(size):
    """Issue 14: POST one survey, then GET the county x year indicators, per store, and
    PostgreSQL against SQLite."""
    n, stores = size["surveys"], size["stores"]
    at_goal_size = n >= AFTER_WRITE_GOAL_AT
    goal = f"≤ {AFTER_WRITE_GOAL_SECONDS * 1000:.0f} ms at 1 000 000 (issue 14)"
    rows = []
    sqlite = stores.get("sqlite")
    for store, f in stores.items():
        g = f["after_write"]["get"]
        what = (f"Aggregates: cold after a write, {n:,} surveys, {store_name(store)}: `GET /api/v1/indicators` "
                f"by county × year right after `POST /api/v1/surveys` of one new survey; median (p95) of "
                f"{f['after_write']['writes']}")
        ours = f"{ms(g['median'])} (p95 {ms(g['p95'])})"
        fast = g["median"] <= AFTER_WRITE_GOAL_SECONDS
        if store == "postgres" and sqlite:
            base = sqlite["after_write"]["get"]["median"]
            ratio = g["median"] / base
            rows.append((what, ours, f"{ms(base)}: SQLite, same request, same run",
                         f"PostgreSQL {ratio:.2f}× SQLite",
                         f"{goal}; PostgreSQL/SQLite ≤ {POSTGRES_RATIO_GOAL}",
                         met(fast and ratio <= POSTGRES_RATIO_GOAL) if at_goal_size else "— (goal at 1 000 000)"))
        else:
            sql = f["sql_seconds"]
            rows.append((what, ours, f"{ms(sql)}: the same sums in hand-written SQL, {cli_name(store)}",
                         f"{g['median'] / sql:.2f}× the SQL time", goal,
                         met(fast) if at_goal_size else "— (goal at 1 000 000)"))
    posts = "; ".join(
        f"{store_name(store)} {ms(f['after_write']['post']['median'])} (p95 {ms(f['after_write']['post']['p95'])})"
        for store, f in stores.items())
    ratio = "—"
    if sqlite and "postgres" in stores:
        ratio = (f"PostgreSQL {stores['postgres']['after_write']['post']['median'] / sqlite['after_write']['post']['median']:.2f}"
                 "× SQLite")
    rows.append((f"Aggregates: the `POST /api/v1/surveys` before each of those reads, {n:,} surveys, one client; "
                 "median (p95)", posts, "SQLite, same run" if ratio != "—" else "—", ratio, "report", "—"))
    return rows


def issue5_rows(size):
    """Issue 5: cold, warm and 304 against hand-written SQL, per store, no write between."""
    rows = []
    n = size["surveys"]
    for store, agg in size["stores"].items():
        sql = agg["sql_seconds"]
        sql_text = f"{ms(sql)}: the same sums in hand-written SQL, {cli_name(store)}"
        rows.append((
            f"Aggregates: `GET /api/v1/indicators` by county × year, cold (computed), {n:,} surveys in "
            f"{store_name(store)}, {agg['groups']} groups",
            ms(agg["cold_seconds"]), sql_text,
            f"{agg['cold_seconds'] / sql:.2f}× the SQL time", "≤ 2× (issue 5)", met(agg["cold_seconds"] <= 2 * sql)))
        rows.append((
            f"Aggregates: the same request, warm (cached), {store_name(store)}", ms(agg["warm_seconds"]),
            f"{ms(sql)} (SQL above)", f"{agg['warm_seconds'] / sql:.4f}× the SQL time", "< 5 ms (issue 5)",
            met(agg["warm_seconds"] < 0.005)))
        rows.append((
            f"Aggregates: the same request with If-None-Match (304), {store_name(store)}",
            ms(agg["conditional_seconds"]), f"{ms(sql)} (SQL above)",
            f"{agg['conditional_seconds'] / sql:.4f}× the SQL time", "report", "—"))
    return rows


def store_name(store):
    return {"sqlite": "SQLite", "postgres": "PostgreSQL"}.get(store, store)


def cli_name(store):
    return {"sqlite": "sqlite3 CLI", "postgres": "psql"}.get(store, store)


def analytics_rows(native, wasm):
    """Issue 6: the crate in WASM against the same crate native."""
    rows = []
    wasm_ratio = wasm["compute_ms"] / native["compute_ms"]
    rows.append((
        f"Analytics: all indicators by county × year, {native['surveys']:,} surveys in memory, WASM in Node {wasm['node']}",
        f"{wasm['compute_ms']:.1f} ms (WASM)", f"{native['compute_ms']:.1f} ms (native, same crate)",
        f"WASM {wasm_ratio:.2f}× native", "WASM ≤ 2× native (issue 6)", met(wasm_ratio <= 2)))
    e2e = wasm["end_to_end_ms"] / native["end_to_end_ms"]
    rows.append((
        "Analytics: the same from JSON text (parse included)", f"{wasm['end_to_end_ms']:.1f} ms (WASM)",
        f"{native['end_to_end_ms']:.1f} ms (native)", f"WASM {e2e:.2f}× native", "report", "—"))
    gz = wasm["wasm_gzip_bytes"] / 1024
    rows.append(("Analytics: WASM module size, gzipped", f"{gz:.0f} KB", "—", "—", "< 400 KB (issue 6)", met(gz < 400)))
    return rows


def dataframe_rows(facts, frames):
    """Issue 7: the native estimator against pandas and polars on the aggregates' facts."""
    rows = []
    native_compute = facts["compute_seconds"]
    what = f"{facts['rows']:,} facts rows of the aggregates database, {facts['groups']} county × year groups"
    for name in ["pandas", "polars"]:
        f = frames[name]
        speedup = f["compute_seconds"] / native_compute
        threads = f" ({f['threads']} threads)" if "threads" in f else ""
        rows.append((
            f"Analytics vs {name}: the indicator estimates (n, weighted and unweighted rate, SE, 95 % CI) of 7 indicators, "
            f"{what}; computation only, data in memory; results equal to native within {f['max_relative_difference']:.0e} relative",
            f"{ms(native_compute)} (native, 1 thread)", f"{ms(f['compute_seconds'])} ({name} {f['version']}{threads})",
            f"native {speedup:.2f}× faster" if speedup >= 1 else f"native {1 / speedup:.2f}× slower",
            "native faster than both", met(speedup > 1)))
    rows.append((
        f"Analytics: loading the same facts CSV ({facts['rows']:,} rows)", f"{facts['load_seconds']:.2f} s (native: csv crate into HouseholdFacts)",
        f"pandas read_csv {frames['pandas']['load_seconds']:.2f} s; polars read_csv {frames['polars']['load_seconds']:.2f} s",
        f"native/pandas {facts['load_seconds'] / frames['pandas']['load_seconds']:.2f}×; "
        f"native/polars {facts['load_seconds'] / frames['polars']['load_seconds']:.2f}×", "report", "—"))
    return rows


def lines_of(directory, name):
    """The non-empty lines of a file `scripts/bench.sh` writes (none in a partial run)."""
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def postgres_version():
    """The PostgreSQL server the aggregates ran on (scripts/bench-api.sh's BENCH_PG)."""
    server = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432") + "/postgres"
    return "PostgreSQL " + command("psql", "-X", "-A", "-t", server, "-c", "SHOW server_version")


def main():
    results, report = sys.argv[1], sys.argv[2]
    ingest = load_optional(results, "ingest.json")
    agg = load_optional(results, "aggregates.json")
    native = load_optional(results, "analytics-native.json")
    wasm = load_optional(results, "analytics-wasm.json")
    facts = load_optional(results, "facts-native.json")
    frames = load_optional(results, "dataframes.json")
    missing = [name for name, figures in [
        ("ingest", ingest), ("aggregates", agg), ("analytics", native and wasm), ("dataframes", facts and frames),
    ] if not figures]

    rows = []
    if ingest:
        rows += ingest_rows(ingest)
    if agg:
        sizes = sorted(agg["sizes"].values(), key=lambda s: s["surveys"])
        for size in sizes:
            rows += after_write_rows(size)
        rows += issue5_rows(sizes[-1])
    if native and wasm:
        rows += analytics_rows(native, wasm)
    if facts and frames:
        rows += dataframe_rows(facts, frames)
    if agg and "exports" in agg:
        ex = agg["exports"]
        for fmt in ["csv", "ndjson", "xlsx"]:
            e = ex[fmt]
            rows.append((
                f"Exports: `GET /api/v1/exports/surveys.{fmt}`, {ex['surveys']:,} surveys in SQLite, streamed over HTTP",
                f"{ex['surveys'] / e['seconds']:,.0f} rows/s ({e['seconds']:.1f} s, {e['bytes'] / 1e6:.0f} MB)",
                "—", "—", "report", "—"))
    web_file = os.path.join(results, "web.json")
    if os.path.exists(web_file):
        web = load(results, "web.json")
        data, facts_gz = web["data_wire_bytes"], web["facts_gzip_bytes"]
        rows.append((
            f"Dashboard: what it downloads after sign-in, {web['surveys']:,} surveys (Chromium's encoded bytes on the wire: "
            f"`/api/v1/sums` with {web['sums_rows']} county × year × review-class rows, regions, targets, groups)",
            f"{data / 1024:,.1f} KB (the sums {web['sums_gzip_bytes'] / 1024:,.1f} KB gzip, {web['sums_json_bytes'] / 1024:,.1f} KB JSON)",
            f"{facts_gz / 1024:,.1f} KB: the household facts (`GET /api/v1/facts`, gzip) the page downloaded before, "
            f"{web['facts_json_bytes'] / 1e6:,.1f} MB JSON",
            f"{facts_gz / data:,.0f}× less", "≤ 200 KB (issue 14)", met(data <= 200 * 1024)))
        rows.append((
            f"Dashboard: time to first chart in Chromium {web['chromium']} (navigation → every chart drawn), median of {web['loads']} loads",
            ms(web["first_chart_ms"] / 1000),
            f"{ms(web['indicators_cold_ms'] / 1000)}: one changed filter asked of `/api/v1/indicators`, cold",
            f"{web['first_chart_ms'] / web['indicators_cold_ms']:.2f}× that request", "≤ 1 s (issue 14)",
            met(web["first_chart_ms"] <= 1000)))
        rows.append((
            "Dashboard: the whole first visit (page, scripts, WASM module, data), Chromium's count",
            f"{web['first_visit_wire_bytes'] / 1024:,.1f} KB", "—", "—", "report", "—"))
        rows.append((
            "Dashboard: recompute after a filter change (WASM figures, four charts, tables, board)",
            ms(web["recompute_ms"] / 1000), f"{ms(web['indicators_cold_ms'] / 1000)} (the request above)",
            f"{web['indicators_cold_ms'] / web['recompute_ms']:.0f}× faster", "< 100 ms (issue 6)",
            met(web["recompute_ms"] < 100)))

    if os.path.exists(os.path.join(results, "bytes.json")):
        for path, b in load(results, "bytes.json").items():
            c, i = b["compressed"], b["identity"]
            rows.append((
                f"Bytes on the wire: first visit to `{path}` before sign-in, cold cache, as Chromium counts them "
                "(Resource Timing transfer sizes of the page and its service worker)",
                f"{c['total'] / 1024:,.1f} KB ({', '.join(c['encodings'])})",
                f"{i['total'] / 1024:,.1f} KB: the same visit with `Accept-Encoding: identity`",
                f"{b['ratio']:.1%} of identity", f"≤ {b['goal_bytes'] / 1024:.0f} KB (issue 14)", met(b["met"])))

    m = machine()
    loads = [line.split() for line in lines_of(results, "load.txt")]
    commands = lines_of(results, "commands.txt")
    env = lines_of(results, "env.txt")
    sqlite_version = f"SQLite {ingest['sqlite_version']} (bundled, as the server links it)" if ingest else "SQLite bundled"

    lines = [
        "# Benchmarks: latest run",
        "",
        "Written by `just bench` (scripts/bench.sh, bench/report.py); every figure below comes from",
        "the one run described here, and every ratio compares two figures measured in it. The",
        "machine was shared with other builds while it ran: the load averages below say how busy",
        "it was, and absolute figures are noisy; the ratios are the point.",
        "",
        *([f"**A partial run:** these stages did not run, and their rows are missing: {', '.join(missing)}.", ""]
          if missing else []),
        "| metric | ours | baseline | ratio | goal | met? |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines += [f"| {' | '.join(r)} |" for r in rows]
    lines += [
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, {m['cores']} cores",
        f"- RAM: {m['ram']}",
        f"- OS: {m['os']}",
        f"- Toolchain: {m['rustc']}; Node {m['node']}; Python {m['python']}; {sqlite_version}; {postgres_version()}",
        f"- Date: {m['date']}; git commit {m['commit']}",
        "- Load average (1, 5, 15 min) at each stage's start:",
        "",
        "| stage | load 1 | load 5 | load 15 | time (UTC) |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    lines += [f"| {' | '.join(l)} |" for l in loads]
    lines += [
        "",
        "## How it was run",
        "",
        "`just bench` ran these commands (sizes from the environment: "
        + (", ".join(f"`{e}`" for e in env) if env else "the defaults") + "):",
        "",
        "```",
        *commands,
        "```",
        "",
        "Notes:",
        "",
        "- Ingest: the API figure is wall time for all batches, client and server on the same machine;"
        " the raw baseline inserts exactly the rows the API wrote for those surveys (read back from the"
        " API's database) into a fresh database migrated by the server's migrations, timed from BEGIN"
        " to COMMIT. Both commit with `synchronous = FULL` in WAL mode.",
        "- Single POSTs run against a second fresh server; latency is per request as the client sees it.",
        "- Aggregates: each size is seeded once per store through the storage code"
        " (`Storage::create_surveys`, so the rows, facts, versions and audit entries are the server's"
        " own), the same synthetic surveys in SQLite (bench/out/) and PostgreSQL (database"
        " agriwaste_bench_COUNT on the same machine), kept between runs; each run works on a copy."
        " Cold requests differ in a query parameter that changes no result, so each is computed."
        " Cold after a write: one client POSTs a new synthetic survey, then GETs the county × year"
        " indicators, which must count that survey (the ETag moves and the household count grows by"
        " one); both requests are timed, the server on its default settings.",
        "- pandas/polars: the same eight sums per indicator and group, then the estimator of"
        " analytics-wasm/src/estimate.rs (t quantile from scipy); the native figure is"
        " `indicators::compute`, which also sorts each group by survey id (bit-identical results in"
        " any input order), names the regions and computes the quality flags (film-per-mu medians"
        " and outliers). Every estimate is checked against native to 1e-9 relative before the"
        " times are reported.",
    ]
    text = "\n".join(lines) + "\n"
    with open(report, "w", encoding="utf-8") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
