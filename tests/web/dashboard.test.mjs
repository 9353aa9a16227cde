// The bureau dashboard in real Chromium against the real server: sign in, figures equal
// to what /api/v1/indicators reports for each year filter (the browser computes them with
// the WASM module from the county × year sums of /api/v1/sums, never the households of
// /api/v1/facts), no request on a filter change, the language
// switch, the downloads, the target board (a rate above 100 % is implausible, never met),
// and screenshots at desktop and phone sizes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { startServer, launchBrowser, newPage, screenshot, sampleSurvey } from "./harness.mjs";

const ALI_COUNTIES = ["542521", "542522", "542523", "542524", "542525", "542526", "542527"];
const INDICATOR = "film_recovery_rate";

let server;
let browser;
let reviewer;

// Surveys in every Ali county for 2023–2025, recovery rising by year and differing by
// county, with GPS positions inside the prefecture.
function surveys() {
  const out = [];
  for (const [c, county] of ALI_COUNTIES.entries()) {
    for (const year of [2023, 2024, 2025]) {
      for (let k = 0; k < 4; k++) {
        const used = 30 + 3 * c + k;
        const share = Math.min(0.95, 0.45 + 0.1 * (year - 2023) + 0.03 * c + 0.02 * k);
        out.push(sampleSurvey({
          county_code: county,
          surveyed_on: `${year}-08-${String(10 + k).padStart(2, "0")}`,
          household: `HH-${county}-${year}-${k}`,
          location: { lat: 31 + 0.4 * c + 0.05 * k, lon: 79.5 + 0.5 * c + 0.05 * k, accuracy_m: 8 },
          film: { used_kg: used, area_mu: 8, thickness_mm: 0.012, degradable_kg: 2, recovered_kg: Math.round(used * share * 10) / 10, recovery_channel: "recovery_point" },
          // In the first county's latest year more packages come back than were used
          // (earlier years' stock): a group rate above 100 %, which is a data problem.
          ...(c === 0 && year === 2025 ? { pesticide_packaging: { used_count: 30, used_kg: 3.2, returned_count: 36, returned_kg: 3.9, return_channel: "seller" } } : {}),
        }));
      }
    }
  }
  return out;
}

before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  await server.seedSurveys(surveys());
  reviewer = await server.createUser({ role: "reviewer", scope: "542500" });
});

after(async () => {
  await Promise.allSettled([browser?.close(), server?.stop()]);
});

const pct = (locale) => new Intl.NumberFormat(locale, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });

async function signIn(page) {
  await page.goto(server.url("/dashboard"));
  await page.locator("body[data-state=signin]").waitFor();
  await page.locator("#signin input[name=username]").fill(reviewer.username);
  await page.locator("#signin input[name=password]").fill(reviewer.password);
  await page.locator("#signin button[type=submit]").click();
  await page.locator("body[data-state=ready]").waitFor();
}

// Chooses a value in a filter and waits for the recompute it causes.
async function choose(page, select, value) {
  const before = Number(await page.locator("body").getAttribute("data-recomputes"));
  await page.locator(select).selectOption(value);
  await page.locator(`body[data-recomputes="${before + 1}"]`).waitFor();
}

// The by-county table as { code: { text, value } } for the rate column.
async function countyTable(page) {
  await page.locator('.chart[data-chart="by_region"] details').evaluate((d) => { d.open = true; });
  return page.$$eval('.chart[data-chart="by_region"] tbody tr', (rows) => Object.fromEntries(rows.map((r) => {
    const cell = r.querySelectorAll("td")[2];
    return [r.dataset.key, { text: cell.textContent, value: cell.dataset.value, n: r.querySelectorAll("td")[1].textContent }];
  })));
}

async function apiCounties(query) {
  const res = await server.request("GET", `/api/v1/indicators?level=county&region=542500&indicator=${INDICATOR}&${query}`, { token: reviewer.token });
  assert.equal(res.status, 200);
  return res.body.groups;
}

