// The charts in real Chromium with real fonts: every chart drawn by the WASM
// `renderChart` for 1, 7, 20 and 40 regions (a trend: years), in Chinese and English, at
// the width the dashboard draws it on a 1366 px laptop and on a 390 px phone, must have no
// two <text> boxes that overlap and none outside the SVG, measured by the browser itself
// (the native test, charts/overlap.rs, measures by the crate's own metric). Screenshots of
// a few land in tests/web/screenshots/; the dashboard's map is checked and shot too.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { startServer, launchBrowser, newPage, repoRoot, screenshotDir, sampleSurvey } from "./harness.mjs";

let server;
let browser;

before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});

after(async () => {
  await Promise.allSettled([browser?.close(), server?.stop()]);
});

// ---- the data the charts are drawn from (the same shapes the crate serializes) ----------

/** Rows of a CSV file with a header (quoted fields allowed, no newlines in them). */
function csv(file) {
  const [header, ...lines] = readFileSync(path.join(repoRoot, file), "utf8").trim().split(/\r?\n/);
  const split = (line) => {
    const cells = [];
    let cell = "";
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quoted && c === '"' && line[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = !quoted;
      else if (c === "," && !quoted) { cells.push(cell); cell = ""; }
      else cell += c;
    }
    cells.push(cell);
    return cells;
  };
  const keys = split(header);
  return lines.map((line) => Object.fromEntries(split(line).map((v, i) => [keys[i], v])));
}

const regions = csv("analytics-wasm/data/regions.csv");
const seats = new Map(csv("analytics-wasm/data/county_tiles.csv").map((t) => [t.code, t]));
const plans = csv("analytics-wasm/data/plans.csv");
const byCode = new Map(regions.map((r) => [r.code, r]));
const label = (r) => ({ zh: r.name_zh, en: r.name_en });

/** `count` counties: the real ones first (阿里's 7, then 青海's), then long synthetic names. */
function counties(count) {
  const out = regions.filter((r) => r.level === "county").map((r) => ({
    code: r.code,
    name: label(r),
    area: byCode.has(r.parent_code) ? label(byCode.get(r.parent_code)) : null,
  }));
  for (let i = 1; out.length < count; i++) {
    out.push({
      code: `99${String(i).padStart(4, "0")}`,
      name: { zh: `海西蒙古族藏族自治州示范县第${i}号`, en: `Haixi Mongol and Tibetan Autonomous Prefecture County ${i}` },
      area: null,
    });
  }
  return out.slice(0, count);
}

/** A varied value (as the native test's): one rate above 100 % from 4 households, one without data, every fifth from few households. */
function value(i) {
  const rate = i === 2 ? 1.448 : i === 3 ? null : 0.35 + ((i * 37) % 62) / 100;
  const half = 0.05 + (i % 4) * 0.04;
  return {
    rate,
    ci_low: rate == null ? null : rate - half,
    ci_high: rate == null ? null : rate + half,
    n: i === 2 ? 4 : i % 5 === 0 ? 12 : 30 + ((i * 13) % 90),
  };
}

const target = (i) => (i % 2 === 0 ? { rate: 0.93, year: 2030, source: "enclosing" } : { rate: 0.85, year: 2025, source: "national" });

function planOf(code) {
  const rows = plans.filter((p) => p.region_code === code);
  if (!rows.length) return { phases: [], plan: null };
  return {
    phases: rows.map((p) => ({ key: p.phase, name_zh: p.phase_zh, name_en: p.phase_en, first_year: +p.first_year, last_year: +p.last_year })),
    plan: { zh: rows[0].plan_zh, en: rows[0].plan_en },
  };
}

/** [kind, data] of every chart for `count` groups; the trend on plan `planCode`'s phases. */
function chartsFor(count, planCode) {
  const list = counties(count);
  const last = 2025;
  return [
    ["indicator_by_region", {
      indicator: "pesticide_packaging_recovery_rate",
      year: 2025,
      bars: list.map((c, i) => ({ code: c.code, name: c.name, value: value(i), target: target(i) })),
    }],
    ["trend", {
      indicator: "film_recovery_rate",
      region: { zh: "海西蒙古族藏族自治州", en: "Haixi Mongol and Tibetan Autonomous Prefecture" },
      points: list.map((_, k) => ({ year: last - (count - 1 - k), value: { ...value(k + 4), n: k % 3 === 1 ? 9 : 40 + k } })),
      target: { rate: 0.9, year: 2030, source: "national_proxy" },
      ...planOf(planCode),
      year_in_progress: last,
    }],
    ["straw_uses", {
      year: 2025,
      bars: list.map((c, i) => {
        const used = value(i).rate == null ? null : Math.min(1, value(i).rate);
        return { code: c.code, name: c.name, n: value(i).n, shares: [0.4, 0.3, 0.05, 0.2, 0.05].map((s) => (used == null ? null : s * used)) };
      }),
    }],
    ["map", {
      indicator: "yak_dung_utilization_rate",
      year: 2025,
      tiles: list.map((c, i) => {
        const seat = seats.get(c.code);
        return {
          code: c.code,
          name: c.name,
          short: seat ? { zh: seat.short_zh, en: seat.short_en } : c.name,
          area: c.area,
          seat: seat ? { lat: +seat.lat, lon: +seat.lon } : null,
          value: value(i),
        };
      }),
    }],
  ];
}

