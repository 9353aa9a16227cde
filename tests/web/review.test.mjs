// The reviewers' page in real Chromium against the real server: a technician submits three
// surveys through the API (one with a warning, later corrected, with a photo), a reviewer
// signs in on /review/, filters, opens a survey (values, warning, history, photo), is
// refused a rejection without a reason, rejects with one, bulk-approves the other two and
// meets a conflict when the technician corrects a survey under review; every outcome is
// checked through the API. A technician sees the page read-only. Screenshots at desktop
// and phone sizes of the table and the detail view.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, newPage, screenshot, sampleSurvey } from "./harness.mjs";

let server;
let browser;
let reviewer;
let tech;
const surveys = {};

// The smallest PNG (1 × 1), as a photo.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");

before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  reviewer = await server.createUser({ role: "reviewer", scope: "542500" });
  tech = await server.createUser({ role: "technician", counties: ["542523"] });
  // 84 kg of film per mu: stored with a warning at film.used_kg.
  surveys.warned = sampleSurvey({
    household: "HH-warned", film: { ...sampleSurvey().film, area_mu: 0.5 }, location: { lat: 32.5, lon: 80.1, accuracy_m: 12 },
  });
  surveys.plain = sampleSurvey({ household: "HH-plain", surveyed_on: "2025-09-15" });
  surveys.other = sampleSurvey({ household: "HH-other", surveyed_on: "2024-08-01" });
  for (const survey of [surveys.warned, surveys.plain, surveys.other]) {
    const res = await server.request("POST", "/api/v1/surveys", { body: survey, token: tech.token });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }
  // The technician re-weighs the warned survey (version 2, `edited`) and photographs it.
  const corrected = { ...surveys.warned, film: { ...surveys.warned.film, recovered_kg: 30 } };
  const res = await server.request("PUT", `/api/v1/surveys/${surveys.warned.id}`, {
    body: { survey: corrected, note: "复称 re-weighed" }, token: tech.token, headers: { "if-match": '"v1"' },
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const form = new FormData();
  form.append("file", new Blob([PNG], { type: "image/png" }), "field.png");
  const upload = await fetch(server.url(`/api/v1/surveys/${surveys.warned.id}/attachments`), {
    method: "POST", headers: { authorization: `Bearer ${tech.token}` }, body: form,
  });
  assert.equal(upload.status, 201);
});

after(async () => {
  await Promise.allSettled([browser?.close(), server?.stop()]);
});

const review = async (id) => (await server.request("GET", `/api/v1/surveys/${id}`, { token: reviewer.token })).body.review;
const households = (page) => page.$$eval("#surveys tbody tr[data-id]", (rows) => rows.map((r) => r.querySelectorAll("td")[2].textContent.split(" / ").pop()));

async function signIn(page, user) {
  await page.goto(server.url("/review/"));
  await page.locator("body[data-state=signin]").waitFor();
  await page.locator("#signin input[name=username]").fill(user.username);
  await page.locator("#signin input[name=password]").fill(user.password);
  await page.locator("#signin button[type=submit]").click();
  await page.locator("body[data-state=ready]").waitFor();
}

// Changes a filter (or the page) and waits for the page it loads: the change handler marks
// the body as loading before the change event returns.
async function filter(page, change) {
  await change();
  await page.locator("body[data-state=ready]").waitFor();
}

