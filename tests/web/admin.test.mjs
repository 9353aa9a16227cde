// The admin page in real Chromium against the real server: sign in as the admin; create
// a technician, after field errors that change nothing; issue a device token and take its
// sign-in link from the page; decode the QR code from its pixels (jsQR, an independent
// decoder) to the same link; open the link on a phone and land signed in on
// /collect/; revoke the token and see the API refuse it; create, use and revoke an API
// key; find all of it in the audit view, page by page. A non-admin gets a clear refusal.
// The links carry the server's public address when one is set, and the page warns when
// it is unset or not the address the browser used.
// Screenshots at desktop and phone sizes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import jsQR from "jsqr";
import { startServer, launchBrowser, newPage, screenshot, screenshotDir } from "./harness.mjs";

const COUNTY = "542523"; // 噶尔县 · Gar

let server;
let browser;

before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});

after(async () => {
  await Promise.allSettled([browser?.close(), server?.stop()]);
});

async function signIn(page, username, password, on = server) {
  await page.goto(on.url("/admin/"));
  await page.locator("body[data-state=signin]").waitFor();
  await page.locator("#signin input[name=username]").fill(username);
  await page.locator("#signin input[name=password]").fill(password);
  await page.locator("#signin button[type=submit]").click();
}

const usernames = async () => (await server.request("GET", "/api/v1/users")).body.map((u) => u.username).sort();

/**
 * What a camera sees: the QR code's SVG as the page has it, rasterized by Chromium (as an
 * image, 6 pixels a module, on white) and decoded by jsQR, a decoder that shares nothing
 * with the page's encoder. (An element screenshot would do, but under the phone preset's
 * mobile emulation Playwright clips it from the wrong place.)
 */
async function decodeQr(page, selector) {
  const image = await page.evaluate(async (sel) => {
    const svg = document.querySelector(sel);
    const modules = svg.viewBox.baseVal.width;
    const img = new Image();
    // A blob: URL, as the pages' own images: their Content-Security-Policy refuses data: images.
    img.src = URL.createObjectURL(new Blob([new XMLSerializer().serializeToString(svg)], { type: "image/svg+xml" }));
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = modules * 6;
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    const bytes = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return { size: canvas.width, rgba: btoa(binary), png: canvas.toDataURL("image/png").split(",")[1] };
  }, selector);
  const rgba = new Uint8ClampedArray(Buffer.from(image.rgba, "base64"));
  const code = jsQR(rgba, image.size, image.size);
  if (!code) await writeFile(path.join(screenshotDir, "admin-qr-undecodable.png"), Buffer.from(image.png, "base64"));
  assert.ok(code, "jsQR found a QR code in the pixels (they are in admin-qr-undecodable.png)");
  return code.data;
}

/** Waits until the audit table shows `count` rows, every one of them `action`. */
async function auditRows(page, count, action) {
  await page.waitForFunction(([n, a]) => {
    const rows = [...document.querySelectorAll("#audit-table tbody tr")];
    return rows.length === n && rows.every((r) => r.dataset.action === a);
  }, [count, action]);
}