// ---- drawing and measuring in the page ----------------------------------------------------

// A blank page on the server's origin (so that /pkg/ loads as on the dashboard), with the
// WASM module loaded into it.
async function chartPage(preset) {
  const { context, page, problems } = await newPage(browser, preset);
  await page.route("**/__charts__", (route) => route.fulfill({
    contentType: "text/html; charset=utf-8",
    body: "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head><body style=\"margin:0\"><div id=\"chart\" style=\"display:inline-block\"></div></body></html>",
  }));
  await page.goto(server.url("/__charts__"));
  await page.evaluate(async () => {
    const wasm = await import("/pkg/agriwaste_analytics.js");
    await wasm.default();
    window.renderChart = wasm.renderChart;
  });
  return { context, page, problems };
}

// Draws one chart into #chart and returns every problem its text has, by real boxes:
// getBoundingClientRect of each <text> (it includes any rotation), relative to the SVG.
// `kind` null draws `data` as given SVG markup instead (to check the checker).
function drawAndMeasure(page, kind, data, options) {
  return page.evaluate(async ({ kind, data, options }) => {
    const box = document.getElementById("chart");
    box.innerHTML = kind === null ? data : window.renderChart(kind, JSON.stringify(data), JSON.stringify(options));
    await document.fonts.ready;
    const svg = box.querySelector("svg");
    const frame = svg.getBoundingClientRect();
    const texts = [...svg.querySelectorAll("text")]
      .filter((t) => t.textContent.trim() !== "")
      .map((t) => {
        const r = t.getBoundingClientRect();
        return { text: t.textContent, x0: r.left - frame.left, y0: r.top - frame.top, x1: r.right - frame.left, y1: r.bottom - frame.top };
      });
    const problems = [];
    // Half a pixel of slack: boxes that merely touch are not an overlap.
    const slack = 0.5;
    for (const t of texts) {
      if (t.x0 < -slack || t.y0 < -slack || t.x1 > frame.width + slack || t.y1 > frame.height + slack) {
        problems.push(`"${t.text}" leaves the ${frame.width}×${frame.height} svg: ${[t.x0, t.y0, t.x1, t.y1].map((v) => v.toFixed(1))}`);
      }
    }
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        const a = texts[i];
        const b = texts[j];
        const w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
        const h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
        if (w > slack && h > slack) problems.push(`"${a.text}" overlaps "${b.text}" by ${w.toFixed(1)}×${h.toFixed(1)} px`);
      }
    }
    return { problems, texts: texts.length, width: frame.width, height: frame.height };
  }, { kind, data, options });
}

test("the browser check sees overlapping text and text outside the svg", async () => {
  const { context, page } = await chartPage("desktop");
  try {
    const svg = (body) => `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" font-family="sans-serif">${body}</svg>`;
    const clean = await drawAndMeasure(page, null, svg('<text x="10" y="20" font-size="12">普兰县</text><text x="80" y="20" font-size="12">札达县</text>'));
    assert.deepEqual(clean.problems, []);
    const overlapping = await drawAndMeasure(page, null, svg('<text x="10" y="20" font-size="12">普兰县</text><text x="30" y="20" font-size="12">札达县</text>'));
    assert.equal(overlapping.problems.length, 1, overlapping.problems.join("; "));
    const clipped = await drawAndMeasure(page, null, svg('<text x="190" y="20" font-size="12">3.6%</text>'));
    assert.equal(clipped.problems.length, 1, clipped.problems.join("; "));
  } finally {
    await context.close();
  }
});

// The width the dashboard draws a chart at: its card's width, within 340–900 px.
const SIZES = { desktop: { width: 900, height: 440 }, phone: { width: 358, height: 400 } };

