// The dashboard benchmark of issue 6 (`just bench-web`): the release server on a SQLite
// database of BENCH_SURVEYS synthetic surveys (default 100 000, seeded by
// scripts/bench-web.sh through the storage code), Debian's Chromium via playwright-core.
//
// Prints, as medians of several runs read from the page's Performance API:
//   - time to first chart (navigation start → sums fetched, parsed into WASM, every
//     chart drawn), split into fetch and parse;
//   - time to recompute after a filter change (WASM figures, four charts, tables, board);
//   - what the dashboard downloads, as Chromium counts it (encoded bytes on the wire,
//     CDP Network.loadingFinished): the API answers it loads after sign-in (the sums,
//     regions, targets, groups) and the whole first visit (page, scripts, WASM module).
// Baselines measured in the same run: the same figures for a changed filter fetched from
// the server (`/api/v1/indicators`, cold), which a recompute replaces; the household
// facts (`GET /api/v1/facts`, gzip) the dashboard downloaded before the sums.
// BENCH_JSON, when set, is where the figures go for bench/report.py.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { startServer, launchBrowser, newPage, repoRoot } from "../tests/web/harness.mjs";

const surveys = Number(process.env.BENCH_SURVEYS ?? 100000);
const database = path.join(repoRoot, "bench/out", `bench-${surveys}.db`);
const LOADS = Number(process.env.BENCH_LOADS ?? 5);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 12);
const GOAL_MS = 100;
const FIRST_CHART_GOAL_MS = 1000;
const DOWNLOAD_GOAL_BYTES = 200 * 1024;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (v) => `${v.toFixed(1)} ms`;
const mb = (v) => `${(v / 1e6).toFixed(2)} MB`;
const kb = (v) => `${(v / 1024).toFixed(1)} KB`;

