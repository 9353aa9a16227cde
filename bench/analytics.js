// The WASM half of `just bench-analytics`: the same work as
// analytics-wasm/examples/bench_native.rs, in Node, then the comparison.
// Usage: node bench/analytics.js OUT_DIR (holding surveys.json and native.json).
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const zlib = require("node:zlib");

const outDir = process.argv[2];
if (!outDir) throw new Error("usage: node bench/analytics.js OUT_DIR");
const root = path.join(__dirname, "..");
const wasm = require(path.join(root, "tests/node/pkg/agriwaste_analytics.js"));
const native = JSON.parse(fs.readFileSync(path.join(outDir, "native.json"), "utf8"));
const surveys = fs.readFileSync(path.join(outDir, "surveys.json"), "utf8");

function medianMs(runs, work) {
  const times = [];
  let result;
  for (let i = 0; i < runs; i += 1) {
    const start = process.hrtime.bigint();
    result = work();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return [times[Math.floor(times.length / 2)], result];
}

const set = new wasm.SurveySet(surveys);
if (set.length !== native.surveys) throw new Error(`parsed ${set.length} surveys`);
// One warm-up run so that the engine's tiers are up, as they would be in a page.
set.computeIndicators(native.options);
const [computeMs, report] = medianMs(7, () => set.computeIndicators(native.options));
// Rust counts UTF-8 bytes; JavaScript strings count UTF-16 units.
if (Buffer.byteLength(report, "utf8") !== native.report_bytes) {
  throw new Error(`WASM report has ${Buffer.byteLength(report, "utf8")} bytes, native ${native.report_bytes}`);
}
const [endToEndMs] = medianMs(5, () => wasm.computeIndicators(surveys, native.options).length);
set.free();

const wasmFile = path.join(root, "web/pkg/agriwaste_analytics_bg.wasm");
const bytes = fs.readFileSync(wasmFile);
const gzipped = zlib.gzipSync(bytes, { level: 9 }).length;
const groups = JSON.parse(report).groups.length;

// For `just bench`'s table.
fs.writeFileSync(path.join(outDir, "wasm.json"), JSON.stringify({
  node: process.versions.node, surveys: native.surveys, groups,
  compute_ms: computeMs, end_to_end_ms: endToEndMs,
  wasm_bytes: bytes.length, wasm_gzip_bytes: gzipped,
}));

const fmt = (ms) => `${ms.toFixed(1).padStart(8)} ms`;
const ratio = (w, n) => `${(w / n).toFixed(2)}×`;
console.log(`All indicators for ${native.surveys} synthetic surveys by county × year (${groups} groups), median:`);
console.log(`                               native        WASM (Node ${process.versions.node})   WASM/native`);
console.log(`  compute (surveys in memory) ${fmt(native.compute_ms)}   ${fmt(computeMs)}          ${ratio(computeMs, native.compute_ms)}   (goal ≤ 2×)`);
console.log(`  end to end (JSON in/out)    ${fmt(native.end_to_end_ms)}   ${fmt(endToEndMs)}          ${ratio(endToEndMs, native.end_to_end_ms)}`);
console.log(`  from facts (server path)    ${fmt(native.from_facts_ms)}   (native only)`);
console.log(`  .wasm: ${(bytes.length / 1024).toFixed(0)} KB, ${(gzipped / 1024).toFixed(0)} KB gzipped (goal < 400 KB: ${gzipped < 400 * 1024 ? "met" : "NOT met"})`);