for (const preset of ["desktop", "phone"]) {
  test(`no text overlaps or leaves the chart in Chromium, ${preset} (${SIZES[preset].width} px)`, async () => {
    const { context, page, problems } = await chartPage(preset);
    try {
      const failures = [];
      let drawn = 0;
      for (const count of [1, 7, 20, 40]) {
        for (const planCode of ["542500", "630100"]) {
          for (const [kind, data] of chartsFor(count, planCode)) {
            if (planCode !== "542500" && kind !== "trend") continue;
            for (const lang of ["zh", "en"]) {
              const result = await drawAndMeasure(page, kind, data, { lang, ...SIZES[preset] });
              drawn++;
              assert.ok(result.texts > 3, `${kind} ${count} ${lang}: text drawn`);
              assert.equal(result.width, SIZES[preset].width, "drawn at the width asked for");
              for (const p of result.problems) failures.push(`${kind}, ${count} groups, plan ${planCode}, ${lang}: ${p}`);
            }
          }
        }
      }
      assert.equal(drawn, 4 * (4 + 1) * 2);
      assert.deepEqual(failures, [], `${failures.length} problems:\n${failures.slice(0, 30).join("\n")}`);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
}

test("many regions make a taller chart, and screenshots of the charts", async () => {
  const { context, page, problems } = await chartPage("desktop");
  try {
    const heights = [];
    for (const count of [7, 20, 40]) {
      const [, data] = chartsFor(count, "542500")[0];
      heights.push((await drawAndMeasure(page, "indicator_by_region", data, { lang: "zh", width: 358, height: 400 })).height);
    }
    assert.ok(heights[0] < heights[1] && heights[1] < heights[2], `heights ${heights}`);
    assert.ok(heights[2] >= 40 * 24, `40 rows of at least 24 px: ${heights[2]}`);
    const shots = [
      ["bars-40-zh", 40, 0, "zh", SIZES.phone],
      ["bars-20-en", 20, 0, "en", SIZES.desktop],
      ["bars-7-zh", 7, 0, "zh", SIZES.desktop],
      ["trend-7-zh", 7, 1, "zh", SIZES.desktop],
      ["trend-20-en-phone", 20, 1, "en", SIZES.phone],
      ["straw-20-zh-phone", 20, 2, "zh", SIZES.phone],
      ["map-27-zh", 27, 3, "zh", SIZES.desktop],
      ["map-20-en-phone", 20, 3, "en", SIZES.phone],
    ];
    for (const [name, count, index, lang, size] of shots) {
      const [kind, data] = chartsFor(count, "542500")[index];
      const result = await drawAndMeasure(page, kind, data, { lang, ...size });
      assert.deepEqual(result.problems, [], name);
      await page.locator("#chart svg").screenshot({ path: path.join(screenshotDir, `${name}.png`) });
    }
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("the dashboard's map is the schematic county map, labelled as such", async () => {
  const ali = ["542521", "542522", "542523", "542524", "542525", "542526", "542527"];
  const surveys = [];
  for (const [c, county] of ali.entries()) {
    for (let k = 0; k < 3 + c; k++) {
      surveys.push(sampleSurvey({
        county_code: county,
        household: `HH-map-${county}-${k}`,
        surveyed_on: "2025-08-12",
        yak_dung: { yak_head: 20, fuel_kg: 8000 + 900 * c, fertilizer_kg: 2000, other_kg: 0, discarded_kg: 3000 - 300 * c },
      }));
    }
  }
  await server.seedSurveys(surveys);
  const viewer = await server.createUser({ role: "viewer", scope: "542500" });
  for (const preset of ["desktop", "phone"]) {
    const { context, page, problems } = await newPage(browser, preset);
    try {
      await page.goto(server.url("/dashboard"));
      await page.locator("body[data-state=signin]").waitFor();
      await page.locator("#signin input[name=username]").fill(viewer.username);
      await page.locator("#signin input[name=password]").fill(viewer.password);
      await page.locator("#signin button[type=submit]").click();
      await page.locator("body[data-state=ready]").waitFor();
      const before = Number(await page.locator("body").getAttribute("data-recomputes"));
      await page.locator("#f-indicator").selectOption("yak_dung_utilization_rate");
      await page.locator(`body[data-recomputes="${before + 1}"]`).waitFor();
      const card = page.locator('.chart[data-chart="map"]');
      const svg = await card.locator(".svg").innerHTML();
      assert.match(svg, /示意图/);
      assert.match(svg, /不按比例/);
      for (const name of ["普兰", "札达", "噶尔", "日土", "革吉", "改则", "措勤"]) assert.ok(svg.includes(`>${name}<`), `${name}'s tile`);
      assert.doesNotMatch(svg, /<circle/, "no household points");
      // Its table lists the counties, not coordinates.
      await card.locator("details").evaluate((d) => { d.open = true; });
      const keys = await card.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.key));
      assert.deepEqual([...keys].sort(), ali);
      await card.scrollIntoViewIfNeeded();
      await card.screenshot({ path: path.join(screenshotDir, `dashboard-map-${preset}-zh.png`) });
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  }
});