test("a reviewer filters, opens, rejects with a reason and bulk-approves", async () => {
  const { context, page, problems } = await newPage(browser, "desktop");
  try {
    await signIn(page, reviewer);
    // Newest first, every survey of the reviewer's region, with the warning counted.
    assert.deepEqual(await households(page), ["HH-other", "HH-plain", "HH-warned"]);
    assert.equal(await page.locator(`tr[data-id="${surveys.warned.id}"] td.warn`).textContent(), "1");
    assert.equal(await page.locator(`tr[data-id="${surveys.warned.id}"] .review-state`).getAttribute("data-state"), "edited");

    await filter(page, () => page.locator("#f-state").selectOption("received"));
    assert.deepEqual(await households(page), ["HH-other", "HH-plain"]);
    await filter(page, () => page.locator("#f-state").selectOption(""));
    await filter(page, () => page.locator("#f-warnings").check());
    assert.deepEqual(await households(page), ["HH-warned"]);
    await filter(page, () => page.locator("#f-warnings").uncheck());
    await filter(page, () => page.locator("#f-year").selectOption("2025"));
    assert.deepEqual(await households(page), ["HH-plain", "HH-warned"]);
    await filter(page, () => page.locator("#f-region").selectOption("542523"));
    assert.deepEqual(await households(page), ["HH-plain", "HH-warned"]);
    await screenshot(page, "review-table-desktop");

    // The detail: values with units, the warning naming its field, the history, the photo.
    await page.locator(`tr[data-id="${surveys.warned.id}"] a`).click();
    await page.locator("#detail-view:not([hidden]) #detail-history li[data-version='2']").waitFor();
    const warning = page.locator('#detail-warnings li[data-path="film.used_kg"]');
    assert.equal(await warning.getAttribute("data-code"), "implausible_film_per_mu");
    assert.match(await warning.textContent(), /地膜 · 地膜使用量/);
    assert.doesNotMatch(await warning.textContent(), /film|_kg/);
    assert.match(await page.locator("#detail-sections").textContent(), /地膜回收量30 公斤/);
    // A value left out reads as not recorded, a 0 as 0: the two are not the same.
    const values = await page.locator("#detail-sections").textContent();
    assert.ok(values.includes("牛粪产生量(实测)未记录") && values.includes("露天焚烧0 公斤"), values);
    assert.equal(await page.locator("#detail-sections td.not-recorded").count(), 1);
    assert.match(await page.locator("#detail-history li[data-version='2']").textContent(), /复称 re-weighed/);
    assert.match(await page.locator('#detail-history li[data-path="film.recovered_kg"]').textContent(), /36\.5 公斤 → 30 公斤/);
    assert.match(await page.locator("#detail-location").textContent(), /纬度 32\.5 °N · 经度 80\.1 °E · 精度 12 米/);
    await page.waitForFunction(() => { const img = document.querySelector("#detail-photos img"); return img && img.complete && img.naturalWidth === 1; });
    await screenshot(page, "review-detail-desktop");

    // A rejection without a reason: the API's error at the comment field; nothing changes.
    await page.locator("#decide button[value=rejected]").click();
    await page.locator("#comment[aria-invalid]").waitFor();
    assert.match(await page.locator("#comment-error").textContent(), /退回.*comment/s);
    assert.equal((await review(surveys.warned.id)).state, "edited");

    await page.locator("#comment").fill("重复录入 duplicate household");
    await page.locator("#decide button[value=rejected]").click();
    await page.locator("#detail-meta .review-state[data-state=rejected]").waitFor();
    const rejected = await review(surveys.warned.id);
    assert.deepEqual([rejected.state, rejected.comment, rejected.reviewed_by], ["rejected", "重复录入 duplicate household", reviewer.username]);

    // Back to the list as it was left: same filters, the row updated.
    await page.locator("#back").click();
    await page.locator("#list-view:not([hidden])").waitFor();
    assert.equal(await page.locator("#f-year").inputValue(), "2025");
    assert.equal(await page.locator("#f-region").inputValue(), "542523");
    assert.equal(await page.locator(`tr[data-id="${surveys.warned.id}"] .review-state`).getAttribute("data-state"), "rejected");

    // Bulk approval of the selected rows, on all years.
    await filter(page, () => page.locator("#f-year").selectOption(""));
    await page.locator(`tr[data-id="${surveys.plain.id}"] input.pick`).check();
    await page.locator(`tr[data-id="${surveys.other.id}"] input.pick`).check();
    await page.locator("#bulk-approve").click();
    await page.locator("#message.ok", { hasText: "已通过 2 份调查" }).waitFor();
    for (const id of [surveys.plain.id, surveys.other.id]) {
      assert.equal((await review(id)).state, "approved");
      assert.equal(await page.locator(`tr[data-id="${id}"] .review-state`).getAttribute("data-state"), "approved");
    }
    assert.equal((await review(surveys.warned.id)).state, "rejected", "the unselected row is left alone");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("a survey corrected while it is reviewed is a conflict, reloaded", async () => {
  const survey = sampleSurvey({ household: "HH-conflict" });
  assert.equal((await server.request("POST", "/api/v1/surveys", { body: survey, token: tech.token })).status, 201);
  const { context, page, problems } = await newPage(browser, "desktop");
  try {
    await signIn(page, reviewer);
    await page.locator(`tr[data-id="${survey.id}"] a`).click();
    await page.locator("#detail-history li[data-version='1']").waitFor();
    const res = await server.request("PUT", `/api/v1/surveys/${survey.id}`, {
      body: { survey: { ...survey, household: "HH-conflict-2" } }, token: tech.token, headers: { "if-match": '"v1"' },
    });
    assert.equal(res.status, 200);
    await page.locator("#decide button[value=approved]").click();
    await page.locator("#message", { hasText: "他人更正" }).waitFor();
    assert.equal(await page.locator("#detail-history li[data-version='2']").count(), 1, "the current version is shown");
    assert.equal((await review(survey.id)).state, "edited", "the stale decision was not stored");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("a technician sees the page read-only, and the API refuses them", async () => {
  const { context, page, problems } = await newPage(browser, "desktop");
  try {
    await signIn(page, tech);
    await page.locator("#read-only:not([hidden])").waitFor();
    assert.match(await page.locator("#read-only").textContent(), /农技员/);
    assert.equal(await page.locator("#bulk-approve").isVisible(), false);
    await page.locator(`tr[data-id="${surveys.plain.id}"] a`).click();
    await page.locator("#detail-history li").first().waitFor();
    assert.equal(await page.locator("#decide").isVisible(), false);
    const res = await server.request("POST", `/api/v1/surveys/${surveys.plain.id}/review`, { body: { state: "approved" }, token: tech.token });
    assert.equal(res.status, 403);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("the table and the detail at phone size, in English", async () => {
  const { context, page, problems } = await newPage(browser, "phone");
  try {
    await signIn(page, reviewer);
    await page.locator("#lang").click();
    await page.locator("#surveys th", { hasText: "Review state" }).waitFor();
    assert.equal(await page.locator(`tr[data-id="${surveys.plain.id}"] .review-state`).textContent(), "✓ approved");
    await screenshot(page, "review-table-phone");
    await page.locator(`tr[data-id="${surveys.warned.id}"] a`).click();
    await page.locator("#detail-history li[data-version='2']").waitFor();
    assert.match(await page.locator("#detail-warnings").textContent(), /Mulch film · Film used/);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the detail fits the phone's width (${overflow} px too wide)`);
    await screenshot(page, "review-detail-phone");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("pages follow the API's cursor, forward and back, within the filters", async () => {
  const many = Array.from({ length: 52 }, (_, i) => sampleSurvey({ county_code: "542524", household: `HH-page-${String(i).padStart(2, "0")}` }));
  await server.seedSurveys(many);
  const { context, page, problems } = await newPage(browser, "desktop");
  try {
    await signIn(page, reviewer);
    await filter(page, () => page.locator("#f-region").selectOption("542524"));
    const first = await households(page);
    assert.equal(first.length, 50);
    assert.equal(first[0], "HH-page-51", "newest first");
    await filter(page, () => page.locator("#next").click());
    assert.deepEqual(await households(page), ["HH-page-01", "HH-page-00"]);
    assert.equal(await page.locator("#next").isDisabled(), true);
    await filter(page, () => page.locator("#prev").click());
    assert.deepEqual(await households(page), first);
    assert.equal(await page.locator("#f-region").inputValue(), "542524");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("a decision with a comment on a field, the next survey, and what the correction changed", async () => {
  const first = sampleSurvey({ household: "HH-fc-1" });
  const second = sampleSurvey({ household: "HH-fc-2" });
  for (const survey of [first, second]) {
    assert.equal((await server.request("POST", "/api/v1/surveys", { body: survey, token: tech.token })).status, 201);
  }
  const { context, page, problems } = await newPage(browser, "phone");
  try {
    await signIn(page, reviewer);
    // Only years that have surveys, newest first; the total of matching surveys.
    assert.deepEqual(await page.$$eval("#f-year option", (options) => options.map((o) => o.value)), ["", "2025", "2024"]);
    const total = (await server.request("GET", "/api/v1/surveys?include_total=true", { token: reviewer.token })).body.total;
    assert.match(await page.locator("#summary").textContent(), new RegExp(`共 ${total} 份`));

    await page.locator(`tr[data-id="${second.id}"] a`).click();
    await page.locator("#detail-history li[data-version='1']").waitFor();
    await page.locator("#fc-field").selectOption("film.recovered_kg");
    await page.locator("#fc-add").click();
    await page.locator("#message", { hasText: "请先写下" }).waitFor();
    await page.locator("#fc-text").fill("回收量请复称");
    await page.locator("#fc-add").click();
    assert.match(await page.locator('#fc-list li[data-path="film.recovered_kg"]').textContent(), /地膜 · 地膜回收量: 回收量请复称/);
    await page.locator("#comment").fill("请复核地膜");
    await page.locator("#decide button[value=has_issues]").click();
    await page.locator("#detail-meta .review-state[data-state=has_issues]").waitFor();
    assert.deepEqual((await review(second.id)).field_comments, [{ path: "film.recovered_kg", comment: "回收量请复称" }]);
    assert.match(await page.locator('#detail-sections tr[data-path="film.recovered_kg"]').textContent(), /▲ 回收量请复称/);
    await screenshot(page, "review-field-comment-phone");

    // "Next" opens the survey below it in the list (newest first: the first one).
    await page.locator("#next-survey").click();
    await page.locator("#detail-title", { hasText: "HH-fc-1" }).waitFor();

    // The technician corrects; the reviewer finds it among the corrected ones and sees
    // what changed since the decision, by label and with units.
    const res = await server.request("PUT", `/api/v1/surveys/${second.id}`, {
      body: { survey: { ...second, film: { ...second.film, recovered_kg: 20 } } }, token: tech.token, headers: { "if-match": '"v1"' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await page.locator("#back").click();
    await filter(page, () => page.locator("#f-corrected").check());
    assert.deepEqual(await households(page), ["HH-fc-2"]);
    assert.match(await page.locator("#summary").textContent(), /共 1 份/);
    assert.equal(await page.locator(`tr[data-id="${second.id}"] .review-state`).textContent(), "↻ 修改后待复审");
    await page.locator(`tr[data-id="${second.id}"] a`).click();
    await page.locator("#since-decision:not([hidden])").waitFor();
    assert.match(await page.locator("#since-intro").textContent(), /第 1 版.*有问题/);
    assert.match(await page.locator('#since-changes li[data-path="film.recovered_kg"]').textContent(), /地膜 · 地膜回收量 36\.5 公斤 → 20 公斤/);
    assert.equal(await page.locator("#since-changes code").count(), 0, "no wire paths");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the detail fits the phone's width (${overflow} px too wide)`);
    await screenshot(page, "review-since-decision-phone");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
