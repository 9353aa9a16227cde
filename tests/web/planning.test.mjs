// The admin page's planning sections in real Chromium against the real server with its
// demo data: an admin sets 青稞's 草谷比 for 阿里地区 with its source, and the straw figures
// of a county with 青稞 recorded by yield only change by exactly what the ratio adds, in
// the API and on the dashboard; targets and plans follow the region picked (own,
// inherited from 阿里地区, national, the manure proxy for yak dung, 无目标), a target set
// in the page is listed and audited; county groups are created, changed and deleted,
// the shipped pilot group is not; refused changes show the server's words next to the
// field and change nothing. Screenshots of the targets section at 1366 and 390 px.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startServer, launchBrowser, newPage, screenshot, screenshotDir } from "./harness.mjs";

const ALI = "542500";
const YEAR = 2025;
const STRAW = "straw_utilization_rate";
const USES = ["fertilizer_kg", "feed_kg", "substrate_kg", "fuel_kg", "raw_material_kg"];
const RATIO = 1.3;
// Demo mode gives its own "admin" a new password at every start: the test's admin is
// another one.
const ADMIN = "bureau-admin";

let server;
let browser;
let reviewer;

before(async () => {
  [server, browser] = await Promise.all([startServer({ args: ["--demo-data"], adminUsername: ADMIN }), launchBrowser()]);
  reviewer = await server.createUser({ role: "reviewer", scope: ALI });
});

after(async () => {
  await Promise.allSettled([browser?.close(), server?.stop()]);
});

const pct = new Intl.NumberFormat("zh-CN", { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });

async function signInAdmin(page) {
  await page.goto(server.url("/admin/"));
  await page.locator("body[data-state=signin]").waitFor();
  await page.locator("#signin input[name=username]").fill(ADMIN);
  await page.locator("#signin input[name=password]").fill(server.adminPassword);
  await page.locator("#signin button[type=submit]").click();
  await page.locator("body[data-state=ready]").waitFor();
  // Deletions ask first; the admin says yes.
  page.on("dialog", (dialog) => dialog.accept());
}

/** A crop whose straw was neither weighed nor counted: only its yield is known. */
const yieldOnly = (crop) =>
  crop.straw_kg == null && crop.yield_kg != null &&
  !Object.entries(crop).some(([k, v]) => k.startsWith("straw_") && k !== "straw_kg" && v != null);

/**
 * What the counted surveys of `year` in each Ali county hold in 青稞 crops with their
 * yield only: their number, `Σ w · yield` and `Σ w · uses`, read from the surveys
 * themselves (not from any figure the server computed).
 */
async function barleyByYieldOnly(year) {
  const surveys = await server.listSurveys({ region: ALI, year: String(year) });
  const byCounty = new Map();
  for (const s of surveys.filter((s) => s.review.counts)) {
    const w = s.survey.weight ?? 1;
    for (const crop of s.survey.straw ?? []) {
      if (crop.crop !== "highland_barley" || !yieldOnly(crop)) continue;
      const c = byCounty.get(s.survey.county_code) ?? { crops: 0, yieldKg: 0, usedKg: 0 };
      c.crops += 1;
      c.yieldKg += w * crop.yield_kg;
      c.usedKg += w * USES.reduce((sum, k) => sum + (crop[k] ?? 0), 0);
      byCounty.set(s.survey.county_code, c);
    }
  }
  return byCounty;
}

