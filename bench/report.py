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


def main():
    results, report = sys.argv[1], sys.argv[2]
    ingest = load(results, "ingest.json")
    agg = load(results, "aggregates.json")
    native = load(results, "analytics-native.json")
    wasm = load(results, "analytics-wasm.json")
    facts = load(results, "facts-native.json")
    frames = load(results, "dataframes.json")

    rows = []
    b, raw = ingest["batch"], ingest["raw"]
    share = b["per_second"] / raw["per_second"]
    rows.append((
        f"Ingest: batch sync through the API, {b['surveys']:,} surveys, {b['per_request']} per request, "
        f"{b['clients']} concurrent clients (release server, SQLite); request p50 {b['p50_ms']:.0f} ms, p99 {b['p99_ms']:.0f} ms",
        rate(b["per_second"]),
        f"{rate(raw['per_second'])}: the same {raw['rows']:,} rows ({', '.join(raw['tables'])}) with one prepared "
        "statement per table in one transaction, rusqlite, same schema and pragmas",
        f"{share:.0%} of raw", "≥ 30 % of raw", met(share >= 0.30)))
    s = ingest.get("single")
    if s:
        rows.append((
            f"Ingest: single-survey POSTs, {s['surveys']:,} surveys, {s['clients']} concurrent clients",
            f"{rate(s['per_second'])}; p50 {s['p50_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms",
            f"raw insert above: {rate(raw['per_second'])}",
            f"{s['per_second'] / raw['per_second']:.1%} of raw", "report (no goal set)", "—"))
    sql = agg["sql_seconds"]
    n_agg = f"{agg['surveys']:,} surveys, {agg['groups']} groups"
    rows.append((
        f"Aggregates: `GET /api/v1/indicators` by county × year, cold (computed), {n_agg}",
        ms(agg["cold_seconds"]), f"{ms(sql)}: the same sums in hand-written SQL, sqlite3 CLI",
        f"{agg['cold_seconds'] / sql:.2f}× the SQL time", "≤ 2× (issue 5)", met(agg["cold_seconds"] <= 2 * sql)))
    rows.append((
        "Aggregates: the same request, warm (cached)", ms(agg["warm_seconds"]), f"{ms(sql)} (SQL above)",
        f"{agg['warm_seconds'] / sql:.4f}× the SQL time", "< 5 ms (issue 5)", met(agg["warm_seconds"] < 0.005)))
    rows.append((
        "Aggregates: the same request with If-None-Match (304)", ms(agg["conditional_seconds"]), f"{ms(sql)} (SQL above)",
        f"{agg['conditional_seconds'] / sql:.4f}× the SQL time", "report", "—"))
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
    for fmt, e in agg["exports"].items():
        rows.append((
            f"Exports: `GET /api/v1/exports/surveys.{fmt}`, {agg['surveys']:,} surveys, streamed over HTTP",
            f"{agg['surveys'] / e['seconds']:,.0f} rows/s ({e['seconds']:.1f} s, {e['bytes'] / 1e6:.0f} MB)",
            "—", "—", "report", "—"))

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
    with open(os.path.join(results, "load.txt"), encoding="utf-8") as f:
        loads = [line.split() for line in f if line.strip()]
    with open(os.path.join(results, "commands.txt"), encoding="utf-8") as f:
        commands = [line.rstrip("\n") for line in f if line.strip()]
    with open(os.path.join(results, "env.txt"), encoding="utf-8") as f:
        env = [line.strip() for line in f if line.strip()]

    lines = [
        "# Benchmarks: latest run",
        "",
        "Written by `just bench` (scripts/bench.sh, bench/report.py); every figure below comes from",
        "the one run described here, and every ratio compares two figures measured in it. The",
        "machine was shared with other builds while it ran: the load averages below say how busy",
        "it was, and absolute figures are noisy; the ratios are the point.",
        "",
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
        f"- Toolchain: {m['rustc']}; Node {m['node']}; Python {m['python']}; SQLite {ingest['sqlite_version']} (bundled, as the server links it)",
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
        "- Aggregates: the database is seeded once through the storage code (`Storage::create_surveys`,"
        " so the rows, facts, versions and audit entries are the server's own) and kept under"
        " bench/out/; cold requests differ in a query parameter that changes no result, so each is"
        " computed.",
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
