// The technician's form (/collect/) in real headless Chromium against the real server:
// sign-in (password, or a device token pasted or opened as a link), a full survey stored
// with the values typed, validation by the analytics module before anything is sent (in
// the form's labels), the offline queue synced exactly once, GPS, and photos shrunk on
// the device. Screenshots go to tests/web/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { deflateSync, crc32 } from "node:zlib";
import { join } from "node:path";
import { startServer, launchBrowser, newPage, screenshot, screenshotDir, todayInChina, sampleSurvey } from "./harness.mjs";

const COUNTY = "542523"; // 噶尔县, Ali

let server;
let browser;

before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});

after(async () => {
  await Promise.allSettled([browser?.close(), server?.stop()]);
});

/** A new technician, a new browser context at `preset`, signed in on /collect/. */
async function signedIn(preset, contextOptions = {}) {
  const tech = await server.createUser({ role: "technician", counties: [COUNTY] });
  const { context, page, problems } = await newPage(browser, preset, contextOptions);
  await page.goto(server.url("/collect"));
  assert.equal(new URL(page.url()).pathname, "/collect/");
  await page.locator("#sign-in input[name=username]").fill(tech.username);
  await page.locator("#sign-in input[name=password]").fill(tech.password);
  await page.locator("#sign-in button[type=submit]").click();
  await page.locator("#survey").waitFor();
  // Defaults: the technician's county, today's date in China, their name.
  assert.equal(await page.locator('[name="county_code"]').inputValue(), COUNTY);
  assert.equal(await page.locator('[name="surveyed_on"]').inputValue(), todayInChina());
  assert.equal(await page.locator('[name="technician"]').inputValue(), tech.username);
  return { tech, context, page, problems };
}

/** Fills the fields named by wire path. */
async function fill(page, values) {
  for (const [path, value] of Object.entries(values)) {
    const input = page.locator(`[name="${path}"]`);
    if ((await input.evaluate((node) => node.tagName)) === "SELECT") await input.selectOption(String(value));
    else await input.fill(String(value));
  }
}

async function tick(page, section) {
  await page.locator(`[name="has.${section}"]`).check();
}

/** Fills a small valid survey for `household` (film only). */
async function fillMinimal(page, household, film = { used_kg: 20, recovered_kg: 15 }) {
  await fill(page, { household, township: "狮泉河镇", village: "加木村" });
  await tick(page, "film");
  await fill(page, { "film.used_kg": film.used_kg, "film.recovered_kg": film.recovered_kg });
}

function record(page, id) {
  return page.locator(`#queue li.record[data-id="${id}"]`);
}

async function surveyId(page) {
  return page.locator("#survey").getAttribute("data-survey-id");
}

/** Waits until the record's status attribute is `status`. */
async function waitForStatus(page, id, status) {
  await page.locator(`#queue li.record[data-id="${id}"][data-status="${status}"]`).waitFor({ state: "attached" });
}

test("/collect: pretty path, manifest, service worker and icons with their content types", async () => {
  const redirect = await fetch(server.url("/collect"), { redirect: "manual" });
  assert.ok([301, 302, 307, 308].includes(redirect.status), `redirect status ${redirect.status}`);
  assert.equal(new URL(redirect.headers.get("location"), server.base).pathname, "/collect/");
  for (const [path, type] of [
    ["/collect/", "text/html"],
    ["/collect/manifest.webmanifest", "application/manifest+json"],
    ["/collect/sw.js", "javascript"],
    ["/collect/app.js", "javascript"],
    ["/collect/icons/icon-192.png", "image/png"],
    ["/collect/icons/icon-512.png", "image/png"],
    ["/collect/icons/icon.svg", "image/svg+xml"],
    ["/pkg/agriwaste_analytics_bg.wasm", "application/wasm"],
  ]) {
    const res = await fetch(server.url(path));
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get("content-type"), new RegExp(type.replace("+", "\\+")), path);
  }
  const manifest = await (await fetch(server.url("/collect/manifest.webmanifest"))).json();
  assert.equal(manifest.start_url, "/collect/");
  assert.ok(manifest.icons.some((icon) => icon.sizes === "512x512" && icon.type === "image/png"));
});