const server = await startServer({
  databaseUrl: `sqlite://${database}?mode=rwc`,
  adminUsername: `bench-${Date.now()}`,
});
const browser = await launchBrowser();
try {
  // The baseline payload: the household facts, gzip as sent to a browser, and the JSON
  // inside; then the sums the page loads instead, the same two ways.
  const token = server.adminToken;
  const size = async (url, encoding) => {
    const r = await fetch(server.url(url), { headers: { authorization: `Bearer ${token}`, "accept-encoding": encoding } });
    const bytes = (await r.arrayBuffer()).byteLength;
    return Number(r.headers.get("content-length") ?? bytes);
  };
  const factsWire = await size("/api/v1/facts", "gzip");
  const factsJson = await size("/api/v1/facts", "identity");
  const sumsWire = await size("/api/v1/sums", "gzip");
  const sums = await (await fetch(server.url("/api/v1/sums"), { headers: { authorization: `Bearer ${token}` } })).json();
  const sumsJson = JSON.stringify(sums).length;
  const households = sums.households;

  const first = [];
  const fetchT = [];
  const parseT = [];
  const apiBytes = [];
  const totalBytes = [];
  const recompute = [];
  const figures = [];
  const drawing = [];
  for (let load = 0; load < LOADS; load++) {
    const { context, page } = await newPage(browser, "desktop");
    await context.addInitScript((t) => sessionStorage.setItem("agriwaste.session", t), token);
    // Chromium's own count of bytes received per request (headers and encoded body).
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    const urls = new Map();
    const received = new Map();
    cdp.on("Network.requestWillBeSent", (e) => urls.set(e.requestId, e.request.url));
    cdp.on("Network.loadingFinished", (e) => received.set(e.requestId, e.encodedDataLength));
    cdp.on("Network.loadingFailed", (e) => received.set(e.requestId, 0));
    await page.goto(server.url("/dashboard/"));
    await page.locator("body[data-state=ready]").waitFor({ timeout: 300_000 });
    const m = await page.evaluate(() => Object.fromEntries(["first-chart", "sums-fetch", "sums-parse"].map((n) => [n, performance.getEntriesByName(n)[0].duration])));
    first.push(m["first-chart"]);
    fetchT.push(m["sums-fetch"]);
    parseT.push(m["sums-parse"]);
    // Every response the page awaited has finished by "ready"; one it did not await (the
    // favicon) may still be arriving: wait for each request seen to report its end.
    const settled = () => [...urls.keys()].every((id) => received.has(id));
    while (!settled()) {
      await new Promise((resolve) => {
        cdp.once("Network.loadingFinished", resolve);
        cdp.once("Network.loadingFailed", resolve);
      });
    }
    const bytes = [...received].map(([id, n]) => [new URL(urls.get(id) ?? "about:blank").pathname, n]);
    if (bytes.some(([p]) => p === "/api/v1/facts")) throw new Error("the dashboard downloaded the household facts");
    apiBytes.push(bytes.filter(([p]) => p.startsWith("/api/v1/") && p !== "/api/v1/auth/me").reduce((a, [, n]) => a + n, 0));
    totalBytes.push(bytes.reduce((a, [, n]) => a + n, 0));
    if (load === 0) {
      // Filter changes: alternate the year and the indicator, as a reader would.
      const years = await page.$$eval("#f-from option", (os) => os.map((o) => o.value));
      const indicators = await page.$$eval("#f-indicator option", (os) => os.map((o) => o.value));
      for (let i = 0; i < CHANGES; i++) {
        const before = Number(await page.locator("body").getAttribute("data-recomputes"));
        if (i % 2 === 0) await page.locator("#f-from").selectOption(years[(i / 2) % years.length]);
        else await page.locator("#f-indicator").selectOption(indicators[((i - 1) / 2) % indicators.length]);
        await page.locator(`body[data-recomputes="${before + 1}"]`).waitFor();
      }
      const durations = (name) => page.evaluate((n) => performance.getEntriesByName(n).map((e) => e.duration).slice(1), name);
      recompute.push(...(await durations("recompute"))); // the first belongs to the first chart
      figures.push(...(await durations("recompute-wasm")));
      drawing.push(...(await durations("recompute-draw")));
    }
    await context.close();
  }

  // Baseline: the server answering one changed filter (cold: a new year range each time).
  const baseline = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const r = await fetch(server.url(`/api/v1/indicators?level=county&from=2023&to=${2023 + (i % 3)}&by_year=${i % 2 === 0}&review=${i < 3 ? "counted" : "approved"}`), { headers: { authorization: `Bearer ${token}` } });
    await r.text();
    baseline.push(performance.now() - t0);
  }

  const rec = median(recompute);
  const base = median(baseline);
  console.log(`bench-web: ${households} surveys in SQLite (${database}), Chromium ${browser.version()}, ${LOADS} page loads, ${recompute.length} filter changes`);
  console.log("| figure | median | range |");
  console.log("| --- | --- | --- |");
  const row = (name, xs) => console.log(`| ${name} | ${ms(median(xs))} | ${ms(Math.min(...xs))} – ${ms(Math.max(...xs))} |`);
  row("time to first chart (navigation → every chart drawn)", first);
  row("  of which: sums, targets, regions, groups fetched (+ WASM loaded)", fetchT);
  row("  of which: sums parsed into WASM", parseT);
  row("recompute after a filter change", recompute);
  row("  of which: figures and chart data (WASM FactSet.dashboard)", figures);
  row("  of which: four SVG charts drawn (WASM renderChart)", drawing);
  row("baseline: /api/v1/indicators for a changed filter, cold", baseline);
  const api = median(apiBytes);
  const total = median(totalBytes);
  const firstChart = median(first);
  console.log(`sums payload: ${kb(sumsWire)} gzip on the wire, ${kb(sumsJson)} JSON, ${sums.rows.length} county × year × class rows`);
  console.log(`baseline, household facts: ${mb(factsWire)} gzip on the wire, ${mb(factsJson)} JSON (${(factsJson / households).toFixed(0)} B per survey)`);
  console.log(`dashboard data downloaded (Chromium, sums + regions + targets + groups): ${kb(api)} vs goal ${kb(DOWNLOAD_GOAL_BYTES)}: ${api <= DOWNLOAD_GOAL_BYTES ? "met" : "NOT met"}; ${(factsWire / api).toFixed(0)}× less than the facts' gzip alone`);
  console.log(`whole first visit (Chromium, page, scripts, WASM module, data): ${kb(total)}`);
  console.log(`first chart ${ms(firstChart)} vs goal ${FIRST_CHART_GOAL_MS} ms: ${firstChart <= FIRST_CHART_GOAL_MS ? "met" : "NOT met"}`);
  console.log(`recompute ${ms(rec)} vs goal ${GOAL_MS} ms: ${rec < GOAL_MS ? "met" : "NOT met"} (${(rec / GOAL_MS).toFixed(2)}× the goal); ${(base / rec).toFixed(1)}× faster than asking the server`);
  if (process.env.BENCH_JSON) {
    await writeFile(process.env.BENCH_JSON, JSON.stringify({
      surveys: households,
      chromium: browser.version(),
      loads: LOADS,
      first_chart_ms: firstChart,
      sums_fetch_ms: median(fetchT),
      sums_parse_ms: median(parseT),
      recompute_ms: rec,
      indicators_cold_ms: base,
      data_wire_bytes: api,
      first_visit_wire_bytes: total,
      sums_gzip_bytes: sumsWire,
      sums_json_bytes: sumsJson,
      sums_rows: sums.rows.length,
      facts_gzip_bytes: factsWire,
      facts_json_bytes: factsJson,
    }, null, 2));
  }
} finally {
  await Promise.allSettled([browser.close(), server.stop()]);
}