test("year filter: chart and table change to the values /api/v1/indicators reports, with no request", async () => {
  const { context, page, problems } = await newPage(browser, "desktop");
  try {
    const loaded = [];
    page.on("request", (r) => loaded.push(new URL(r.url()).pathname));
    await signIn(page);
    assert.ok(loaded.includes("/api/v1/sums"), "the page loads the sums");
    assert.ok(!loaded.includes("/api/v1/facts"), "and not the households");
    assert.equal(await page.locator("#f-region").inputValue(), "542500");
    assert.equal(await page.locator("#f-to").inputValue(), "2025");
    const requests = [];
    page.on("request", (r) => requests.push(r.url()));
    const svgs = new Map();
    for (const year of ["2023", "2024", "2025"]) {
      await choose(page, "#f-from", year);
      if ((await page.locator("#f-to").inputValue()) !== year) await choose(page, "#f-to", year);
      const table = await countyTable(page);
      const groups = await apiCounties(`year=${year}`);
      const progress = await server.request("GET", `/api/v1/progress?region=542500&year=${year}`, { token: reviewer.token });
      assert.equal(progress.status, 200);
      const board = progress.body;
      assert.equal(board.year, Number(year));
      assert.equal(Object.keys(table).length, groups.length, `counties in ${year}`);
      assert.equal(groups.length, ALI_COUNTIES.length);
      for (const g of groups) {
        const rate = g.indicators[INDICATOR].rate;
        assert.equal(table[g.region_code].text, pct("zh-CN").format(rate), `${g.region_code} ${year}`);
        assert.ok(Math.abs(Number(table[g.region_code].value) - rate) < 1e-12, `${g.region_code} ${year} value`);
        assert.equal(table[g.region_code].n, String(g.indicators[INDICATOR].n));
        // The board shows the same year's figure, status and target as /api/v1/progress.
        const cell = page.locator(`#board tr[data-key="${g.region_code}"] td[data-indicator="${INDICATOR}"]`);
        assert.equal(await cell.locator(".value").textContent(), pct("zh-CN").format(rate));
        const row = board.rows.find((r) => r.code === g.region_code);
        const assessed = row.cells[INDICATOR];
        assert.equal(await cell.getAttribute("data-status"), assessed.status, `${g.region_code} ${year} status`);
        // Four households a county-year: too few to judge, said in words.
        assert.equal(assessed.status, "insufficient");
        assert.match(await cell.locator(".status").textContent(), /数据不足/);
        assert.match(await cell.textContent(), new RegExp(pct("zh-CN").format(assessed.target.value).replace(".", "\\.")));
      }
      svgs.set(year, await page.locator('.chart[data-chart="by_region"] .svg').innerHTML());
      assert.match(svgs.get(year), /^<svg/);
    }
    assert.notEqual(svgs.get("2023"), svgs.get("2025"), "the chart changes with the year");
    // A range pools the years, as the API does with by_year=false.
    await choose(page, "#f-from", "2023");
    const pooled = await countyTable(page);
    for (const g of await apiCounties("from=2023&to=2025&by_year=false")) {
      assert.equal(pooled[g.region_code].text, pct("zh-CN").format(g.indicators[INDICATOR].rate));
    }
    assert.deepEqual(requests.filter((u) => u.includes("/api/")), [], "filters recompute locally");
    const trendRows = await page.$$eval('.chart[data-chart="trend"] tbody tr', (rows) => rows.map((r) => r.dataset.key));
    assert.deepEqual(trendRows, ["2023", "2024", "2025"]);
    const measures = await page.evaluate(() => performance.getEntriesByName("recompute").length);
    assert.ok(measures >= 4);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("a group rate above 100 % is shown as implausible, never as met, as the API says", async () => {
  const { context, page, problems } = await newPage(browser, "desktop");
  try {
    await signIn(page);
    const key = "pesticide_packaging_recovery_rate";
    const res = await server.request("GET", `/api/v1/indicators?level=county&region=542500&indicator=${key}&year=2025`, { token: reviewer.token });
    assert.equal(res.status, 200);
    const group = res.body.groups.find((g) => g.region_code === ALI_COUNTIES[0]);
    assert.ok(group.indicators[key].rate > 1, `rate ${group.indicators[key].rate}`);
    assert.equal(group.progress[key].implausible, true);
    assert.equal(group.progress[key].met, false);
    const cell = page.locator(`#board tr[data-key="${ALI_COUNTIES[0]}"] td[data-indicator="${key}"]`);
    assert.equal(await cell.getAttribute("data-status"), "implausible");
    assert.match(await cell.locator(".status").textContent(), /数据异常/);
    // A county whose packages add up is judged as usual.
    const other = page.locator(`#board tr[data-key="${ALI_COUNTIES[1]}"] td[data-indicator="${key}"]`);
    assert.notEqual(await other.getAttribute("data-status"), "implausible");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("language switch, downloads, and screenshots at desktop and phone sizes", async () => {
  for (const preset of ["desktop", "phone"]) {
    const { context, page, problems } = await newPage(browser, preset);
    try {
      await signIn(page);
      await screenshot(page, `dashboard-${preset}-zh`);
      if (preset === "phone") {
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `no sideways scrolling at 390 px (${overflow} px too wide)`);
        await context.close();
        continue;
      }
      // Chinese by default, English on the switch: labels, chart text and numbers.
      assert.equal(await page.locator('.chart[data-chart="by_region"] h2').textContent(), "各县指标与目标");
      assert.match(await page.locator('.chart[data-chart="by_region"] .svg').innerHTML(), /农膜回收率/);
      const before = Number(await page.locator("body").getAttribute("data-recomputes"));
      await page.locator("#lang").click();
      await page.locator(`body[data-recomputes="${before + 1}"]`).waitFor();
      assert.equal(await page.locator('.chart[data-chart="by_region"] h2').textContent(), "Indicator by county, with target");
      assert.match(await page.locator('.chart[data-chart="by_region"] .svg').innerHTML(), /Film recovery rate/);
      const [g] = await apiCounties("year=2025");
      const table = await countyTable(page);
      assert.equal(table[g.region_code].text, pct("en-GB").format(g.indicators[INDICATOR].rate));
      assert.equal(await page.locator("html").getAttribute("lang"), "en");
      await screenshot(page, `dashboard-${preset}-en`);

      // Downloads: SVG that parses, PNG, CSV with a byte-order mark and the table's rows.
      const card = page.locator('.chart[data-chart="by_region"]');
      const download = async (kind) => {
        const [file] = await Promise.all([page.waitForEvent("download"), card.locator(`button[data-download="${kind}"]`).click()]);
        return { name: file.suggestedFilename(), bytes: await readFile(await file.path()) };
      };
      const svg = await download("svg");
      assert.match(svg.name, /\.svg$/);
      const parsed = await page.evaluate((text) => {
        const doc = new DOMParser().parseFromString(text, "image/svg+xml");
        return { error: doc.querySelector("parsererror") !== null, root: doc.documentElement.nodeName };
      }, svg.bytes.toString("utf8"));
      assert.deepEqual(parsed, { error: false, root: "svg" });
      const png = await download("png");
      assert.deepEqual([...png.bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
      const csv = await download("csv");
      assert.deepEqual([...csv.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], "UTF-8 BOM");
      const lines = csv.bytes.toString("utf8").slice(1).trimEnd().split("\r\n");
      assert.equal(lines.length, 1 + ALI_COUNTIES.length);
      assert.match(lines[0], /^County,Households,Film recovery rate/);
      const trendCsv = await (async () => {
        const [file] = await Promise.all([page.waitForEvent("download"), page.locator('.chart[data-chart="trend"] button[data-download="csv"]').click()]);
        return (await readFile(await file.path())).toString("utf8");
      })();
      assert.match(trendCsv, /\r\n2025,near term,/);
      // Back to Chinese for the next page load.
      await page.locator("#lang").click();
      assert.deepEqual(problems, []);
    } finally {
      await context.close().catch(() => {});
    }
  }
});
