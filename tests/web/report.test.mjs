// The annual report (/report/) on the demo data in real Chromium: it opens on the viewer's
// region and the board's default year, its statuses are /api/v1/progress's, its charts
// are the server's SVG inlined, and it prints to an A4 PDF of one page per section (the
// summary, the counties, one page of charts per targeted indicator, the notes), page 1
// carrying the title and every indicator. The PDF is read back with poppler's pdfinfo and
// pdftotext (Debian's poppler-utils, installed by scripts/setup.sh).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { startServer, launchBrowser, newPage, screenshot, screenshotDir } from "./harness.mjs";
import { INDICATORS } from "../../web/shared/glossary.js";

const BOARD_INDICATORS = ["film_recovery_rate", "pesticide_packaging_recovery_rate", "straw_utilization_rate", "yak_dung_utilization_rate"];
const ALL_INDICATORS = [...BOARD_INDICATORS, "pesticide_packaging_recovery_rate_kg", "film_thickness_compliance_rate", "degradable_film_share"];
// The indicators' names are the glossary's (web/shared/glossary.js), the crate's own.
const NAMES_ZH = ALL_INDICATORS.map((key) => INDICATORS[key][0]);

let server;
let browser;
let viewer;

before(async () => {
  // Not "admin": demo mode gives its own admin account a new password at every start.
  [server, browser] = await Promise.all([startServer({ args: ["--demo-data"], adminUsername: "report-admin" }), launchBrowser()]);
  viewer = await server.createUser({ role: "viewer", scope: "542500" });
});

after(async () => {
  await Promise.allSettled([browser?.close(), server?.stop()]);
});

async function signIn(page, address) {
  await page.goto(server.url(address));
  await page.locator("body[data-state=signin]").waitFor();
  await page.locator("#signin input[name=username]").fill(viewer.username);
  await page.locator("#signin input[name=password]").fill(viewer.password);
  await page.locator("#signin button[type=submit]").click();
  await page.locator("body[data-state=ready]").waitFor();
}

async function apiBoard(query) {
  const res = await server.request("GET", `/api/v1/progress?${query}`, { token: viewer.token });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

/** The text of one page of a PDF in the order it was drawn (a table cell's lines stay together). */
const pdfPageText = (file, pageNumber) => execFileSync("pdftotext", ["-raw", "-f", String(pageNumber), "-l", String(pageNumber), file, "-"], { encoding: "utf8" });
/** Spaces and line breaks out: pdftotext splits CJK runs and table cells with them. */
const squeeze = (text) => text.replace(/\s+/g, "");

/**
 * Prints the page as Chromium's "Save as PDF" does into tests/web/screenshots/NAME and
 * checks it: A4, the header and pickers not printed, one page per section of the report
 * in order (each page carries its section's heading, so none ran over onto another).
 * Resolves to the PDF's path.
 */
async function printed(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  const pdf = path.join(screenshotDir, name);
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.locator("#pickers").isVisible(), false, "the pickers are not printed");
  assert.equal(await page.locator("header.top").isVisible(), false, "the header is not printed");
  await page.pdf({ path: pdf, format: "A4", printBackground: true, preferCSSPageSize: true });
  await page.emulateMedia({ media: "screen" });
  const sheets = await page.$$eval(".sheet", (nodes) => nodes.map((s) => ({ key: s.dataset.sheet, heading: s.querySelector("h1, h2").textContent })));
  assert.deepEqual(sheets.map((s) => s.key), ["summary", "counties", ...BOARD_INDICATORS.map((k) => `chart-${k}`), "notes"]);
  const info = execFileSync("pdfinfo", [pdf], { encoding: "utf8" });
  assert.match(info, /^Page size:.*\(A4\)$/m);
  const pages = Number(info.match(/^Pages:\s+(\d+)/m)[1]);
  assert.equal(pages, sheets.length, `one page per section: ${sheets.length} sections, ${pages} pages`);
  for (const [i, sheet] of sheets.entries()) {
    assert.ok(squeeze(pdfPageText(pdf, i + 1)).includes(squeeze(sheet.heading)), `page ${i + 1} is ${sheet.key}: ${sheet.heading}`);
  }
  return pdf;
}