for (const preset of ["phone", "desktop"]) {
  test(`${preset}: fill every section and submit; the API has the survey with the values entered`, async () => {
    const { tech, context, page, problems } = await signedIn(preset);
    try {
      await screenshot(page, `collect-empty-${preset}`);
      const household = `HH-full-${preset}`;
      await fill(page, { household, township: "狮泉河镇", village: "加木村", "location.lat": "32.5", "location.lon": "80.1" });
      await tick(page, "film");
      await fill(page, {
        "film.used_kg": "42", "film.recovered_kg": "36.5", "film.degradable_kg": "5", "film.area_mu": "8",
        "film.thickness_mm": "0.012", "film.recovery_channel": "recovery_point",
      });
      await tick(page, "pesticide_packaging");
      await fill(page, {
        "pesticide_packaging.used_count": "30", "pesticide_packaging.returned_count": "26",
        "pesticide_packaging.return_channel": "seller",
      });
      // A crop added by mistake and removed again leaves no trace.
      await page.locator("#add-crop").click();
      await fill(page, { "straw[0].crop": "potato", "straw[0].straw_kg": "10" });
      await page.locator("#add-crop").click();
      await page.locator(".crop").first().getByRole("button", { name: "删除此作物" }).click();
      assert.equal(await page.locator(".crop").count(), 1);
      assert.equal(await page.locator('[name="straw[0].crop"]').inputValue(), "highland_barley");
      await fill(page, {
        "straw[0].crop": "spring_wheat", "straw[0].yield_kg": "1500", "straw[0].straw_kg": "1600",
        "straw[0].fertilizer_kg": "300", "straw[0].feed_kg": "900", "straw[0].fuel_kg": "150", "straw[0].discarded_kg": "50",
      });
      await tick(page, "yak_dung");
      await fill(page, {
        "yak_dung.yak_head": "25", "yak_dung.fuel_kg": "12000", "yak_dung.fertilizer_kg": "3000", "yak_dung.discarded_kg": "500",
      });
      // The dung estimate from the head count, by the analytics module.
      await page.locator('[data-estimate-for="yak_dung.produced_kg"]', { hasText: "估算" }).waitFor();
      const id = await surveyId(page);
      await screenshot(page, `collect-filled-${preset}`);
      await page.locator("#save").click();
      await waitForStatus(page, id, "sent");
      await page.locator("#save-message", { hasText: "已保存并同步" }).waitFor();

      const res = await server.request("GET", `/api/v1/surveys/${id}`, { token: tech.token });
      assert.equal(res.status, 200);
      const s = res.body.survey;
      assert.equal(s.county_code, COUNTY);
      assert.equal(s.household, household);
      assert.equal(s.township, "狮泉河镇");
      assert.equal(s.village, "加木村");
      assert.equal(s.surveyed_on, todayInChina());
      assert.equal(s.technician, tech.username);
      assert.deepEqual(s.location, { lat: 32.5, lon: 80.1 });
      assert.deepEqual(s.film, { used_kg: 42, recovered_kg: 36.5, degradable_kg: 5, area_mu: 8, thickness_mm: 0.012, recovery_channel: "recovery_point" });
      assert.deepEqual(s.pesticide_packaging, { used_count: 30, returned_count: 26, return_channel: "seller" });
      assert.deepEqual(s.straw, [{
        crop: "spring_wheat", yield_kg: 1500, straw_kg: 1600, fertilizer_kg: 300, feed_kg: 900,
        substrate_kg: 0, fuel_kg: 150, raw_material_kg: 0, burned_kg: 0, discarded_kg: 50,
      }]);
      assert.deepEqual(s.yak_dung, { yak_head: 25, fuel_kg: 12000, fertilizer_kg: 3000, other_kg: 0, discarded_kg: 500 });
      // The form is ready for the next household of the same village.
      assert.notEqual(await surveyId(page), id);
      assert.equal(await page.locator('[name="household"]').inputValue(), "");
      assert.equal(await page.locator('[name="village"]').inputValue(), "加木村");
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test(`${preset}: recovered film above used film is shown at the field before submitting, and nothing is sent`, async () => {
    const { tech, context, page, problems } = await signedIn(preset);
    const sent = [];
    page.on("request", (request) => {
      // Reading the technician's own surveys (the "my surveys" list) is not sending one.
      if (request.url().includes("/api/v1/surveys") && request.method() !== "GET") sent.push(`${request.method()} ${request.url()}`);
    });
    try {
      await fillMinimal(page, `HH-invalid-${preset}`, { used_kg: 10, recovered_kg: 12 });
      const issue = page.locator('.field[data-path="film.recovered_kg"] .issues li.error');
      await issue.waitFor();
      // In the form's own words, label and unit, as the analytics module words it.
      assert.equal(await issue.textContent(), "地膜回收量(12 公斤)不能大于地膜使用量(10 公斤)");
      assert.equal(await page.locator('.field[data-path="film.used_kg"] .issues li').count(), 0);
      await page.locator("#save").click();
      await page.locator("#form-summary.error", { hasText: "1 处错误" }).waitFor();
      await screenshot(page, `collect-validation-error-${preset}`);
      // The same message in English after the switch, still next to the field.
      await page.locator("#lang").click();
      const english = page.locator('.field[data-path="film.recovered_kg"] .issues li.error', { hasText: "Film recovered (12 kg) cannot exceed Film used (10 kg)" });
      await english.waitFor();
      assert.equal(await page.locator('[name="film.recovered_kg"]').inputValue(), "12");
      await screenshot(page, `collect-validation-error-en-${preset}`);

      const queued = await page.evaluate(async () => {
        const db = await new Promise((resolve, reject) => {
          const req = indexedDB.open("agriwaste-collect", 1);
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        });
        return new Promise((resolve) => {
          const req = db.transaction("surveys").objectStore("surveys").count();
          req.onsuccess = () => resolve(req.result);
        });
      });
      assert.equal(queued, 0, "an invalid survey is not queued");
      assert.deepEqual(sent, [], "nothing was sent to the server");
      assert.deepEqual(await server.listSurveys({ technician: tech.username }), []);

      // Fixed, it saves; a warning (20 kg of film per mu) shows at its field but does not
      // stop the survey, and the server keeps it.
      await fill(page, { "film.recovered_kg": "9", "film.area_mu": "0.5" });
      await page.locator('.field[data-path="film.recovered_kg"] .issues li').waitFor({ state: "detached" });
      await page.locator('.field[data-path="film.used_kg"] .issues li.warning[data-code="implausible_film_per_mu"]').waitFor();
      const id = await surveyId(page);
      await page.locator("#save").click();
      await waitForStatus(page, id, "sent");
      const stored = await server.request("GET", `/api/v1/surveys/${id}`, { token: tech.token });
      assert.deepEqual(stored.body.warnings.map((w) => w.code), ["implausible_film_per_mu"]);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
}

/** Counts how many stored surveys (visible to the admin) have each id. */
async function storedCounts(ids) {
  const all = await server.listSurveys();
  return ids.map((id) => all.filter((item) => item.survey.id === id).length);
}

test("phone: each number says what a blank means; a blank is refused, left out or 0 as it says, and every message names the form's label", async () => {
  const { tech, context, page, problems } = await signedIn("phone");
  try {
    await fill(page, { household: "HH-blanks", township: "狮泉河镇", village: "加木村" });
    await tick(page, "film");
    await tick(page, "yak_dung");
    const hint = (path) => page.locator(`.field[data-path="${path}"] .hint.blank`).textContent();
    assert.equal(await hint("film.used_kg"), "必填;没有时填 0");
    assert.equal(await hint("film.degradable_kg"), "留空表示没有(0)");
    assert.equal(await hint("film.area_mu"), "留空表示未记录");
    assert.equal(await hint("yak_dung.produced_kg"), "留空表示未记录");
    assert.equal(await hint("weight"), "留空按 1 计");
    // Text in a number field and a required amount left blank: both named by their label.
    await fill(page, { "film.recovered_kg": "abc", "yak_dung.yak_head": "25", "yak_dung.fuel_kg": "1000" });
    await page.locator("#save").click();
    await page.locator("#form-summary.error", { hasText: "2 处错误" }).waitFor();
    const at = (path) => page.locator(`.field[data-path="${path}"] .issues li.error`);
    await at("film.used_kg").waitFor();
    assert.equal(await at("film.used_kg").textContent(), "请填写地膜使用量(公斤);没有时填 0");
    assert.equal(await at("film.recovered_kg").textContent(), "地膜回收量(公斤):请填写数字");
    await screenshot(page, "collect-blanks-phone");
    const texts = await page.locator("#survey .issues li, #survey .hint").allTextContents();
    for (const text of texts) assert.doesNotMatch(text, /[a-z]+_[a-z]+|[a-z]\.[a-z]|f64|i64|invalid type/, text);
    await page.locator("#lang").click();
    await page.locator('.field[data-path="film.used_kg"] .issues li.error', { hasText: "enter Film used (kg); enter 0 if there is none" }).waitFor();
    assert.equal(await hint("film.area_mu"), "blank means not recorded");
    await page.locator("#lang").click();

    await fill(page, { "film.used_kg": "0", "film.recovered_kg": "0" });
    await page.locator("#survey .issues li.error").first().waitFor({ state: "detached" });
    const id = await surveyId(page);
    await page.locator("#save").click();
    await waitForStatus(page, id, "sent");
    const { survey } = (await server.request("GET", `/api/v1/surveys/${id}`, { token: tech.token })).body;
    // Blank area and produced dung: not recorded, left out; blank degradable film and dung
    // uses: none, 0, as the form said.
    assert.deepEqual(survey.film, { used_kg: 0, recovered_kg: 0, degradable_kg: 0 });
    assert.deepEqual(survey.yak_dung, { yak_head: 25, fuel_kg: 1000, fertilizer_kg: 0, other_kg: 0, discarded_kg: 0 });
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("phone: 青稞 has no 草谷比, so its count comes first: 24 bundles × 12.5 kg shows 300 kg as typed, and the survey stores the count", async () => {
  const { tech, context, page, problems } = await signedIn("phone");
  try {
    await fill(page, { household: "HH-count", township: "狮泉河镇", village: "加木村" });
    await page.locator("#add-crop").click();
    const row = page.locator('.crop[data-index="0"]');
    assert.equal(await page.locator('[name="straw[0].crop"]').inputValue(), "highland_barley");
    // No ratio in the shipped table: the count box is outlined, open, explained, and
    // placed right after the crop, before the yield and the weighed amount.
    await page.locator('.crop.no-ratio[data-index="0"]').waitFor();
    const box = row.locator(".count-box");
    assert.equal(await box.evaluate((details) => details.open), true);
    assert.equal(await row.locator(".count-note").textContent(), "青稞暂无草谷比,请数捆数并称一捆的重量(几捆取平均更准)");
    const top = async (selector) => (await row.locator(selector).boundingBox()).y;
    assert.ok((await top(".count-box")) < (await top('.field[data-path="straw[0].yield_kg"]')), "the count comes before the yield");
    assert.ok((await top('.field[data-path="straw[0].crop"]')) < (await top(".count-box")), "after the crop");
    await fill(page, {
      "straw[0].yield_kg": "900", "straw[0].straw_count.count": "24", "straw[0].straw_count.kg_each": "12.5",
      "straw[0].fertilizer_kg": "100", "straw[0].feed_kg": "150",
    });
    // The total as typed, computed by the analytics module.
    await row.locator(".count-total", { hasText: "合计 300 公斤(24 捆 × 12.5 公斤)" }).waitFor();
    assert.equal(await row.locator('[data-estimate-for="straw[0].straw_kg"]').textContent(), "");
    // At 390 px nothing scrolls sideways, and the box's controls are 44 px tall at least.
    const [scrollWidth, innerWidth] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    assert.ok(scrollWidth <= innerWidth, `${scrollWidth} > ${innerWidth}`);
    for (const selector of ["summary", 'select[name="straw[0].straw_count.unit"]', 'input[name="straw[0].straw_count.count"]', 'input[name="straw[0].straw_count.kg_each"]']) {
      const { height } = await box.locator(selector).boundingBox();
      assert.ok(height >= 44, `${selector}: ${height} px`);
    }
    await screenshot(page, "collect-straw-count-phone");
    await row.screenshot({ path: join(screenshotDir, "collect-straw-count-row-phone.png") });
    // Counted by the cart-load, 12.5 kg each is implausible: a warning at the weight, the
    // total follows the unit.
    await fill(page, { "straw[0].straw_count.unit": "cartload" });
    await row.locator(".count-total", { hasText: "24 车 × 12.5 公斤" }).waitFor();
    await page.locator('.field[data-path="straw[0].straw_count.kg_each"] .issues li.warning[data-code="implausible_unit_weight"]').waitFor();
    await fill(page, { "straw[0].straw_count.unit": "bundle" });
    await page.locator('.field[data-path="straw[0].straw_count.kg_each"] .issues li').waitFor({ state: "detached" });
    await page.locator("#lang").click();
    await row.locator(".count-total", { hasText: "Total 300 kg (24 bundles × 12.5 kg)" }).waitFor();
    await page.locator("#lang").click();

    // Spring wheat has a ratio: the count is an option, closed, after the weighed amount.
    await page.locator("#add-crop").click();
    await fill(page, { "straw[1].crop": "spring_wheat" });
    const wheat = page.locator('.crop[data-index="1"]');
    // (Its note is inside the closed box, shown when the box is opened.)
    await wheat.locator(".count-note", { hasText: "称不了全部秸秆时" }).waitFor({ state: "attached" });
    assert.equal(await wheat.evaluate((node) => node.classList.contains("no-ratio")), false);
    assert.equal(await wheat.locator(".count-box").evaluate((details) => details.open), false);
    // Removed again, the counted crop keeps its count.
    await wheat.getByRole("button", { name: "删除此作物" }).click();
    assert.equal(await page.locator(".crop").count(), 1);
    assert.equal(await page.locator('[name="straw[0].straw_count.kg_each"]').inputValue(), "12.5");
    await row.locator(".count-total", { hasText: "合计 300 公斤" }).waitFor();

    const id = await surveyId(page);
    await page.locator("#save").click();
    await waitForStatus(page, id, "sent");
    const stored = (await server.request("GET", `/api/v1/surveys/${id}`, { token: tech.token })).body;
    assert.deepEqual(stored.survey.straw, [{
      crop: "highland_barley", yield_kg: 900, straw_count: { unit: "bundle", count: 24, kg_each: 12.5 },
      fertilizer_kg: 100, feed_kg: 150, substrate_kg: 0, fuel_kg: 0, raw_material_kg: 0, burned_kg: 0, discarded_kg: 0,
    }]);
    assert.deepEqual(stored.warnings, []);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("phone: offline, two surveys queue on the device; back online they sync exactly once, also when an answer is lost", async () => {
  const { tech, context, page, problems } = await signedIn("phone");
  try {
    // The service worker has the app shell and the analytics module.
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    await context.setOffline(true);
    await page.locator("#net.offline").waitFor();

    const ids = [];
    for (const household of ["HH-offline-1", "HH-offline-2"]) {
      await fillMinimal(page, household);
      ids.push(await surveyId(page));
      await page.locator("#save").click();
      await waitForStatus(page, ids.at(-1), "queued");
    }
    // Still offline after a restart of the page: the shell comes from the service worker,
    // the queue from IndexedDB.
    await page.reload();
    await page.locator("body[data-ready=true]").waitFor();
    await page.locator('[data-tab="queue"]').click();
    for (const id of ids) await waitForStatus(page, id, "queued");
    assert.equal(await page.locator("#queue-count").textContent(), "2");
    await screenshot(page, "collect-queue-offline-phone");
    assert.deepEqual(await storedCounts(ids), [0, 0]);

    // Back online, the first sync reaches the server but its answer is lost on the way.
    let batches = 0;
    await page.route("**/api/v1/surveys/batch", async (route) => {
      batches += 1;
      await route.fetch();
      await route.abort("connectionreset");
    });
    await context.setOffline(false);
    await page.locator("#sync-message", { hasText: "无法连接服务器" }).waitFor();
    assert.equal(batches, 1);
    for (const id of ids) await waitForStatus(page, id, "queued");
    assert.deepEqual(await storedCounts(ids), [1, 1], "the server stored them");

    // "Sync now" sends the same surveys again: the server knows them, nothing is doubled.
    await page.unroute("**/api/v1/surveys/batch");
    await page.locator("#sync-now").click();
    for (const id of ids) await waitForStatus(page, id, "sent");
    await page.locator("#net.online").waitFor();
    assert.equal(await page.locator("#queue-count").textContent(), "");
    await screenshot(page, "collect-queue-synced-phone");
    assert.deepEqual(await storedCounts(ids), [1, 1]);
    const mine = await server.listSurveys({ technician: tech.username });
    assert.deepEqual(mine.map((item) => item.survey.household).sort(), ["HH-offline-1", "HH-offline-2"]);
    assert.deepEqual(problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_RESET|Failed to fetch/.test(p)), []);
  } finally {
    await context.close();
  }
});

test("desktop: a survey the server refuses shows as needs fixing with the server's error; a sign-in expiry keeps the queue", async () => {
  const { tech, context, page } = await signedIn("desktop");
  try {
    // Saved offline on a phone whose clock ran ahead: valid on the device, refused by the
    // server (a survey dated after the server's today).
    await context.setOffline(true);
    await page.locator("#net.offline").waitFor();
    await fillMinimal(page, "HH-refused");
    const id = await surveyId(page);
    await page.locator("#save").click();
    await waitForStatus(page, id, "queued");
    await page.evaluate(async (id) => {
      const db = await new Promise((resolve) => (indexedDB.open("agriwaste-collect", 1).onsuccess = (e) => resolve(e.target.result)));
      const store = db.transaction("surveys", "readwrite").objectStore("surveys");
      store.get(id).onsuccess = (event) => {
        const record = event.target.result;
        record.survey.surveyed_on = "2999-01-01";
        store.put(record);
      };
    }, id);

    // The session ends on the server meanwhile: sync asks to sign in again.
    await server.request("POST", "/api/v1/auth/logout", { token: JSON.parse(await page.evaluate(() => localStorage.getItem("agriwaste.collect.session"))).token });
    await context.setOffline(false);
    await page.locator("#sign-in-note", { hasText: "登录已过期" }).waitFor();
    await page.locator("#sign-in input[name=password]").fill(tech.password);
    await page.locator("#sign-in button[type=submit]").click();
    await waitForStatus(page, id, "invalid");
    await page.locator('[data-tab="queue"]').click();
    const error = record(page, id).locator('.record-issues li.error[data-path="surveyed_on"]');
    await error.waitFor();
    assert.match(await error.textContent(), /调查日期 2999-01-01 晚于今天/);
    await screenshot(page, "collect-queue-needs-fixing-desktop");

    // Fixed in the form, it goes through under the same id.
    await record(page, id).getByRole("button", { name: "修改" }).click();
    await fill(page, { surveyed_on: todayInChina() });
    await page.locator("#save").click();
    await waitForStatus(page, id, "sent");
    assert.deepEqual(await storedCounts([id]), [1]);
  } finally {
    await context.close();
  }
});

/** The device queue as stored in IndexedDB: `[{ id, status, household }]`. */
async function storedQueue(page) {
  return page.evaluate(async () => {
    const db = await new Promise((resolve, reject) => {
      const req = indexedDB.open("agriwaste-collect", 1);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const records = await new Promise((resolve, reject) => {
      const req = db.transaction("surveys").objectStore("surveys").getAll();
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    db.close();
    return records.map((r) => ({ id: r.id, status: r.status, household: r.survey.household }));
  });
}

const offlineNoise = /ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_RESET|Failed to fetch/;

test("phone: an admin's device-token link signs the phone in for good; days offline later, every session ended, the queue syncs", async () => {
  const tech = await server.createUser({ role: "technician", counties: [COUNTY] });
  const device = await server.issueDeviceToken(tech.id, "phone A");
  const { context, page, problems } = await newPage(browser, "phone");
  try {
    await page.goto(server.url(`/collect/#device-token=${encodeURIComponent(device.secret)}`));
    await page.locator("#survey").waitFor();
    // The token left the address bar (and the history entry) at once.
    assert.equal(page.url(), server.url("/collect/"));
    assert.ok(!(await page.evaluate(() => location.href)).includes("device-token"));
    assert.equal(await page.locator(".top .user").textContent(), `已登录 ${tech.username} · 设备令牌`);
    assert.equal(await page.locator('[name="technician"]').inputValue(), tech.username);
    assert.equal(await page.locator('[name="county_code"]').inputValue(), COUNTY);
    await screenshot(page, "collect-device-token-signed-in-phone");

    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    await context.setOffline(true);
    await page.locator("#net.offline").waitFor();
    await fillMinimal(page, "HH-device-days");
    const id = await surveyId(page);
    await page.locator("#save").click();
    await waitForStatus(page, id, "queued");

    // Days later: the technician's session from a password sign-in has ended (as a
    // 12-hour session would have), and the phone was restarted, still offline.
    assert.equal((await server.request("POST", "/api/v1/auth/logout", { token: tech.token })).status, 204);
    const ended = await server.request("GET", "/api/v1/auth/me", { token: tech.token });
    assert.equal(ended.status, 401);
    await page.reload();
    await page.locator("body[data-ready=true]").waitFor();
    await waitForStatus(page, id, "queued");

    // Back online, the device token sends the queue without a new sign-in.
    await context.setOffline(false);
    await waitForStatus(page, id, "sent");
    assert.equal(await page.locator("#sign-in").count(), 0);
    assert.deepEqual(await storedCounts([id]), [1]);
    const [stored] = await server.listSurveys({ technician: tech.username });
    assert.equal(stored.survey.id, id);
    const tokens = await server.request("GET", `/api/v1/users/${tech.id}/device-tokens`);
    assert.ok(tokens.body.find((t) => t.id === device.id).last_used_at, "the device token was used");
    assert.deepEqual(problems.filter((p) => !offlineNoise.test(p)), []);
  } finally {
    await context.close();
  }
});

test("desktop: a pasted device token; revoked by the admin, the form says so and keeps the queue, which a password sign-in then sends", async () => {
  const tech = await server.createUser({ role: "technician", counties: [COUNTY] });
  const device = await server.issueDeviceToken(tech.id, "tablet B");
  const { context, page, problems } = await newPage(browser, "desktop");
  try {
    await page.goto(server.url("/collect/"));
    await page.locator("#use-device-token").click();
    const field = page.locator('#device-sign-in input[name="device_token"]');
    const submit = page.locator("#device-sign-in button[type=submit]");
    await field.waitFor();
    await screenshot(page, "collect-device-token-sign-in-desktop");
    // A session token is not a device token: refused before asking the server.
    await field.fill(tech.token);
    await submit.click();
    await page.locator("#sign-in-error", { hasText: "设备令牌无效" }).waitFor();
    // Pasted with the spaces around it that a chat app adds.
    await field.fill(`  ${device.secret} `);
    await submit.click();
    await page.locator("#survey").waitFor();
    assert.equal(await page.locator('[name="technician"]').inputValue(), tech.username);
    assert.equal(JSON.parse(await page.evaluate(() => localStorage.getItem("agriwaste.collect.session"))).kind, "device");

    await context.setOffline(true);
    await page.locator("#net.offline").waitFor();
    await fillMinimal(page, "HH-device-revoked");
    const id = await surveyId(page);
    await page.locator("#save").click();
    await waitForStatus(page, id, "queued");

    // The tablet is reported lost: the admin revokes its token.
    const revoked = await server.request("DELETE", `/api/v1/users/${tech.id}/device-tokens/${device.id}`);
    assert.equal(revoked.status, 204);
    await context.setOffline(false);
    const note = page.locator("#sign-in-note", { hasText: "令牌或密钥已被撤销" });
    await note.waitFor();
    assert.match(await note.textContent(), /设备令牌已不能使用.*未同步的调查仍保存在本机/);
    assert.deepEqual(await storedQueue(page), [{ id, status: "queued", household: "HH-device-revoked" }]);
    assert.deepEqual(await storedCounts([id]), [0]);
    await screenshot(page, "collect-device-token-revoked-desktop");

    // The same token pasted again is refused in the server's words; in English too.
    await field.fill(device.secret);
    await submit.click();
    await page.locator("#sign-in-error", { hasText: "设备令牌:令牌或密钥已被撤销" }).waitFor();
    await page.locator("#lang").click();
    await page.locator("#sign-in-note", { hasText: "The device token no longer works: the token or key has been revoked" }).waitFor();
    await page.locator("#lang").click();

    // A password sign-in takes over and sends what waited.
    await page.locator("#use-password").click();
    assert.equal(await page.locator("#sign-in input[name=username]").inputValue(), tech.username);
    await page.locator("#sign-in input[name=password]").fill(tech.password);
    await page.locator("#sign-in button[type=submit]").click();
    await waitForStatus(page, id, "sent");
    assert.deepEqual(await storedCounts([id]), [1]);
    assert.deepEqual(problems.filter((p) => !offlineNoise.test(p)), []);
  } finally {
    await context.close();
  }
});

test("phone: GPS fills latitude and longitude when the position is allowed", async () => {
  const { tech, context, page } = await signedIn("phone", {
    permissions: ["geolocation"],
    geolocation: { latitude: 32.503117, longitude: 80.104555, accuracy: 8 },
  });
  try {
    await page.locator("#gps").click();
    await page.locator("#gps-status", { hasText: "±8 m" }).waitFor();
    assert.equal(await page.locator('[name="location.lat"]').inputValue(), "32.503117");
    assert.equal(await page.locator('[name="location.lon"]').inputValue(), "80.104555");
    await fillMinimal(page, "HH-gps");
    const id = await surveyId(page);
    await page.locator("#save").click();
    await waitForStatus(page, id, "sent");
    const res = await server.request("GET", `/api/v1/surveys/${id}`, { token: tech.token });
    assert.deepEqual(res.body.survey.location, { lat: 32.503117, lon: 80.104555, accuracy_m: 8 });
  } finally {
    await context.close();
  }
});

/** A PNG of `width` × `height` with gradients and texture (so it is big, as photos are). */
function makePng(width, height) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  let seed = 12345;
  for (let y = 0; y < height; y += 1) {
    const row = y * (width * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < width; x += 1) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const noise = seed & 31;
      raw[row + 1 + x * 3] = ((x * 255) / width + noise) & 255;
      raw[row + 2 + x * 3] = ((y * 255) / height + noise) & 255;
      raw[row + 3 + x * 3] = (((x + y) * 127) / (width + height) + 64) & 255;
    }
  }
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw, { level: 1 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Width and height from a JPEG's start-of-frame marker. */
function jpegSize(bytes) {
  assert.equal(bytes.readUInt16BE(0), 0xffd8, "a JPEG");
  let at = 2;
  while (at < bytes.length) {
    const marker = bytes.readUInt16BE(at);
    const length = bytes.readUInt16BE(at + 2);
    if (marker >= 0xffc0 && marker <= 0xffcf && ![0xffc4, 0xffc8, 0xffcc].includes(marker)) {
      return { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) };
    }
    at += 2 + length;
  }
  throw new Error("no start-of-frame marker");
}

test("desktop: a 4000×3000 photo is shrunk to 1600 px on the device and uploaded after its survey", async () => {
  const { tech, context, page, problems } = await signedIn("desktop");
  try {
    const original = makePng(4000, 3000);
    await page.locator("#photo-input").setInputFiles({ name: "heap.png", mimeType: "image/png", buffer: original });
    const photo = page.locator("#photos li");
    await photo.waitFor();
    assert.equal(await photo.getAttribute("data-width"), "1600");
    assert.equal(await photo.getAttribute("data-height"), "1200");
    await fillMinimal(page, "HH-photo");
    const id = await surveyId(page);
    await page.locator("#save").click();
    await page.locator(`#queue li.record[data-id="${id}"][data-status="sent"][data-photos-pending="0"]`).waitFor({ state: "attached" });
    await page.locator('[data-tab="queue"]').click();
    await screenshot(page, "collect-queue-desktop");

    const list = await server.request("GET", `/api/v1/surveys/${id}/attachments`, { token: tech.token });
    assert.equal(list.status, 200);
    assert.equal(list.body.length, 1);
    const [attachment] = list.body;
    assert.equal(attachment.content_type, "image/jpeg");
    assert.equal(attachment.file_name, "heap.jpg");
    assert.ok(attachment.size_bytes < original.length / 4, `${attachment.size_bytes} bytes stored for a ${original.length}-byte original`);
    const download = await fetch(server.url(attachment.url), { headers: { authorization: `Bearer ${tech.token}` } });
    const bytes = Buffer.from(await download.arrayBuffer());
    assert.equal(bytes.length, attachment.size_bytes);
    assert.deepEqual(jpegSize(bytes), { width: 1600, height: 1200 });
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

/** Signs in on the collect page's password form and waits for the survey form. */
async function signInAs(page, user) {
  await page.locator("#sign-in input[name=username]").fill(user.username);
  await page.locator("#sign-in input[name=password]").fill(user.password);
  await page.locator("#sign-in button[type=submit]").click();
  // Attached: the tab last open (the queue, say) stays open over a sign-in.
  await page.locator("#survey").waitFor({ state: "attached" });
}

/** Saves a small valid survey for `household`; resolves to its id once it is queued. */
async function saveMinimal(page, household) {
  await fillMinimal(page, household);
  const id = await surveyId(page);
  await page.locator("#save").click();
  await waitForStatus(page, id, "queued");
  return id;
}

test("phone: signed out offline with two surveys waiting, another technician's sign-in sends nothing; the owner's does, once each", async () => {
  const { tech, context, page, problems } = await signedIn("phone");
  const other = await server.createUser({ role: "technician", counties: [COUNTY] });
  try {
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    await context.setOffline(true);
    await page.locator("#net.offline").waitFor();
    const ids = [await saveMinimal(page, "HH-owner-1"), await saveMinimal(page, "HH-owner-2")];

    // Signing out asks first; offline, there is nothing to send with; "cancel" stays.
    await page.locator("#sign-out").click();
    const dialog = page.locator("#sign-out-dialog");
    await dialog.waitFor();
    assert.equal(await page.locator("#sign-out-waiting").textContent(), "本机还有 2 份您的调查未发送。");
    assert.equal(await page.locator("#sign-out-send").count(), 0);
    // The screen as the person sees it: a modal question over the page, not the whole page.
    await page.screenshot({ path: join(screenshotDir, "collect-sign-out-offline-phone.png") });
    await page.locator("#sign-out-cancel").click();
    await dialog.waitFor({ state: "detached" });
    await page.locator("#survey").waitFor();
    assert.equal(await page.locator(".top .user").textContent(), `已登录 ${tech.username}`);

    // "Keep on this phone": signed out, the surveys stay, and the sign-in screen says whose they are.
    await page.locator("#sign-out").click();
    await page.locator("#sign-out-keep").click();
    await page.locator("#sign-in").waitFor();
    const waiting = page.locator(`#waiting-for li[data-owner="${tech.username}"]`);
    assert.equal(await waiting.textContent(), `本机有 2 份 ${tech.username} 的调查未发送,请 ${tech.username} 登录后发送`);
    const note = await page.locator("#sign-in-note").textContent();
    assert.match(note, /登录需要联网/);
    assert.doesNotMatch(note, /首次/);
    await screenshot(page, "collect-signed-out-waiting-phone");
    await page.locator("#lang").click();
    assert.equal(await waiting.textContent(), `2 survey(s) by ${tech.username} wait on this phone: sign in as ${tech.username} to send them`);
    assert.doesNotMatch(await page.locator("#sign-in-note").textContent(), /first/i);
    await page.locator("#lang").click();

    // Another technician signs in on the same phone: their sync sends none of it.
    await context.setOffline(false);
    await signInAs(page, other);
    await page.locator("#sync-message", { hasText: "上次同步" }).waitFor();
    assert.deepEqual(await storedCounts(ids), [0, 0]);
    assert.deepEqual((await server.listSurveys()).filter((item) => item.created_by === other.username || item.survey.technician === other.username), []);
    assert.deepEqual(
      (await storedQueue(page)).sort((a, b) => a.household.localeCompare(b.household)),
      [{ id: ids[0], status: "queued", household: "HH-owner-1" }, { id: ids[1], status: "queued", household: "HH-owner-2" }],
    );
    // Not theirs to edit either: their queue is empty, with a word on whose surveys wait.
    await page.locator('[data-tab="queue"]').click();
    await page.locator("#queue li.empty").waitFor();
    assert.equal(await page.locator(`#others-waiting li[data-owner="${tech.username}"]`).getAttribute("data-count"), "2");
    // With nothing of their own waiting, they sign out without a question.
    await page.locator("#sign-out").click();
    await page.locator("#sign-in").waitFor();
    assert.equal(await page.locator("#sign-out-dialog").count(), 0);

    // The owner signs in again: both go, under their name, once each.
    await signInAs(page, tech);
    await waitForStatus(page, ids[0], "sent");
    await waitForStatus(page, ids[1], "sent");
    assert.deepEqual(await storedCounts(ids), [1, 1]);
    const stored = (await server.listSurveys()).filter((item) => ids.includes(item.survey.id));
    assert.deepEqual(stored.map((item) => [item.created_by, item.survey.technician]), [[tech.username, tech.username], [tech.username, tech.username]]);
    assert.equal(await page.locator("#waiting-for").count(), 0);
    assert.deepEqual(problems.filter((p) => !offlineNoise.test(p)), []);
  } finally {
    await context.close();
  }
});

test("phone: a sign-in that lapsed keeps the form working offline; the survey goes once the technician signs in again; \"send now\" before signing out", async () => {
  const { tech, context, page, problems } = await signedIn("phone");
  try {
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    // Saved offline while the session ends on the server: the next sync asks for a sign-in.
    await context.setOffline(true);
    await page.locator("#net.offline").waitFor();
    const first = await saveMinimal(page, "HH-lapsed-1");
    await server.request("POST", "/api/v1/auth/logout", { token: JSON.parse(await page.evaluate(() => localStorage.getItem("agriwaste.collect.session"))).token });
    await context.setOffline(false);
    await page.locator("#sign-in-note", { hasText: "登录已过期" }).waitFor();

    // Out of signal again: signing in cannot work now, filling in still does.
    await context.setOffline(true);
    await page.locator("#keep-working").click();
    await page.locator("#expired-banner").waitFor();
    assert.equal(await page.locator('[name="technician"]').inputValue(), tech.username);
    const second = await saveMinimal(page, "HH-lapsed-2");
    await screenshot(page, "collect-lapsed-keep-working-phone");
    await context.setOffline(false);
    await page.locator("#net.online").waitFor();
    assert.deepEqual(await storedCounts([first, second]), [0, 0]);

    await page.locator("#sign-in-again").click();
    await page.locator("#sign-in input[name=password]").fill(tech.password);
    await page.locator("#sign-in button[type=submit]").click();
    await waitForStatus(page, first, "sent");
    await waitForStatus(page, second, "sent");
    assert.deepEqual(await storedCounts([first, second]), [1, 1]);

    // "Send now": offline-saved, then sent from the sign-out question, which then signs out.
    await context.setOffline(true);
    await page.locator("#net.offline").waitFor();
    const later = await saveMinimal(page, "HH-send-now");
    // Back online, the phone's own sync does not get through (a dead spot), so it still waits.
    await page.route("**/api/v1/surveys/batch", (route) => route.abort("connectionreset"));
    await context.setOffline(false);
    await page.locator("#sync-message", { hasText: "无法连接服务器" }).waitFor();
    await page.unroute("**/api/v1/surveys/batch");
    await page.locator("#sign-out").click();
    assert.equal(await page.locator("#sign-out-waiting").textContent(), "本机还有 1 份您的调查未发送。");
    // The screen as the person sees it: a modal question over the page, not the whole page.
    await page.screenshot({ path: join(screenshotDir, "collect-sign-out-online-phone.png") });
    await page.locator("#sign-out-send").click();
    await page.locator("#sign-in").waitFor();
    assert.deepEqual(await storedCounts([later]), [1]);
    assert.equal(await page.locator("#waiting-for li").count(), 0);
    assert.deepEqual(problems.filter((p) => !offlineNoise.test(p)), []);
  } finally {
    await context.close();
  }
});

test("desktop: a survey queued before the queue knew its owners goes with the next sign-in, as before", async () => {
  const tech = await server.createUser({ role: "technician", counties: [COUNTY] });
  const { context, page, problems } = await newPage(browser, "desktop");
  try {
    await page.goto(server.url("/collect/"));
    await page.locator("body[data-ready=true]").waitFor();
    const survey = sampleSurvey({ county_code: COUNTY, household: "HH-unowned" });
    await page.evaluate(async (survey) => {
      const db = await new Promise((resolve) => (indexedDB.open("agriwaste-collect", 1).onsuccess = (e) => resolve(e.target.result)));
      await new Promise((resolve, reject) => {
        const transaction = db.transaction("surveys", "readwrite");
        transaction.objectStore("surveys").put({ id: survey.id, survey, status: "queued", errors: [], warnings: [], photos: [], saved_at: new Date().toISOString() });
        transaction.oncomplete = resolve;
        transaction.onerror = reject;
      });
      db.close();
    }, survey);
    await signInAs(page, tech);
    await waitForStatus(page, survey.id, "sent");
    assert.deepEqual(await storedCounts([survey.id]), [1]);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
