// The field loop in real Chromium at phone size against the real server: a reviewer marks
// a survey 需修改 on /review/ with a comment on a field; after a sync the technician's phone
// lists it with the comment and shows the comment at the field; the technician corrects
// it offline, and back online the correction is sent once (a PUT naming the version it
// started from); the reviewer finds it marked corrected after review, sees the change and
// approves it, which the phone shows after its next sync. The conflict path: the same
// survey corrected elsewhere meanwhile shows both versions side by side on the phone; the
// technician keeps the phone's (sent again on the server's version) or the server's (the
// phone's is dropped). Every outcome is checked through the API.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, newPage, screenshot, sampleSurvey } from "./harness.mjs";

const COUNTY = "542523"; // 噶尔县, Ali
const offlineNoise = /ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_RESET|Failed to fetch/;

let server;
let browser;
let reviewer;

before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  reviewer = await server.createUser({ role: "reviewer", scope: "542500" });
});

after(async () => {
  await Promise.allSettled([browser?.close(), server?.stop()]);
});

/** A new technician signed in on /collect/ in a phone-sized context. */
async function phoneSignedIn() {
  const tech = await server.createUser({ role: "technician", counties: [COUNTY] });
  const { context, page, problems } = await newPage(browser, "phone");
  await page.goto(server.url("/collect/"));
  await page.locator("#sign-in input[name=username]").fill(tech.username);
  await page.locator("#sign-in input[name=password]").fill(tech.password);
  await page.locator("#sign-in button[type=submit]").click();
  await page.locator("#survey").waitFor();
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  return { tech, context, page, problems };
}

async function reviewerSignedIn() {
  const { context, page, problems } = await newPage(browser, "desktop");
  await page.goto(server.url("/review/"));
  await page.locator("body[data-state=signin]").waitFor();
  await page.locator("#signin input[name=username]").fill(reviewer.username);
  await page.locator("#signin input[name=password]").fill(reviewer.password);
  await page.locator("#signin button[type=submit]").click();
  await page.locator("body[data-state=ready]").waitFor();
  return { context, page, problems };
}

const stored = async (id) => (await server.request("GET", `/api/v1/surveys/${id}`, { token: reviewer.token })).body;
const versions = async (id) => (await server.request("GET", `/api/v1/surveys/${id}/history`, { token: reviewer.token })).body.versions;

