// Bytes on the wire for a first visit (issue 14): `/collect/` and `/dashboard/` before
// sign-in, cold cache (a fresh browser context each time), as Chromium counts them: the
// Resource Timing `transferSize` (headers and encoded body; 0 for what came from the
// cache) of the navigation and of every resource, the page's and its service worker's
// (the collect form's worker precaches the form for offline use; those fetches are
// bytes a phone pays for too).
//
// Baseline, same run and server: the same visits with `Accept-Encoding: identity`, i.e.
// the files as they are, what the server sent before it compressed anything.
//
// Usage: node bench/bytes_bench.mjs [OUT.json]   (AGRIWASTE_BIN: the server binary)
import { writeFileSync } from "node:fs";
import { startServer, launchBrowser, newPage } from "../tests/web/harness.mjs";

const PAGES = ["/collect/", "/dashboard/"];
const GOAL_BYTES = 450 * 1024;
const out = process.argv[2];

/** Resource Timing transfer sizes in a page or a worker, summed. */
function transferred() {
  const entries = [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")];
  return entries.reduce((sum, e) => sum + e.transferSize, 0);
}

/**
 * One first visit to `path`; with `identity`, requests ask for no compression. (Chromium
 * keeps its own Accept-Encoding on the service worker's script, whatever a test says, so
 * that one file, a few KB, is compressed in the baseline too; interception cannot change
 * the header at all.)
 */
async function visit(browser, server, path, identity) {
  const extraHTTPHeaders = identity ? { "accept-encoding": "identity" } : {};
  const { context, page } = await newPage(browser, "phone", { extraHTTPHeaders });
  const compressed = [];
  const encodings = new Set();
  context.on("response", (response) => {
    const coding = response.headers()["content-encoding"] ?? "identity";
    encodings.add(coding);
    if (coding !== "identity") compressed.push(new URL(response.url()).pathname);
  });
  try {
    await page.goto(server.url(path), { waitUntil: "networkidle" });
    await page.locator("body").waitFor();
    let worker = 0;
    if (await page.evaluate(() => "serviceWorker" in navigator && navigator.serviceWorker.getRegistrations().then((r) => r.length > 0))) {
      // Installed and active: its precache fetches are done.
      await page.evaluate(() => navigator.serviceWorker.ready.then((r) => new Promise((resolve) => {
        const w = r.active;
        if (w.state === "activated") resolve();
        else w.addEventListener("statechange", () => w.state === "activated" && resolve());
      })));
      const [sw] = context.serviceWorkers();
      if (sw) worker = await sw.evaluate(transferred);
    }
    const own = await page.evaluate(transferred);
    return { page: own, worker, total: own + worker, encodings: [...encodings].sort(), compressed };
  } finally {
    await context.close();
  }
}

const server = await startServer();
const browser = await launchBrowser();
const results = {};
try {
  for (const path of PAGES) {
    const compressed = await visit(browser, server, path, false);
    const identity = await visit(browser, server, path, true);
    const unexpected = identity.compressed.filter((p) => !p.endsWith("/sw.js"));
    if (unexpected.length) throw new Error(`baseline of ${path} was compressed: ${unexpected}`);
    delete compressed.compressed;
    delete identity.compressed;
    results[path] = { compressed, identity, ratio: compressed.total / identity.total, goal_bytes: GOAL_BYTES, met: compressed.total <= GOAL_BYTES };
    const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
    console.log(
      `first visit ${path}: ${kb(compressed.total)} (page ${kb(compressed.page)}, service worker ${kb(compressed.worker)}; ${compressed.encodings.join(", ")}), ` +
        `identity ${kb(identity.total)} (page ${kb(identity.page)}, service worker ${kb(identity.worker)}); ` +
        `${(100 * results[path].ratio).toFixed(1)} % of identity; goal ≤ ${kb(GOAL_BYTES)}: ${results[path].met ? "met" : "NOT met"}`,
    );
  }
} finally {
  await browser.close();
  await server.stop();
}
if (out) writeFileSync(out, JSON.stringify(results, null, 2) + "\n");
