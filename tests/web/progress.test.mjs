// The progress board, the dashboard's first view, on the demo data in real Chromium: it
// opens on the latest finished year with enough households (two surveys dated today do
// not make the year in progress the latest result), every county a row with status told
// by word and icon, the statuses equal /api/v1/progress (the browser computes the board
// in WASM from the same sums), the pilot counties as a group, and changing the region
// changes the targets (and where they come from) and the plan phases.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, newPage, screenshot, sampleSurvey, todayInChina } from "./harness.mjs";

let server;
let browser;
let viewer;

before(async () => {
  [server, browser] = await Promise.all([startServer({ args: ["--demo-data"], adminUsername: "harness-admin" }), launchBrowser()]);
  // The finding: two surveys dated today in 普兰 must not make this year the board's.
  await server.seedSurveys([
    sampleSurvey({ county_code: "542521", surveyed_on: todayInChina(), household: "HH-today-1" }),
    sampleSurvey({ county_code: "542521", surveyed_on: todayInChina(), household: "HH-today-2" }),
  ]);
  // An admin sees every region: Ali and Qinghai on one board.
  viewer = await server.createUser({ role: "admin" });
});

after(async () => {
  await Promise.allSettled([browser?.close(), server?.stop()]);
});

async function signIn(page) {
  await page.goto(server.url("/dashboard/"));
  await page.locator("body[data-state=signin]").waitFor();
  await page.locator("#signin input[name=username]").fill(viewer.username);
  await page.locator("#signin input[name=password]").fill(viewer.password);
  await page.locator("#signin button[type=submit]").click();
  await page.locator("body[data-state=ready]").waitFor();
}

async function choose(page, select, value) {
  const before = Number(await page.locator("body").getAttribute("data-recomputes"));
  await page.locator(select).selectOption(value);
  await page.locator(`body[data-recomputes="${before + 1}"]`).waitFor();
}

async function apiBoard(query) {
  const res = await server.request("GET", `/api/v1/progress?${query}`, { token: viewer.token });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

const thisYear = Number(todayInChina().slice(0, 4));

test("the board opens on the latest finished year and shows the demo data's statuses as the API does", async () => {
  const { context, page, problems } = await newPage(browser, "desktop");
  try {
    await signIn(page);
    const region = await page.locator("#f-region").inputValue();
    const board = await apiBoard(`region=${region}`);
    assert.ok(board.year < thisYear, `the default year ${board.year} is a finished one`);
    assert.equal(await page.locator("#f-to").inputValue(), String(board.year));
    // The year in progress is offered, labelled as such, and named in the note.
    const inProgress = page.locator(`#f-to option[value="${thisYear}"]`);
    if (region === "540000" || region === "542500") {
      assert.match(await inProgress.textContent(), /进行中/);
      assert.match(await page.locator("#board-note").textContent(), new RegExp(`${thisYear} 年尚未结束`));
    }
    assert.match(await page.locator("#board-note").textContent(), /至少有 30 户/);
    // Every row of the API's board, in order, and every status as the API says.
    const keys = await page.$$eval("#board tbody tr", (rows) => rows.map((r) => r.dataset.key));
    assert.deepEqual(keys, board.rows.map((r) => r.code));
    const seen = new Set();
    for (const row of board.rows) {
      for (const key of ["film_recovery_rate", "pesticide_packaging_recovery_rate", "straw_utilization_rate", "yak_dung_utilization_rate"]) {
        const cell = page.locator(`#board tr[data-key="${row.code}"] td[data-indicator="${key}"]`);
        const status = row.cells[key].status;
        assert.equal(await cell.getAttribute("data-status"), status, `${row.code} ${key}`);
        seen.add(status);
        // Told by word and icon, not colour alone.
        const badge = (await cell.locator(".status").textContent()).trim();
        assert.match(badge, /^[✓≈↗✕?!–]\S/u, `${row.code} ${key}: ${badge}`);
      }
    }
    // The demo data are rich enough to show judgements, not only "insufficient data".
    assert.ok([...seen].some((s) => ["met", "likely", "on_track", "behind"].includes(s)), [...seen].join());
    await screenshot(page, "progress-board-desktop");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("the pilot counties are a group with their own figures; changing the region changes targets and phases", async () => {
  const { context, page, problems } = await newPage(browser, "desktop");
  try {
    await signIn(page);
    await choose(page, "#f-region", "542500");
    const ali = await apiBoard("region=542500");
    const pilot = ali.rows.find((r) => r.kind === "group");
    assert.equal(pilot.code, "ali-input-recovery-pilot");
    assert.deepEqual([...pilot.members].sort(), ["542521", "542522", "542523", "542524"]);
    const members = ali.rows.filter((r) => pilot.members.includes(r.code));
    assert.equal(pilot.households, members.reduce((n, r) => n + r.households, 0));
    const groupRow = page.locator('#board tr[data-kind="group"]');
    assert.match(await groupRow.textContent(), /普兰县、札达县、噶尔县、日土县|普兰县/);
    // 阿里地区: its own 2030 targets and its plan's phase.
    const targets = page.locator("#board-targets");
    assert.match(await targets.locator('li[data-indicator="film_recovery_rate"]').textContent(), /90\.0%.*2030.*本地区目标/);
    assert.equal(await targets.locator(".plan").getAttribute("data-plan"), "542500");
    assert.match(await targets.locator(".plan").textContent(), /阿里地区“无废城市”建设实施方案/);
    // A county of Ali inherits the prefecture's target, said so.
    await choose(page, "#f-region", "542523");
    assert.match(await targets.locator('li[data-indicator="film_recovery_rate"]').textContent(), /继承自上级地区 阿里地区/);
    // Qinghai: national targets standing in, yak dung by the manure proxy, no pesticide
    // target, and Qinghai's own 14th five-year period, never Ali's phases.
    await choose(page, "#f-region", "630000");
    assert.match(await targets.locator('li[data-indicator="film_recovery_rate"]').textContent(), /85\.0%.*2025.*全国目标代用/);
    assert.match(await targets.locator('li[data-indicator="yak_dung_utilization_rate"]').textContent(), /畜禽粪污/);
    assert.match(await targets.locator('li[data-indicator="pesticide_packaging_recovery_rate"]').textContent(), /无目标/);
    assert.equal(await targets.locator(".plan").getAttribute("data-plan"), "630000");
    assert.doesNotMatch(await targets.textContent(), /阿里/);
    assert.equal(await page.locator('#board tr[data-kind="group"]').count(), 0, "no Ali group in Qinghai");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("phone: the board fits, scrolls inside its own box, and reads in English", async () => {
  const { context, page, problems } = await newPage(browser, "phone");
  try {
    await signIn(page);
    await choose(page, "#f-region", "542500");
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `page is ${width} px wide`);
    await screenshot(page, "progress-board-phone-zh");
    await page.locator("#lang").click();
    await page.locator("#board-heading").filter({ hasText: /Progress toward the targets/ }).waitFor();
    assert.match(await page.locator("#board-targets").textContent(), /this region's own target/);
    await screenshot(page, "progress-board-phone-en");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
