// The browser build (web/pkg, `--target web`) loads and draws charts with Chinese text
// outside a browser too: plotters' DOM-based text measurement would throw here (no
// `window`), so this proves the charts never reach it in the build the pages use.
import test from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const pkg = new URL("../../web/pkg/", import.meta.url);

test("web/pkg initializes and renders every chart kind", async () => {
  const wasm = await import(new URL("agriwaste_analytics.js", pkg).href);
  const bytes = await readFile(fileURLToPath(new URL("agriwaste_analytics_bg.wasm", pkg)));
  wasm.initSync({ module: bytes });
  const example = await readFile(
    fileURLToPath(new URL("../../analytics-wasm/data/example-survey.json", import.meta.url)),
    "utf8",
  );
  const surveys = `[${example}]`;
  for (const request of [
    { kind: "indicator_by_region", indicator: "film_recovery_rate" },
    { kind: "trend", indicator: "yak_dung_utilization_rate", region_code: "542523" },
    { kind: "straw_uses" },
    { kind: "map", indicator: "film_recovery_rate" },
  ]) {
    const data = wasm.chartData(surveys, JSON.stringify(request));
    const svg = wasm.renderChart(request.kind, data, '{"lang":"zh"}');
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /[\u4e00-\u9fff]/, "Chinese text expected");
  }
  assert.deepEqual(JSON.parse(wasm.validateSurvey(example, "2026-01-01")), []);
});
