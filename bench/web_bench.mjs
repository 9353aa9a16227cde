// The dashboard benchmark of issue 6 (`just bench-web`): the release server on a SQLite
// database of BENCH_SURVEYS synthetic surveys (default 100 000, seeded by
// scripts/bench-web.sh through the storage code), Debian's Chromium via playwright-core.
//
// Prints, as medians of several runs read from the page's Performance API:
//   - time to first chart (navigation start → facts fetched, parsed into WASM, every
//     chart drawn), split into fetch and parse;
//   - time to recompute after a filter change (WASM figures, four charts, tables, board);
//   - the facts payload, gzip on the wire and as JSON.
// Baseline measured in the same run: the same figures for a changed filter fetched from
// the server (`/api/v1/indicators`, cold), which a recompute replaces.
import path from "node:path";
import { startServer, launchBrowser, newPage, repoRoot } from "../tests/web/harness.mjs";

const surveys = Number(process.env.BENCH_SURVEYS ?? 100000);
const database = path.join(repoRoot, "bench/out", `bench-${surveys}.db`);
const LOADS = Number(process.env.BENCH_LOADS ?? 5);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 12);
const GOAL_MS = 100;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (v) => `${v.toFixed(1)} ms`;
const mb = (v) => `${(v / 1e6).toFixed(2)} MB`;

const server = await startServer({
  databaseUrl: `sqlite://${database}?mode=rwc`,
  adminUsername: `bench-${Date.now()}`,
});
const browser = await launchBrowser();
try {
  // The payload: gzip as sent to a browser, and the JSON inside.
  const token = server.adminToken;
  const zipped = await fetch(server.url("/api/v1/facts"), { headers: { authorization: `Bearer ${token}`, "accept-encoding": "gzip" } });
  const wire = Number(zipped.headers.get("content-length") ?? (await zipped.arrayBuffer()).byteLength);
  const plain = await fetch(server.url("/api/v1/facts"), { headers: { authorization: `Bearer ${token}`, "accept-encoding": "identity" } });
  const json = await plain.text();
  const households = JSON.parse(json).households;

  const first = [];
  const fetchT = [];
  const parseT = [];
  const recompute = [];
  const figures = [];
  const drawing = [];
  for (let load = 0; load < LOADS; load++) {
    const { context, page } = await newPage(browser, "desktop");
    await context.addInitScript((t) => sessionStorage.setItem("agriwaste.session", t), token);
    await page.goto(server.url("/dashboard/"));
    await page.locator("body[data-state=ready]").waitFor({ timeout: 300_000 });
    const m = await page.evaluate(() => Object.fromEntries(["first-chart", "facts-fetch", "facts-parse"].map((n) => [n, performance.getEntriesByName(n)[0].duration])));
    first.push(m["first-chart"]);
    fetchT.push(m["facts-fetch"]);
    parseT.push(m["facts-parse"]);
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
  row("  of which: facts, targets, regions fetched (+ WASM loaded)", fetchT);
  row("  of which: facts parsed into WASM", parseT);
  row("recompute after a filter change", recompute);
  row("  of which: figures and chart data (WASM FactSet.dashboard)", figures);
  row("  of which: four SVG charts drawn (WASM renderChart)", drawing);
  row("baseline: /api/v1/indicators for a changed filter, cold", baseline);
  console.log(`facts payload: ${mb(wire)} gzip on the wire, ${mb(json.length)} JSON (${(json.length / households).toFixed(0)} B per survey)`);
  console.log(`recompute ${ms(rec)} vs goal ${GOAL_MS} ms: ${rec < GOAL_MS ? "met" : "NOT met"} (${(rec / GOAL_MS).toFixed(2)}× the goal); ${(base / rec).toFixed(1)}× faster than asking the server`);
} finally {
  await Promise.allSettled([browser.close(), server.stop()]);
}