/** The straw figures of Ali's counties in `year`, as /api/v1/indicators reports them. */
async function strawByCounty(year) {
  const res = await server.request("GET", `/api/v1/indicators?level=county&region=${ALI}&year=${year}&indicator=${STRAW}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return new Map(res.body.groups.map((g) => [g.region_code, { ...g.indicators[STRAW], excluded: g.provenance.straw_crops_excluded }]));
}

/** The straw rate the dashboard shows for `county` in `year` (signed in as the reviewer). */
async function dashboardStraw(county, year) {
  const { context, page } = await newPage(browser, "desktop");
  try {
    await page.goto(server.url("/dashboard/"));
    await page.locator("body[data-state=signin]").waitFor();
    await page.locator("#signin input[name=username]").fill(reviewer.username);
    await page.locator("#signin input[name=password]").fill(reviewer.password);
    await page.locator("#signin button[type=submit]").click();
    await page.locator("body[data-state=ready]").waitFor();
    for (const [select, value] of [["#f-indicator", STRAW], ["#f-from", String(year)], ["#f-to", String(year)]]) {
      if ((await page.locator(select).inputValue()) === value) continue;
      const recomputes = Number(await page.locator("body").getAttribute("data-recomputes"));
      await page.locator(select).selectOption(value);
      await page.locator(`body[data-recomputes="${recomputes + 1}"]`).waitFor();
    }
    const row = page.locator(`.chart[data-chart="by_region"] tbody tr[data-key="${county}"]`);
    return { text: await row.locator("td").nth(2).textContent(), value: Number(await row.locator("td").nth(2).getAttribute("data-value")) };
  } finally {
    await context.close();
  }
}

/** Waits for the audit table to show a row of `action` on `entityId`. */
async function auditRow(page, action, entityId) {
  await page.locator(`#audit-table tr[data-action="${action}"][data-entity-id="${entityId}"]`).waitFor();
}

test("an admin sets 青稞's 草谷比 for 阿里地区 with its source; the straw figures change accordingly, in the API and on the dashboard", async () => {
  // The county whose 2025 surveys hold the most 青稞 recorded by yield only.
  const barley = await barleyByYieldOnly(YEAR);
  const [county, expected] = [...barley].sort((a, b) => b[1].crops - a[1].crops)[0] ?? [];
  assert.ok(county && expected.crops >= 2, `the demo data has 青稞 recorded by yield only in an Ali county (${JSON.stringify([...barley])})`);
  const before = (await strawByCounty(YEAR)).get(county);
  assert.ok(before.excluded >= expected.crops, `the county's 青稞 crops are left out before (${before.excluded})`);
  const shownBefore = await dashboardStraw(county, YEAR);
  assert.equal(shownBefore.text, pct.format(before.rate));
  const entriesBefore = (await server.request("GET", "/api/v1/coefficients")).body;
  const collectable = (await server.request("GET", `/api/v1/coefficients/applicable?region=${county}&year=${YEAR}`))
    .body.coefficients.find((c) => c.key === "all").value;

  const { context, page, problems } = await newPage(browser, "desktop");
  try {
    await signInAdmin(page);
    const section = page.locator("#coefficients");
    await section.locator("#c-region").selectOption(ALI);
    const barleyRow = section.locator('#coef-applicable-table tr[data-kind="straw_grain_ratio"][data-key="highland_barley"]');
    await barleyRow.waitFor();
    const year = await section.locator("#c-year").inputValue();
    await section.locator("#coef-applies-heading", { hasText: `阿里地区 ${year} 年调查使用的系数` }).waitFor();
    // 青稞, 玉米 and 豌豆/蚕豆 have no confirmed source; the others have one.
    for (const crop of ["highland_barley", "corn", "pea_broad_bean"]) {
      const row = section.locator(`#coef-applicable-table tr[data-key="${crop}"]`);
      assert.equal(await row.locator(".coef-value").textContent(), "未设定(无可靠来源)");
      assert.match(await row.textContent(), /未确认/);
    }
    assert.match(await section.locator('#coef-applicable-table tr[data-key="spring_wheat"]').textContent(), /草谷比 · 春小麦1\.06.*已确认.*全国默认/);

    // Set, without a source first: the server's reason next to the source, nothing stored.
    await barleyRow.locator("[data-action=set]").click();
    const form = section.locator("#coef-form");
    assert.equal(await form.locator("[name=region_code]").inputValue(), ALI);
    assert.equal(await form.locator("[name=key]").inputValue(), "highland_barley");
    await form.locator("[name=valid_from]").fill("2023");
    await form.locator("[name=value]").fill(String(RATIO));
    await form.locator("#coef-save").click();
    await form.locator("#coef-err-source", { hasText: "请注明系数来源" }).waitFor();
    assert.equal(await form.locator("[name=source]").getAttribute("aria-invalid"), "true");
    assert.deepEqual((await server.request("GET", "/api/v1/coefficients")).body, entriesBefore, "a refused edit changes nothing");
    // A slipped decimal point is refused too, in words.
    await form.locator("[name=source]").fill("阿里地区农业农村局 2026 年青稞实测");
    await form.locator("[name=value]").fill("13");
    await form.locator("#coef-save").click();
    await form.locator("#coef-err-value", { hasText: "草谷比须在 0–10 之间" }).waitFor();
    assert.deepEqual((await server.request("GET", "/api/v1/coefficients")).body, entriesBefore);

    await form.locator("[name=value]").fill(String(RATIO));
    await form.locator("#coef-save").click();
    const aliSurveys = (await server.listSurveys({ region: ALI })).filter((s) => Number(s.survey.surveyed_on.slice(0, 4)) >= 2023);
    await section.locator("#coef-status", { hasText: `✓ 已保存:阿里地区 · 青稞草谷比 = 1.3(自 2023 年起),已重算 ${aliSurveys.length} 份调查` }).waitFor();
    assert.ok(await form.isHidden());
    await section.locator('#coef-applicable-table tr[data-key="highland_barley"][data-confirmed="true"]').waitFor();
    assert.match(await barleyRow.textContent(), /1\.3.*已确认.*本局设定.*阿里地区农业农村局 2026 年青稞实测.*本地区/);
    await section.locator(`#coef-table tr[data-region="${ALI}"][data-key="highland_barley"][data-valid-from="2023"]`).waitFor();
    await auditRow(page, "coefficient.set", `${ALI}/2023/straw_grain_ratio/highland_barley`);
    await section.screenshot({ path: path.join(screenshotDir, "admin-coefficients-section-desktop.png") });
    const stored = (await server.request("GET", "/api/v1/coefficients")).body
      .find((c) => c.region_code === ALI && c.key === "highland_barley");
    assert.deepEqual([stored.value, stored.valid_from, stored.status, stored.updated_by], [RATIO, 2023, "set by bureau", ADMIN]);

    // The county's straw figures: the yield-only 青稞 now counts on both sides, by exactly
    // yield × 草谷比 × 收集系数 and its uses, and nothing else moved.
    const after = (await strawByCounty(YEAR)).get(county);
    const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
    assert.ok(close(after.weighted_denominator - before.weighted_denominator, expected.yieldKg * RATIO * collectable),
      `denominator ${before.weighted_denominator} -> ${after.weighted_denominator}, expected +${expected.yieldKg * RATIO * collectable}`);
    assert.ok(close(after.weighted_numerator - before.weighted_numerator, expected.usedKg),
      `numerator ${before.weighted_numerator} -> ${after.weighted_numerator}, expected +${expected.usedKg}`);
    assert.equal(after.excluded, before.excluded - expected.crops);
    assert.notEqual(after.rate, before.rate);
    const shownAfter = await dashboardStraw(county, YEAR);
    assert.equal(shownAfter.text, pct.format(after.rate));
    assert.ok(Math.abs(shownAfter.value - after.rate) < 1e-12);
    assert.notEqual(shownAfter.value, shownBefore.value, "the dashboard's straw figure for the county changed");

    // English follows the switch, the API's messages included.
    await page.locator("#lang").click();
    assert.match(await section.locator("#coef-status").textContent(), /Saved: Ngari \(Ali\) Prefecture · Straw-to-grain ratio of highland barley = 1\.3 \(from 2023\)/);
    assert.match(await section.locator('#coef-applicable-table tr[data-key="corn"] .coef-value').textContent(), /not set \(no confirmed source\)/);
    await page.locator("#lang").click();
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("targets and plans follow the region picked; a target set in the page is listed and audited, then changed and deleted", async () => {
  const { context, page, problems } = await newPage(browser, "desktop");
  try {
    await signInAdmin(page);
    const section = page.locator("#targets");
    const row = (indicator) => section.locator(`#applicable-table tr[data-indicator="${indicator}"]`);
    const originOf = async (indicator) => (await row(indicator).locator(".origin").textContent()).trim();

    // 噶尔县: Ali's plan and phases, Ali's film target, the national straw target.
    await section.locator("#t-region").selectOption("542523");
    await section.locator("#plan-box[data-plan='542500']").waitFor();
    await section.locator("#applies-heading", { hasText: "噶尔县" }).waitFor();
    assert.match(await section.locator("#plan-box").textContent(), /阿里地区“无废城市”建设实施方案.*2023–2030 年.*跟随上级地区 阿里地区 的规划/);
    assert.deepEqual(await section.locator("#phases-table tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.phase)), ["baseline", "near", "mid", "long"]);
    await section.locator("#t-year").fill("2026");
    await section.locator("#t-year").dispatchEvent("change");
    await section.locator("#phases-table tr.current[data-phase=mid]").waitFor();
    assert.equal(await originOf("film_recovery_rate"), "继承自上级地区 阿里地区");
    assert.equal(await row("film_recovery_rate").locator(".target-value").textContent(), "不低于 90%(2030 年)");
    assert.equal(await originOf(STRAW), "全国目标代用");
    assert.equal(await originOf("yak_dung_utilization_rate"), "继承自上级地区 阿里地区");
    assert.equal(await row("degradable_film_share").locator(".target-value").textContent(), "无目标");
    assert.equal(await originOf("degradable_film_share"), "无目标:本地区、上级地区和全国均未设定");
    assert.equal(await row("degradable_film_share").locator("[data-action=set]").textContent(), "设定目标");
    // The same in English, the API's words included.
    await page.locator("#lang").click();
    assert.equal(await originOf("film_recovery_rate"), "inherited from the enclosing region Ngari (Ali) Prefecture");
    assert.equal(await originOf(STRAW), "the national target, used as a proxy");
    assert.equal(await row("film_recovery_rate").locator(".target-value").textContent(), "at least 90% by 2030");
    assert.match(await section.locator("#plan-box").textContent(), /Ali zero-waste city plan 2024–2030.*follows the plan of the enclosing region Ngari \(Ali\) Prefecture/);
    await page.locator("#lang").click();
    assert.equal(await originOf("film_recovery_rate"), "继承自上级地区 阿里地区");

    // 城东区 (西宁): Qinghai's own 14th five-year period, yak dung by the manure proxy.
    await section.locator("#t-region").selectOption("630102");
    await section.locator("#plan-box[data-plan='630000']").waitFor();
    assert.match(await section.locator("#plan-box").textContent(), /青海省人民政府办公厅关于加强“十四五”时期“无废城市”建设工作的指导意见.*2021–2025 年/);
    assert.equal(await section.locator("#phases-table tbody tr").count(), 1);
    await section.locator("#applies-heading", { hasText: "城东区" }).waitFor();
    assert.equal(await originOf("yak_dung_utilization_rate"), "以全国畜禽粪污综合利用率目标代用");
    assert.match(await originOf("pesticide_packaging_recovery_rate"), /^无目标/);
    // Tibet as a whole is under no plan, and says so rather than borrowing Ali's.
    await section.locator("#t-region").selectOption("540000");
    await section.locator("#plan-box[data-plan='']").waitFor();
    assert.match(await section.locator("#plan-box").textContent(), /均无规划/);

    // 阿里地区 sets its own 2030 straw target: a missing source is refused next to it.
    await section.locator("#t-region").selectOption(ALI);
    await section.locator("#plan-box[data-plan='542500']").waitFor();
    await section.locator("#applies-heading", { hasText: "阿里地区" }).waitFor();
    assert.equal(await originOf("film_recovery_rate"), "本地区目标");
    const targetsBefore = (await server.request("GET", "/api/v1/targets")).body;
    await row(STRAW).locator("[data-action=set]").click();
    const form = section.locator("#target-form");
    assert.equal(await form.locator("[name=indicator]").inputValue(), STRAW);
    assert.equal(await form.locator("#target-form-title").textContent(), "为 阿里地区 设定目标");
    await form.locator("[name=year]").fill("2030");
    await form.locator("[name=target]").fill("90");
    await form.locator("#target-save").click();
    await form.locator("#target-err-source", { hasText: "请注明目标来源" }).waitFor();
    await form.locator("[name=target]").fill("150");
    await form.locator("[name=source]").fill("阿里地区“无废城市”实施方案 任务 18(测试)");
    await form.locator("#target-save").click();
    await form.locator("#target-err-target", { hasText: "目标值须在 0% 到 100% 之间" }).waitFor();
    assert.equal(await form.locator("#target-err-source").textContent(), "");
    assert.deepEqual((await server.request("GET", "/api/v1/targets")).body, targetsBefore, "refused: nothing stored");

    await form.locator("[name=target]").fill("90");
    await form.locator("#target-save").click();
    await section.locator("#target-status", { hasText: "✓ 已保存目标:阿里地区 · 秸秆综合利用率 · 不低于 90%(2030 年)" }).waitFor();
    await section.locator(`#applicable-table tr[data-indicator="${STRAW}"][data-origin="own"]`).waitFor();
    assert.equal(await originOf(STRAW), "本地区目标");
    const own = section.locator(`#own-targets-table tr[data-indicator="${STRAW}"][data-year="2030"]`);
    assert.ok((await own.textContent()).startsWith(`秸秆综合利用率2030不低于 90%阿里地区“无废城市”实施方案 任务 18(测试)${ADMIN}`), await own.textContent());
    const stored = (await server.request("GET", "/api/v1/targets")).body.find((tg) => tg.region_code === ALI && tg.indicator === STRAW);
    assert.deepEqual([stored.target, stored.year, stored.comparison, stored.updated_by], [0.9, 2030, "at_least", ADMIN]);
    await auditRow(page, "target.set", `${ALI}/${STRAW}/2030`);
    // Its counties inherit it now.
    const gar = (await server.request("GET", `/api/v1/targets/applicable?region=542523&year=2026`)).body.targets.find((r) => r.indicator === STRAW);
    assert.equal(gar.origin_zh, "继承自上级地区 阿里地区");
    await screenshot(page, "admin-targets-desktop");
    await section.screenshot({ path: path.join(screenshotDir, "admin-targets-section-desktop.png") });

    // Changed from the own-targets table, then deleted: each audited.
    await own.locator("[data-action=edit]").click();
    assert.equal(await form.locator("[name=target]").inputValue(), "90");
    assert.equal(await form.locator("[name=year]").getAttribute("readonly"), "");
    await form.locator("[name=target]").fill("92.5");
    await form.locator("#target-save").click();
    await section.locator("#target-status", { hasText: "不低于 92.5%(2030 年)" }).waitFor();
    const changed = (await server.request("GET", "/api/v1/targets")).body.find((tg) => tg.region_code === ALI && tg.indicator === STRAW);
    assert.equal(changed.target, 0.925);
    await own.locator("[data-action=delete]").click();
    await section.locator("#target-status", { hasText: "✓ 已删除目标:阿里地区 · 秸秆综合利用率 · 2030 年" }).waitFor();
    await auditRow(page, "target.delete", `${ALI}/${STRAW}/2030`);
    assert.equal((await server.request("GET", "/api/v1/targets")).body.find((tg) => tg.region_code === ALI && tg.indicator === STRAW), undefined);
    assert.equal(await originOf(STRAW), "全国目标代用");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("county groups: an admin creates, changes and deletes one; the shipped pilot group cannot be changed", async () => {
  const { context, page, problems } = await newPage(browser, "desktop");
  try {
    await signInAdmin(page);
    const section = page.locator("#groups");
    const pilot = section.locator('#groups-table tr[data-code="ali-input-recovery-pilot"]');
    await pilot.waitFor();
    assert.match(await pilot.textContent(), /阿里地区农业投入品回收试点县.*普兰县、札达县、日土县、噶尔县.*阿里地区.*系统内置,不可修改/);
    assert.equal(await pilot.locator("button").count(), 0, "no edit or delete for the shipped group");

    await section.locator("#new-group").click();
    const form = section.locator("#group-form");
    await form.locator("[name=code]").fill("ali-east");
    await form.locator("[name=name_zh]").fill("阿里东部县");
    await form.locator("[name=name_en]").fill("Eastern Ali counties");
    await form.locator('[name=members][value="542525"]').check();
    await form.locator("#group-save").click();
    await form.locator("#group-err-members", { hasText: "一个分组至少需要两个县" }).waitFor();
    assert.equal(await form.locator("fieldset.counties").getAttribute("aria-invalid"), "true");
    assert.equal((await server.request("GET", "/api/v1/groups")).body.length, 1, "refused: nothing stored");

    await form.locator('[name=members][value="542526"]').check();
    await form.locator('[name=members][value="542527"]').check();
    await form.locator("#group-save").click();
    await section.locator("#group-status", { hasText: "✓ 已保存分组:阿里东部县(3 个县)" }).waitFor();
    const created = section.locator('#groups-table tr[data-code="ali-east"]');
    assert.match(await created.textContent(), /阿里东部县Eastern Ali counties革吉县、改则县、措勤县阿里地区/);
    const stored = (await server.request("GET", "/api/v1/groups")).body.find((g) => g.code === "ali-east");
    assert.deepEqual([stored.members, stored.enclosing_region, stored.built_in], [["542525", "542526", "542527"], ALI, false]);
    await auditRow(page, "group.create", "ali-east");
    await section.screenshot({ path: path.join(screenshotDir, "admin-groups-section-desktop.png") });

    // A code already taken is refused next to the code.
    await section.locator("#new-group").click();
    await form.locator("[name=code]").fill("ali-input-recovery-pilot");
    await form.locator("[name=name_zh]").fill("重复");
    await form.locator("[name=name_en]").fill("duplicate");
    await form.locator('[name=members][value="542525"]').check();
    await form.locator('[name=members][value="542526"]').check();
    await form.locator("#group-save").click();
    await form.locator("#group-err-code", { hasText: "已被另一个分组使用" }).waitFor();
    await section.locator("#group-cancel").click();

    await created.locator("[data-action=edit]").click();
    assert.equal(await form.locator("[name=code]").getAttribute("readonly"), "");
    await form.locator('[name=members][value="542527"]').uncheck();
    await form.locator("[name=name_zh]").fill("阿里东部两县");
    await form.locator("#group-save").click();
    await section.locator("#group-status", { hasText: "✓ 已保存分组:阿里东部两县(2 个县)" }).waitFor();
    await auditRow(page, "group.update", "ali-east");
    assert.deepEqual((await server.request("GET", "/api/v1/groups")).body.find((g) => g.code === "ali-east").members, ["542525", "542526"]);

    await section.locator('#groups-table tr[data-code="ali-east"] [data-action=delete]').click();
    await section.locator("#group-status", { hasText: "✓ 已删除分组:阿里东部两县" }).waitFor();
    await auditRow(page, "group.delete", "ali-east");
    assert.deepEqual((await server.request("GET", "/api/v1/groups")).body.map((g) => g.code), ["ali-input-recovery-pilot"]);
    assert.equal(await section.locator('#groups-table tr[data-code="ali-east"]').count(), 0);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("phone: the planning sections fit 390 px, every control can be tapped, and the targets section is screenshotted", async () => {
  const { context, page, problems } = await newPage(browser, "phone");
  try {
    await signInAdmin(page);
    await page.locator("#t-region").selectOption("542523");
    await page.locator("#plan-box[data-plan='542500']").waitFor();
    await page.locator("#applies-heading", { hasText: "噶尔县" }).waitFor();
    // Open the forms too, so their fields are measured.
    await page.locator('#applicable-table tr[data-indicator="degradable_film_share"] [data-action=set]').click();
    await page.locator("#new-group").click();
    await page.locator('#coef-applicable-table tr[data-key="corn"] [data-action=set]').click();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling at 390 px (${overflow} px too wide)`);
    // Every visible button, select, input and checkbox label of the sections: 44 px tall.
    const small = await page.evaluate(() => {
      const out = [];
      for (const node of document.querySelectorAll(":is(#targets, #coefficients, #groups) :is(button, select, input:not([type=checkbox]), label.check)")) {
        const box = node.getBoundingClientRect();
        if (box.width === 0 && box.height === 0) continue;
        if (box.height < 44) out.push(`${node.tagName}#${node.id || node.name || node.textContent.trim().slice(0, 20)}: ${box.height}`);
      }
      return out;
    });
    assert.deepEqual(small, [], "tap targets under 44 px");
    // Wide tables scroll inside their own box, not the page.
    const tables = await page.evaluate(() => [...document.querySelectorAll("#targets .table-wrap, #coefficients .table-wrap, #groups .table-wrap")]
      .map((w) => w.getBoundingClientRect().right));
    assert.ok(tables.every((right) => right <= 390), JSON.stringify(tables));
    await page.locator("#target-cancel").click();
    await page.locator("#targets").evaluate((s) => s.scrollIntoView({ block: "start" }));
    await page.screenshot({ path: path.join(screenshotDir, "admin-targets-section-phone.png") });
    await screenshot(page, "admin-planning-phone");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