/** Submits `survey` as `tech` and returns the reviewer's decision on it (through the API). */
async function submitAndReturn(tech, survey, decision) {
  assert.equal((await server.request("POST", "/api/v1/surveys", { body: survey, token: tech.token })).status, 201);
  const res = await server.request("POST", `/api/v1/surveys/${survey.id}/review`, { body: decision, token: reviewer.token, headers: { "if-match": '"v1"' } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

const mineItem = (page, id) => page.locator(`#mine li.mine-item[data-id="${id}"]`);

async function syncNow(page) {
  await page.locator("#sync-now:not([disabled])").click();
  await page.locator("#sync-now:not([disabled])").waitFor();
}

test("returned on /review/ with a comment on a field, corrected offline on the phone, synced once, approved", async () => {
  const phone = await phoneSignedIn();
  const { page } = phone;
  let desk = null;
  try {
    // The technician saves a survey; it syncs at once and waits for a reviewer.
    await page.locator('[name="household"]').fill("HH-loop");
    await page.locator('[name="township"]').fill("狮泉河镇");
    await page.locator('[name="village"]').fill("加木村");
    await page.locator('[name="has.film"]').check();
    await page.locator('[name="film.used_kg"]').fill("20");
    await page.locator('[name="film.recovered_kg"]').fill("15");
    const id = await page.locator("#survey").getAttribute("data-survey-id");
    await page.locator("#save").click();
    await page.locator(`#queue li.record[data-id="${id}"][data-status="sent"]`).waitFor({ state: "attached" });
    await page.locator('[data-tab="mine"]').click();
    await mineItem(page, id).locator(".mine-state", { hasText: "待审核" }).waitFor();

    // The reviewer marks it 需修改, with a comment on the film recovered.
    desk = await reviewerSignedIn();
    await desk.page.locator(`tr[data-id="${id}"] a`).click();
    await desk.page.locator("#detail-history li[data-version='1']").waitFor();
    await desk.page.locator("#fc-field").selectOption("film.recovered_kg");
    await desk.page.locator("#fc-text").fill("回收量请复称");
    await desk.page.locator("#fc-add").click();
    await desk.page.locator("#comment").fill("地膜回收量偏高,请核实");
    await desk.page.locator("#decide button[value=has_issues]").click();
    await desk.page.locator("#detail-meta .review-state[data-state=has_issues]").waitFor();

    // After a sync the phone lists it as 需修改 with both comments, and counts it.
    await syncNow(page);
    const item = mineItem(page, id);
    await item.locator(".mine-state", { hasText: "需修改" }).waitFor();
    assert.equal(await page.locator("#mine-count").textContent(), "1");
    assert.match(await item.textContent(), /地膜回收量偏高,请核实/);
    assert.match(await item.locator('.mine-field-comments li[data-path="film.recovered_kg"]').textContent(), /地膜回收量.*回收量请复称/);
    await screenshot(page, "collect-mine-returned-phone");

    // Offline, after a restart of the page: the list comes from the phone's cache; the
    // survey opens in the form with the comment at its field.
    await phone.context.setOffline(true);
    await page.reload();
    await page.locator("body[data-ready=true]").waitFor();
    await page.locator('[data-tab="mine"]').click();
    await item.locator(".mine-state", { hasText: "需修改" }).waitFor();
    await item.locator("button.correct").click();
    await page.locator("#form-view:not([hidden])").waitFor();
    assert.equal(await page.locator('[name="film.recovered_kg"]').inputValue(), "15");
    const atField = page.locator('.issues[data-for="film.recovered_kg"] li.review');
    assert.match(await atField.textContent(), /回收量请复称/);
    assert.match(await page.locator('.issues[data-for=""] li.review').textContent(), /请核实/);
    await screenshot(page, "collect-correcting-phone");
    await page.locator('[name="film.recovered_kg"]').fill("12");
    await page.locator("#save").click();
    await page.locator(`#queue li.record[data-id="${id}"][data-status="queued"]`).waitFor({ state: "attached" });
    assert.equal((await versions(id)).length, 1, "nothing sent while offline");

    // Back online it syncs once: one new version, from version 1, with the phone's value.
    let puts = 0;
    page.on("request", (req) => {
      if (req.method() === "PUT" && req.url().endsWith(`/api/v1/surveys/${id}`)) puts += 1;
    });
    await phone.context.setOffline(false);
    await page.locator(`#queue li.record[data-id="${id}"][data-status="sent"]`).waitFor({ state: "attached" });
    await syncNow(page);
    assert.equal(puts, 1);
    const history = await versions(id);
    assert.deepEqual(history.map((v) => v.version), [1, 2]);
    assert.equal(history[1].survey.film.recovered_kg, 12);
    assert.equal((await stored(id)).review.state, "corrected");
    await page.locator('[data-tab="mine"]').click();
    await item.locator(".mine-state", { hasText: "待审核" }).waitFor();
    assert.equal(await page.locator("#mine-count").textContent(), "");

    // The reviewer finds it among the corrected ones, sees what changed, and approves.
    await desk.page.locator("#back").click();
    await desk.page.locator("#f-corrected").check();
    await desk.page.locator(`tr[data-id="${id}"] .review-state[data-state=corrected]`).waitFor();
    await desk.page.locator(`tr[data-id="${id}"] a`).click();
    await desk.page.locator("#since-decision:not([hidden])").waitFor();
    assert.match(await desk.page.locator('#since-changes li[data-path="film.recovered_kg"]').textContent(), /地膜回收量 15 公斤 → 12 公斤/);
    await desk.page.locator("#decide button[value=approved]").click();
    await desk.page.locator("#detail-meta .review-state[data-state=approved]").waitFor();
    assert.equal((await stored(id)).review.state, "approved");

    await syncNow(page);
    await item.locator(".mine-state", { hasText: "已通过" }).waitFor();
    assert.deepEqual(phone.problems.filter((p) => !offlineNoise.test(p)), []);
    assert.deepEqual(desk.problems, []);
  } finally {
    await Promise.allSettled([phone.context.close(), desk?.context.close()]);
  }
});

test("corrected elsewhere meanwhile: both versions side by side; keep the phone's or the server's", async () => {
  const phone = await phoneSignedIn();
  const { page, tech } = phone;
  try {
    const kept = sampleSurvey({ household: "HH-keep-mine", technician: tech.username });
    const dropped = sampleSurvey({ household: "HH-keep-server", technician: tech.username });
    const decision = { state: "has_issues", comment: "请复称地膜", field_comments: [{ path: "film.recovered_kg", comment: "偏高" }] };
    for (const survey of [kept, dropped]) await submitAndReturn(tech, survey, decision);
    await syncNow(page);
    await page.locator('[data-tab="mine"]').click();
    assert.equal(await page.locator("#mine-count").textContent(), "2");

    // Offline, the phone corrects both from version 1.
    await phone.context.setOffline(true);
    await page.locator("#net.offline").waitFor();
    for (const [survey, value] of [[kept, "30"], [dropped, "31"]]) {
      await page.locator('[data-tab="mine"]').click();
      await mineItem(page, survey.id).locator("button.correct").click();
      await page.locator('[name="film.recovered_kg"]').fill(value);
      await page.locator("#save").click();
      await page.locator(`#queue li.record[data-id="${survey.id}"][data-status="queued"]`).waitFor({ state: "attached" });
    }
    // Meanwhile both are corrected from another device.
    for (const survey of [kept, dropped]) {
      const res = await server.request("PUT", `/api/v1/surveys/${survey.id}`, {
        body: { survey: { ...survey, film: { ...survey.film, recovered_kg: 33 } } }, token: tech.token, headers: { "if-match": '"v1"' },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }

    // Back online: neither overwrites the other; the phone shows both versions.
    await phone.context.setOffline(false);
    for (const survey of [kept, dropped]) {
      await page.locator(`#queue li.record[data-id="${survey.id}"][data-status="stale"]`).waitFor({ state: "attached" });
      assert.equal((await versions(survey.id)).length, 2, "the server's version stands");
    }
    await page.locator('[data-tab="queue"]').click();
    const row = page.locator(`#queue li.record[data-id="${kept.id}"] .compare tr[data-path="film.recovered_kg"]`);
    assert.match(await row.locator("td.server").textContent(), /33 公斤/);
    assert.match(await row.locator("td.phone").textContent(), /30 公斤/);
    assert.match(await page.locator(`#queue li.record[data-id="${kept.id}"] .compare`).textContent(), /第 2 版/);
    await screenshot(page, "collect-conflict-phone");
    // The same in English, then back.
    await page.locator("#lang").click();
    await page.locator(`#queue li.record[data-id="${kept.id}"] .compare`, { hasText: "Server (version 2)" }).waitFor();
    assert.match(await page.locator(`#queue li.record[data-id="${kept.id}"] .compare tr[data-path="film.recovered_kg"]`).textContent(), /Film recovered.*33 kg.*30 kg/);
    await screenshot(page, "collect-conflict-phone-en");
    await page.locator("#lang").click();
    await page.locator(`#queue li.record[data-id="${kept.id}"] .compare`, { hasText: "服务器(第 2 版)" }).waitFor();

    // Keep the phone's: sent again on the server's version 2. Keep the server's: the
    // phone's correction is dropped and nothing is sent.
    await page.locator(`#queue li.record[data-id="${kept.id}"] button.keep-phone`).click();
    await page.locator(`#queue li.record[data-id="${kept.id}"][data-status="sent"]`).waitFor({ state: "attached" });
    await page.locator(`#queue li.record[data-id="${dropped.id}"] button.keep-server`).click();
    await page.locator(`#queue li.record[data-id="${dropped.id}"]`).waitFor({ state: "detached" });
    const keptHistory = await versions(kept.id);
    assert.deepEqual(keptHistory.map((v) => v.survey.film.recovered_kg), [36.5, 33, 30]);
    assert.deepEqual((await versions(dropped.id)).map((v) => v.survey.film.recovered_kg), [36.5, 33]);
    await page.locator('[data-tab="mine"]').click();
    await mineItem(page, dropped.id).locator(".mine-state", { hasText: "待审核" }).waitFor();
    assert.deepEqual(phone.problems.filter((p) => !offlineNoise.test(p)), []);
  } finally {
    await phone.context.close();
  }
});