test("the report opens on the viewer's region and default year, says what the API says, and prints to A4", async () => {
  const { context, page, problems } = await newPage(browser, "desktop");
  try {
    await signIn(page, "/report/");
    const board = await apiBoard("region=542500");
    assert.equal(await page.locator("#p-region").inputValue(), "542500");
    assert.equal(await page.locator("#p-year").inputValue(), String(board.year));
    assert.equal(new URL(page.url()).search, `?region=542500&year=${board.year}`);
    const title = `阿里地区 ${board.year} 年度农业废弃物资源化利用情况报告`;
    assert.equal((await page.locator(".sheet h1").textContent()).trim(), title);

    // The summary: every indicator, the targeted four first, each status the API's, with
    // icon and word; the previous year's change as the API's estimates give it.
    const region = board.rows.find((r) => r.code === "542500");
    const keys = await page.$$eval("#summary-table tbody tr", (rows) => rows.map((r) => r.dataset.indicator));
    assert.deepEqual(keys, ALL_INDICATORS);
    for (const key of ALL_INDICATORS) {
      const a = region.cells[key];
      const row = page.locator(`#summary-table tr[data-indicator="${key}"]`);
      assert.equal(await row.locator(".status-cell").getAttribute("data-status"), a.status, key);
      assert.match((await row.locator(".status").textContent()).trim(), /^[✓≈↗✕?!–]\S/u, key);
      if (a.previous?.rate != null && a.estimate?.rate != null) {
        const change = Number(await row.locator(".change").getAttribute("data-change-pp"));
        assert.ok(Math.abs(change - (a.estimate.rate - a.previous.rate) * 100) < 1e-9, key);
      }
      if (a.target) assert.match(await row.textContent(), new RegExp(`${a.target.year} 年`), key);
    }
    assert.ok(BOARD_INDICATORS.some((key) => ["met", "likely", "on_track", "behind"].includes(region.cells[key].status)), "the demo data give judgements");
    const plan = await page.locator('[data-meta="meta_plan"]').textContent();
    assert.ok(plan.includes(region.plan.name_zh) && plan.includes(`属${region.plan.phase.name_zh}`), plan);
    assert.equal(await page.locator('[data-meta="meta_households"]').textContent(), `${region.households.toLocaleString("zh-CN")} 户`);

    // Every row of the board (the region, its counties, the pilot group), every status.
    const rowKeys = await page.$$eval("#county-table tbody tr", (rows) => rows.map((r) => r.dataset.key));
    assert.deepEqual(rowKeys, board.rows.map((r) => r.code));
    assert.ok(rowKeys.includes("ali-input-recovery-pilot"));
    for (const row of board.rows) {
      for (const key of BOARD_INDICATORS) {
        const cell = page.locator(`#county-table tr[data-key="${row.code}"] td[data-indicator="${key}"]`);
        assert.equal(await cell.getAttribute("data-status"), row.cells[key].status, `${row.code} ${key}`);
      }
    }

    // Charts: per targeted indicator the bars by county and the trend, the server's SVG.
    for (const key of BOARD_INDICATORS) {
      const sheet = page.locator(`.sheet[data-sheet="chart-${key}"]`);
      assert.equal(await sheet.locator('figure[data-chart="indicator_by_region"] svg').count(), 1, key);
      assert.equal(await sheet.locator('figure[data-chart="trend"] svg').count(), 1, key);
      assert.ok(Number(await sheet.locator("svg").first().getAttribute("width")) > 0);
    }
    // The notes name what was left out, as the API counts it.
    const provenance = region.indicators.provenance;
    const estimatedNotes = await page.locator("#estimated-notes").textContent();
    if (provenance.straw_crops_excluded > 0) assert.match(estimatedNotes, new RegExp(`${provenance.straw_crops_excluded} 条作物记录未计入`));
    assert.match(await page.locator("#quality-notes").textContent(), /少于 30 户/);

    await screenshot(page, "report-desktop");

    // Printed: one A4 page per section, in order; page 1 has the title and every indicator.
    const pdf = await printed(page, "report-542500.pdf");
    const first = squeeze(pdfPageText(pdf, 1));
    assert.ok(first.includes(squeeze(title)), "page 1 has the title");
    for (const name of NAMES_ZH) assert.ok(first.includes(squeeze(name)), `page 1 names ${name}`);
    const words = { met: "已达标", likely: "基本达标", on_track: "按期可达", behind: "落后", insufficient: "数据不足", implausible: "数据异常", no_target: "无目标" };
    for (const key of ALL_INDICATORS) assert.ok(first.includes(words[region.cells[key].status]), `page 1 has ${key}'s status`);
    assert.ok(/[✓≈↗✕?!–]/u.test(first), "the statuses print with their icons");
    // The page as printed, to look at.
    execFileSync("pdftoppm", ["-png", "-r", "60", pdf, path.join(screenshotDir, "report-542500-page")]);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("the pickers change the report and its address; the report reads in English", async () => {
  const { context, page, problems } = await newPage(browser, "desktop");
  try {
    const board = await apiBoard("region=542500");
    const earlier = board.years.filter((y) => y.year < board.year).at(-1).year;
    await signIn(page, `/report/?region=542500&year=${earlier}`);
    assert.equal(await page.locator("#p-year").inputValue(), String(earlier));
    const old = await apiBoard(`region=542500&year=${earlier}`);
    assert.equal(await page.locator('#summary-table tr[data-indicator="film_recovery_rate"] .status-cell').getAttribute("data-status"), old.rows[0].cells.film_recovery_rate.status);
    // A county: its own figures, its statuses, the target it inherits said so, no bars by county.
    const renders = Number(await page.locator("body").getAttribute("data-renders"));
    await page.locator("#p-region").selectOption("542523");
    await page.locator(`body[data-renders="${renders + 1}"][data-state=ready]`).waitFor();
    assert.match(page.url(), /region=542523/);
    const county = await apiBoard(`region=542523&year=${earlier}`);
    assert.match(await page.locator(".sheet h1").textContent(), new RegExp(`噶尔县 ${earlier} 年度`));
    for (const key of BOARD_INDICATORS) {
      assert.equal(await page.locator(`#summary-table tr[data-indicator="${key}"] .status-cell`).getAttribute("data-status"), county.rows[0].cells[key].status, key);
    }
    assert.match(await page.locator('#summary-table tr[data-indicator="film_recovery_rate"]').textContent(), /继承自上级地区 阿里地区/);
    assert.equal(await page.locator('figure[data-chart="indicator_by_region"]').count(), 0);
    assert.equal(await page.locator('figure[data-chart="trend"] svg').count(), 4);
    // English: the title, the statuses' words, the charts drawn in English.
    await page.locator("#lang").click();
    await page.locator(`body[data-renders="${renders + 2}"][data-state=ready]`).waitFor();
    assert.match(await page.locator(".sheet h1").textContent(), new RegExp(`Gar County: agricultural waste utilization, annual report ${earlier}`));
    assert.match(await page.locator("#quality-notes").textContent(), /fewer than 30 households/);
    assert.match(await page.locator('figure[data-chart="trend"]').first().innerHTML(), /Film recovery/);
    // In English too, each section prints on its own page; page 1 names every indicator.
    const pdf = await printed(page, "report-542523-en.pdf");
    const first = squeeze(pdfPageText(pdf, 1));
    for (const name of ["Film recovery rate", "Pesticide packaging recovery rate", "Straw utilization rate", "Yak dung utilization rate"]) {
      assert.ok(first.includes(squeeze(name)), `page 1 names ${name}`);
    }
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("phone: the report fits 390 px and its tables scroll inside their own boxes", async () => {
  const { context, page, problems } = await newPage(browser, "phone");
  try {
    const board = await apiBoard("region=542500");
    await signIn(page, `/report/?region=542500&year=${board.year}`);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `page is ${width} px wide`);
    const printButton = await page.locator("#print").boundingBox();
    assert.ok(printButton.height >= 44, `the print button is ${printButton.height} px high`);
    await screenshot(page, "report-phone");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("the dashboard links to the report of its region and year", async () => {
  const { context, page, problems } = await newPage(browser, "desktop");
  try {
    await signIn(page, "/dashboard/");
    const href = await page.locator("#report-link").getAttribute("href");
    const board = await apiBoard("region=542500");
    assert.equal(href, `/report/?region=542500&year=${board.year}`);
    await page.locator("#report-link").click();
    await page.locator("body[data-state=ready]").waitFor();
    assert.equal(await page.locator("#p-year").inputValue(), String(board.year));
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