test("desktop: an admin creates a technician, hands a phone its sign-in QR code, revokes it; an API key; the audit log", async () => {
  const { context, page, problems } = await newPage(browser, "desktop", { permissions: ["clipboard-read", "clipboard-write"] });
  // Every URL the admin page asks the server for, to check that no secret is among them.
  const requested = [];
  page.on("request", (r) => requested.push(r.url()));
  try {
    await signIn(page, "admin", server.adminPassword);
    await page.locator("body[data-state=ready]").waitFor();
    await page.locator("#users-table tr[data-username=admin]").waitFor();
    // This server has no public address: the page says the links will guess it.
    assert.match(await page.locator("#public-url-warning").textContent(), /未设置服务器公开地址.*http:\/\/127\.0\.0\.1:\d+/);

    // A technician without a county: the API's field error, next to the counties, and
    // nothing created.
    const before = await usernames();
    await page.locator("#new-user").click();
    const form = page.locator("#user-form");
    await form.locator("[name=username]").fill("tech.gar-01");
    assert.equal(await form.locator("[name=role]").inputValue(), "technician");
    await form.locator("[name=password]").fill("correct-horse-battery");
    await page.locator("#user-save").click();
    await page.locator("#user-err-counties", { hasText: "农技员至少需要分配一个县" }).waitFor();
    assert.equal(await form.locator("fieldset.counties").getAttribute("aria-invalid"), "true");
    assert.deepEqual(await usernames(), before);

    // A bad username, counties ticked: the error moves to the username.
    await form.locator(`[name=counties][value="${COUNTY}"]`).check();
    await form.locator("[name=username]").fill("tech gar");
    await form.locator("[name=password]").fill("correct-horse-battery");
    await page.locator("#user-save").click();
    await page.locator("#user-err-username", { hasText: "用户名须为 3–64 个字母、数字或 - _ ." }).waitFor();
    assert.equal(await page.locator("#user-err-counties").textContent(), "");
    assert.equal(await form.locator("[name=username]").getAttribute("aria-invalid"), "true");
    assert.deepEqual(await usernames(), before);
    await screenshot(page, "admin-field-error-desktop");

    // Corrected: created, listed with its county.
    await form.locator("[name=username]").fill("tech.gar-01");
    await form.locator("[name=display_name]").fill("扎西");
    await form.locator("[name=password]").fill("correct-horse-battery");
    await page.locator("#user-save").click();
    await page.locator("#user-created-text", { hasText: "已创建用户 tech.gar-01" }).waitFor();
    const row = page.locator("#users-table tr[data-username='tech.gar-01']");
    await row.waitFor();
    assert.match(await row.textContent(), /扎西.*农技员.*噶尔县.*启用/);
    const tech = (await server.request("GET", "/api/v1/users")).body.find((u) => u.username === "tech.gar-01");
    assert.deepEqual([tech.role, tech.counties, tech.active], ["technician", [COUNTY], true]);
    // The password typed on the page is the one that signs in.
    await server.login("tech.gar-01", "correct-horse-battery");
    await screenshot(page, "admin-users-desktop");

    // A device token: the link is shown once, with its QR code.
    await row.locator("[data-action=devices]").click();
    await page.locator("#devices-user", { hasText: "tech.gar-01" }).waitFor();
    await page.locator("#token-form [name=name]").fill("Redmi 12 · 扎西");
    await page.locator("#token-form button[type=submit]").click();
    await page.locator("#token-once").waitFor();
    const link = await page.locator("#token-link").inputValue();
    const prefix = server.url("/collect/#device-token=");
    assert.ok(link.startsWith(prefix), link);
    const secret = decodeURIComponent(link.slice(prefix.length));
    assert.match(secret, /^awd_/);
    assert.equal(await decodeQr(page, "#token-qr svg"), link);
    await page.locator("#token-copy").click();
    await page.locator("#token-copy-status", { hasText: "已复制" }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);
    await page.locator("#tokens-table tr[data-label='Redmi 12 · 扎西']", { hasText: "从未" }).waitFor();
    await screenshot(page, "admin-device-token-desktop");

    // Printed, the sheet holds the QR code and whose it is, not the rest of the page.
    await page.emulateMedia({ media: "print" });
    assert.equal(await page.locator("#users-table").isVisible(), false);
    assert.equal(await page.locator("#token-qr svg").isVisible(), true);
    assert.equal(await page.locator("#token-print-user").textContent(), "tech.gar-01");
    await screenshot(page, "admin-device-token-print");
    await page.emulateMedia({ media: "screen" });

    // The phone opens the link (as scanning the code does) and is signed in on the form.
    const phone = await newPage(browser, "phone");
    const phoneRequests = [];
    phone.page.on("request", (r) => phoneRequests.push(r.url()));
    try {
      await phone.page.goto(link);
      await phone.page.locator("#survey").waitFor();
      assert.equal(phone.page.url(), server.url("/collect/"));
      assert.equal(await phone.page.locator(".top .user").textContent(), "已登录 tech.gar-01 · 设备令牌");
      assert.deepEqual(phone.problems, []);
    } finally {
      await phone.context.close();
    }
    const used = (await server.request("GET", `/api/v1/users/${tech.id}/device-tokens`)).body;
    assert.ok(used[0].last_used_at, "the phone used the token");

    // "Done" takes the secret off the page.
    await page.locator("#token-done").click();
    assert.equal(await page.locator("#token-once").isVisible(), false);
    assert.equal(await page.locator("#token-link").inputValue(), "");
    assert.equal(await page.locator("#token-qr *").count(), 0);
    assert.equal((await page.content()).includes(secret), false);

    // Revoked on the page (after a confirmation), refused by the API.
    assert.equal((await server.request("GET", "/api/v1/auth/me", { token: secret })).status, 200);
    page.once("dialog", (dialog) => dialog.accept());
    await page.locator("#tokens-table tr[data-label='Redmi 12 · 扎西'] [data-action=revoke]").click();
    await page.locator("#tokens-table tr[data-label='Redmi 12 · 扎西']", { hasText: "已撤销" }).waitFor();
    const refused = await server.request("GET", "/api/v1/auth/me", { token: secret });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.code, "credential_revoked");

    // An API key: shown once, works, revoked, refused.
    await page.locator("#key-form [name=name]").fill("统计局数据平台");
    await page.locator("#key-form [name=scope_code]").selectOption("542500");
    await page.locator("#key-form button[type=submit]").click();
    await page.locator("#key-once").waitFor();
    const key = await page.locator("#key-secret").inputValue();
    const withKey = () => fetch(server.url("/api/v1/auth/me"), { headers: { "x-api-key": key } });
    assert.equal((await withKey()).status, 200);
    await page.locator("#key-copy").click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
    const keyRow = page.locator("#keys-table tr[data-label='统计局数据平台']");
    assert.match(await keyRow.textContent(), /阿里地区.*有效/);
    await screenshot(page, "admin-api-key-desktop");
    await page.locator("#key-done").click();
    page.once("dialog", (dialog) => dialog.accept());
    await keyRow.locator("[data-action=revoke]").click();
    await keyRow.filter({ hasText: "已撤销" }).waitFor();
    assert.equal((await withKey()).status, 401);

    // The audit view has every action, newest first; a filter narrows it.
    await page.locator("#audit-table tbody tr[data-action='api_key.revoke']").waitFor();
    const actions = await page.locator("#audit-table tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.action));
    assert.deepEqual(actions.slice(0, 5), ["api_key.revoke", "api_key.create", "device_token.revoke", "device_token.issue", "user.create"]);
    await page.locator("#audit-filters [name=action]").selectOption("device_token.issue");
    await page.locator("#audit-filters [name=actor]").fill("admin");
    await page.locator("#audit-filters button[type=submit]").click();
    await auditRows(page, 1, "device_token.issue");
    const issuedRow = page.locator("#audit-table tbody tr").first();
    await issuedRow.locator("summary").click();
    assert.match(await issuedRow.textContent(), /Redmi 12 · 扎西/);
    await screenshot(page, "admin-audit-desktop");

    // Paged: 60 more changes make two pages of 50; older, then newer again.
    for (let i = 0; i < 60; i++) {
      const res = await server.request("PATCH", `/api/v1/users/${tech.id}`, { body: { display_name: `扎西 ${i}` } });
      assert.equal(res.status, 200);
    }
    await page.locator("#audit-filters [name=actor]").fill("");
    await page.locator("#audit-filters [name=action]").selectOption("user.update");
    await page.locator("#audit-filters button[type=submit]").click();
    await auditRows(page, 50, "user.update");
    assert.equal(await page.locator("#audit-newer").isDisabled(), true);
    await page.locator("#audit-older").click();
    await page.locator("#audit-page", { hasText: "第 2 页" }).waitFor();
    await auditRows(page, 10, "user.update");
    assert.equal(await page.locator("#audit-older").isDisabled(), true);
    await page.locator("#audit-newer").click();
    await page.locator("#audit-page", { hasText: "第 1 页" }).waitFor();
    await auditRows(page, 50, "user.update");
    // Clearing the filters shows every action again: the 60 changes fill the first page,
    // the key's revocation is on the second.
    await page.locator("#audit-filters button[type=reset]").click();
    await page.locator("#audit-older:not([disabled])").waitFor();
    await page.locator("#audit-older").click();
    await page.locator("#audit-table tbody tr[data-action='api_key.revoke']").waitFor();
    await page.locator("#audit-page", { hasText: "第 2 页" }).waitFor();

    // The secrets never went to the server in a URL, nor into its log.
    for (const url of [...requested, ...phoneRequests]) {
      assert.ok(!url.includes(secret) && !url.includes(encodeURIComponent(secret)), url);
      assert.ok(!url.includes(key), url);
    }
    assert.ok(!server.log().includes(secret), "the device token is not in the server log");
    assert.ok(!server.log().includes(key), "the API key is not in the server log");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("phone: English field errors, editing a user, and the device-token sheet at 390 px", async () => {
  const tech = await server.createUser({ role: "technician", counties: [COUNTY], username: "tech-phone" });
  const { context, page, problems } = await newPage(browser, "phone");
  try {
    await signIn(page, "admin", server.adminPassword);
    await page.locator("body[data-state=ready]").waitFor();
    await page.locator("#lang").click();
    assert.equal(await page.locator("#users-heading").textContent(), "Users");

    // A reviewer without a region: the error in English, beside the region.
    await page.locator("#new-user").click();
    await page.locator("#user-form [name=username]").fill("reviewer-ali");
    await page.locator("#user-form [name=role]").selectOption("reviewer");
    await page.locator("#user-save").click();
    await page.locator("#user-err-scope_code", { hasText: "this role needs a region" }).waitFor();
    // Back to Chinese, the same error follows the switch.
    await page.locator("#lang").click();
    await page.locator("#user-err-scope_code", { hasText: "需要指定管辖区域" }).waitFor();
    await page.locator("#lang").click();
    await page.locator("#user-form [name=scope_code]").selectOption("542500");
    await page.locator("#user-save").click();
    await page.locator("#user-created-text", { hasText: "Created user reviewer-ali" }).waitFor();
    // No password given: one was generated and is shown once.
    assert.ok((await page.locator("#user-generated-password").textContent()).length >= 10);
    await page.locator("#user-created-done").click();

    // Edit: disable the technician; the table says so in words.
    const row = page.locator("#users-table tr[data-username=tech-phone]");
    await row.locator("[data-action=edit]").click();
    await page.locator("#user-form [name=active]").uncheck();
    await page.locator("#user-save").click();
    await row.filter({ hasText: "✕ disabled" }).waitFor();
    assert.equal((await server.request("GET", `/api/v1/users/${tech.id}`)).body.active, false);
    // The admin cannot disable themselves: the API's reason, beside the box.
    await page.locator("#users-table tr[data-username=admin] [data-action=edit]").click();
    await page.locator("#user-form [name=active]").uncheck();
    await page.locator("#user-save").click();
    await page.locator("#user-err-active", { hasText: "you cannot disable your own account" }).waitFor();
    await page.locator("#user-cancel").click();
    await row.locator("[data-action=edit]").click();
    await page.locator("#user-form [name=active]").check();
    await page.locator("#user-save").click();
    await row.filter({ hasText: "✓ active" }).waitFor();
    await screenshot(page, "admin-users-phone");

    await row.locator("[data-action=devices]").click();
    await page.locator("#token-form [name=name]").fill("");
    await page.locator("#token-form button[type=submit]").click();
    await page.locator("#token-err-name", { hasText: "name must be 1–100 characters" }).waitFor();
    await page.locator("#token-form [name=name]").fill("Huawei Enjoy");
    await page.locator("#token-form button[type=submit]").click();
    await page.locator("#token-once").waitFor();
    const link = await page.locator("#token-link").inputValue();
    assert.equal(await decodeQr(page, "#token-qr svg"), link);
    await screenshot(page, "admin-device-token-phone");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("phone: the device-token link and QR code carry the server's public address, and the page says it is not this one", async () => {
  const publicUrl = "http://phones.example:8080";
  const remote = await startServer({ args: ["--public-url", `${publicUrl}/`] });
  const tech = await remote.createUser({ role: "technician", counties: [COUNTY], username: "tech-public" });
  const { context, page, problems } = await newPage(browser, "phone");
  try {
    await signIn(page, "admin", remote.adminPassword, remote);
    await page.locator("body[data-state=ready]").waitFor();
    const warning = page.locator("#public-url-warning");
    assert.equal(
      await warning.textContent(),
      `⚠ 服务器公开地址为 ${publicUrl},与本浏览器访问的地址 ${new URL(remote.url("/")).origin} 不同;设备令牌的链接和二维码使用 ${publicUrl}。`,
    );
    await page.locator("#lang").click();
    await warning.filter({ hasText: `The server's public address is ${publicUrl}` }).waitFor();

    await page.locator(`#users-table tr[data-username=tech-public] [data-action=devices]`).click();
    assert.equal(await page.locator("#devices .public-url-warning").isVisible(), true);
    await page.locator("#token-form [name=name]").fill("Honor X6");
    await page.locator("#token-form button[type=submit]").click();
    await page.locator("#token-once").waitFor();
    const link = await page.locator("#token-link").inputValue();
    assert.match(link, new RegExp(`^${publicUrl.replaceAll(".", "\\.")}/collect/#device-token=awd_`));
    assert.equal(await decodeQr(page, "#token-qr svg"), link);
    const tokens = (await remote.request("GET", `/api/v1/users/${tech.id}/device-tokens`)).body;
    assert.equal(tokens.length, 1);
    await screenshot(page, "admin-public-url-differs-phone");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await remote.stop();
  }
});

test("desktop: no warning when the public address is the one the browser uses", async () => {
  const { context, page, problems } = await newPage(browser, "desktop");
  // The answer a server started with --public-url set to this very address gives (its
  // port is only known once it listens, so the page is told through the route).
  const here = new URL(server.url("/")).origin;
  await page.route("**/api/v1/server", (route) => route.fulfill({ json: { public_url: here } }));
  try {
    await signIn(page, "admin", server.adminPassword);
    await page.locator("body[data-state=ready]").waitFor();
    assert.equal(await page.locator(".public-url-warning:visible").count(), 0);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

for (const preset of ["desktop", "phone"]) {
  test(`${preset}: a reviewer is told the page is for admins, not shown a broken page`, async () => {
    const reviewer = await server.createUser({ role: "reviewer", scope: "542500" });
    const { context, page, problems } = await newPage(browser, preset);
    try {
      await signIn(page, reviewer.username, reviewer.password);
      await page.locator("body[data-state=forbidden]").waitFor();
      assert.equal(await page.locator("#forbidden h1").textContent(), "需要管理员权限");
      assert.match(await page.locator("#forbidden").textContent(), new RegExp(`${reviewer.username} \\(审核员\\)`));
      assert.equal(await page.locator("#admin-app").isVisible(), false);
      assert.equal(await page.locator("#failure").isVisible(), false);
      await page.locator("#lang").click();
      assert.equal(await page.locator("#forbidden h1").textContent(), "Admin only");
      await screenshot(page, `admin-forbidden-${preset}`);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
}
