// Straw a technician counted, and straw the figures leave out, as a bureau reads them in
// real Chromium against the real server: the dashboard says under the straw chart how many
// crop records are left out and which crops lack a 草谷比 (in Chinese and English, on a
// 390 px phone), the sentence follows a ratio an admin sets, and the review page shows a
// counted crop's count. Screenshots go to tests/web/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, newPage, screenshot, sampleSurvey } from "./harness.mjs";

let server;
let browser;
let reviewer;

const strawOnly = (county, crop) => sampleSurvey({
  county_code: county, surveyed_on: "2025-09-01", film: undefined, pesticide_packaging: undefined, yak_dung: undefined, straw: [crop],
});
// 青稞 counted: 24 bundles of 12.5 kg, 250 kg used.
const counted = strawOnly("542523", {
  crop: "highland_barley", yield_kg: 900, straw_count: { unit: "bundle", count: 24, kg_each: 12.5 }, fertilizer_kg: 100, feed_kg: 150,
});
const yieldOnly = (county, crop) => strawOnly(county, { crop, yield_kg: 1000, feed_kg: 500 });

before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  // Two yield-only 青稞 (no ratio shipped) in 噶尔县, one yield-only 玉米 in 日土县: three
  // crop records left out; the counted 青稞 counts.
  await server.seedSurveys([counted, yieldOnly("542523", "highland_barley"), yieldOnly("542523", "highland_barley"), yieldOnly("542524", "corn")]);
  reviewer = await server.createUser({ role: "reviewer", scope: "542500" });
});

after(async () => {
  await Promise.allSettled([browser?.close(), server?.stop()]);
});

async function signIn(page, path) {
  await page.goto(server.url(path));
  await page.locator("body[data-state=signin]").waitFor();
  await page.locator("#signin input[name=username]").fill(reviewer.username);
  await page.locator("#signin input[name=password]").fill(reviewer.password);
  await page.locator("#signin button[type=submit]").click();
  await page.locator("body[data-state=ready]").waitFor();
}

test("phone: under the straw chart, the crop records left out and the crops without a 草谷比; an admin's ratio takes 青稞 off the list", async () => {
  const { context, page, problems } = await newPage(browser, "phone");
  try {
    await signIn(page, "/dashboard/");
    const note = page.locator('.chart[data-chart="straw_uses"] #straw-left-out');
    await note.waitFor();
    assert.equal(await note.textContent(), "未计入 3 条作物记录:青稞、玉米尚无草谷比,且未称重或计数。管理员可在「系数」中设定。");
    // What the API says for the same region and year.
    const api = await server.request("GET", "/api/v1/indicators?level=prefecture&region=542500&year=2025", { token: reviewer.token });
    assert.deepEqual(api.body.groups[0].provenance.straw_crops_left_out, { highland_barley: 2, corn: 1 });
    assert.equal(api.body.groups[0].provenance.straw_counted_kg, 300);
    const [scrollWidth, innerWidth] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    assert.ok(scrollWidth <= innerWidth, `${scrollWidth} > ${innerWidth}`);
    await screenshot(page, "dashboard-straw-left-out-phone");
    await page.locator("#lang").click();
    await note.filter({ hasText: "3 crop records are not counted: no straw-to-grain ratio yet for highland barley, corn" }).waitFor();
    await page.locator("#lang").click();

    // 噶尔县's bureau confirms 青稞's ratio from 2025: only 玉米 (日土县) is left out.
    const set = await server.request("PUT", "/api/v1/coefficients/542523/2025/straw_grain_ratio/highland_barley", {
      body: { value: 1.2, source: "噶尔县农业农村局 2025 实测" }, token: server.adminToken,
    });
    assert.equal(set.status, 201, JSON.stringify(set.body));
    await page.reload();
    await page.locator("body[data-state=ready]").waitFor();
    await note.filter({ hasText: "未计入 1 条作物记录:玉米尚无草谷比" }).waitFor();
    // 日土县 alone: nothing its straw figures leave out is 青稞.
    const before = Number(await page.locator("body").getAttribute("data-recomputes"));
    await page.locator("#f-region").selectOption("542523");
    await page.locator(`body[data-recomputes="${before + 1}"]`).waitFor();
    assert.equal(await note.isHidden(), true);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("desktop: the review page shows a counted crop's unit, count and weight of one", async () => {
  const { context, page, problems } = await newPage(browser, "desktop");
  try {
    await signIn(page, "/review/");
    await page.goto(server.url(`/review/#survey/${counted.id}`));
    await page.locator("#detail-view:not([hidden]) #detail-sections table.values").first().waitFor();
    const row = (path) => page.locator(`#detail-sections tr[data-path="${path}"]`).textContent();
    assert.equal(await row("straw[0].straw_count.unit"), "计数方式按捆");
    assert.equal(await row("straw[0].straw_count.count"), "捆数或车数24");
    assert.equal(await row("straw[0].straw_count.kg_each"), "每捆或每车重量12.5 公斤");
    assert.equal(await row("straw[0].straw_kg"), "可收集秸秆量(实测)未记录");
    await screenshot(page, "review-straw-counted-desktop");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
