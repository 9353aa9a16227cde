// The harness end to end on the landing page: a real server, a seeded survey, Chromium at
// both viewport presets, sign-in through the page, and the static files' content types
// that the pages rely on (the WASM module must be served as application/wasm to stream).
// The landing page shows each role the pages it uses (before sign-in, what every page is
// for); an address with no page is the "not found" page; every page has the site's icon.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, newPage, screenshot, sampleSurvey } from "./harness.mjs";
import { PAGES, ROLES } from "../../web/shared/glossary.js";

let server;
let browser;

before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});

after(async () => {
  await Promise.allSettled([browser?.close(), server?.stop()]);
});

test("static files: WASM, its glue and the pages are served with their content types", async () => {
  for (const [path, type] of [
    ["/pkg/agriwaste_analytics_bg.wasm", "application/wasm"],
    ["/pkg/agriwaste_analytics.js", "javascript"],
    ["/", "text/html"],
  ]) {
    const res = await fetch(server.url(path));
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get("content-type"), new RegExp(type), path);
  }
});

for (const preset of ["desktop", "phone"]) {
  test(`landing page at ${preset} size: sign in and see the latest survey`, async () => {
    const reviewer = await server.createUser({ role: "reviewer", scope: "542500" });
    const household = `HH-landing-${preset}`;
    await server.seedSurveys([sampleSurvey({ household })]);

    const { context, page, problems } = await newPage(browser, preset);
    try {
      await page.goto(server.url("/"));
      await page.getByText("正常运行").waitFor();
      await page.locator("#signin input[name=username]").fill(reviewer.username);
      await page.locator("#signin input[name=password]").fill(reviewer.password);
      await page.locator("#signin button[type=submit]").click();
      await page.locator("#latest tbody td", { hasText: household }).waitFor();
      await screenshot(page, `landing-${preset}`);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
}

test("/docs: poem-openapi's Swagger UI works under its own Content-Security-Policy (inline script allowed), the pages' stays strict", async () => {
  const docs = await fetch(server.url("/docs/"));
  assert.match(docs.headers.get("content-security-policy"), /script-src 'self' 'unsafe-inline'/);
  assert.doesNotMatch((await fetch(server.url("/"))).headers.get("content-security-policy"), /unsafe-inline/);
  const { context, page, problems } = await newPage(browser, "desktop");
  try {
    await page.goto(server.url("/docs/"));
    // Drawn by its script from the API document: the operations are listed.
    await page.locator(".swagger-ui .opblock").first().waitFor();
    assert.ok((await page.locator(".swagger-ui .opblock").count()) > 10);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("before sign-in the landing page describes every page, links none, and promises no region's targets to everyone", async () => {
  const { context, page, problems } = await newPage(browser, "phone");
  try {
    await page.goto(server.url("/"));
    await page.locator("body[data-state=anonymous]").waitFor({ state: "attached" });
    const cards = await page.$$eval("#pages [data-page]", (nodes) => nodes.map((n) => [n.dataset.page, n.tagName, n.querySelector("h2").textContent]));
    assert.deepEqual(cards.map(([key]) => key), ["collect", "mine", "review", "dashboard", "report", "admin"]);
    for (const [key, tag, heading] of cards) {
      assert.equal(tag, "DIV", `${key}: a description, not a link`);
      assert.equal(heading, `${PAGES[key][0]} ${PAGES[key][1]}`);
    }
    assert.equal(await page.locator("#pages a").count(), 0);
    assert.ok(await page.locator("#signin input[name=username]").isVisible());
    // Targets are each region's own (REFERENCE.md): no year or figure of one region's plan.
    const text = await page.locator("main").textContent();
    assert.doesNotMatch(text, /2030|≥ ?9\d ?%/);
    assert.match(text, /各地区对照自己的目标和规划阶段/);
    assert.match(text, /each region's own targets and plans/);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

const PAGES_OF_ROLE = {
  technician: ["/collect/", "/collect/#mine"],
  reviewer: ["/review/", "/dashboard/", "/report/"],
  viewer: ["/dashboard/", "/report/"],
  admin: ["/collect/", "/review/", "/dashboard/", "/report/", "/admin/"],
};

for (const [role, hrefs] of Object.entries(PAGES_OF_ROLE)) {
  test(`signed in as ${role === "admin" ? "an" : "a"} ${role}, the landing page links the ${role}'s pages: ${hrefs.join(", ")}`, async () => {
    const user = await server.createUser({ role, ...(role === "technician" ? { counties: ["542523"] } : role === "admin" ? {} : { scope: "542500" }) });
    const { context, page, problems } = await newPage(browser, "desktop");
    try {
      await page.goto(server.url("/"));
      await page.locator("#signin input[name=username]").fill(user.username);
      await page.locator("#signin input[name=password]").fill(user.password);
      await page.locator("#signin button[type=submit]").click();
      await page.locator("body[data-state=signed-in]").waitFor({ state: "attached" });
      assert.deepEqual(await page.$$eval("#pages a.card", (links) => links.map((a) => a.getAttribute("href"))), hrefs);
      assert.equal(await page.locator("#pages div.card").count(), 0);
      // The role by the glossary's word, in both languages.
      const who = await page.locator("#who").textContent();
      assert.ok(who.includes(`(${ROLES[role][0]})`) && who.includes(`(${ROLES[role][1].toLowerCase()})`), who);
      assert.ok(!(await page.locator("#signin").isVisible()));
      // Every link leads to a page that is there.
      for (const href of hrefs) assert.equal((await fetch(server.url(href))).status, 200, href);
      // Signing out returns to the descriptions and the sign-in.
      await page.locator("#signout").click();
      await page.locator("body[data-state=anonymous]").waitFor({ state: "attached" });
      assert.equal(await page.locator("#pages a").count(), 0);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
}

test("an address with no page: the 'not found' page (404, both languages, the site's style and icon), whose link leads home", async () => {
  const { context, page, problems } = await newPage(browser, "phone");
  try {
    const response = await page.goto(server.url("/nope"));
    assert.equal(response.status(), 404);
    assert.match(response.headers()["content-type"], /text\/html/);
    assert.match(await page.locator("h1").textContent(), /找不到此页面.*Page not found/);
    // Styled by the site's sheet: the header is the pages' green bar.
    assert.equal(await page.locator("header.top").evaluate((e) => getComputedStyle(e).backgroundColor), "rgb(15, 110, 90)");
    await screenshot(page, "not-found-phone");
    await page.locator("main a[href='/']").click();
    await page.locator("body[data-state=anonymous]").waitFor({ state: "attached" });
    assert.equal(new URL(page.url()).pathname, "/");
    // fetch() from a page (as the pages call the API) still gets the JSON error.
    const answer = await page.evaluate(async () => {
      const res = await fetch("/nope");
      return { status: res.status, type: res.headers.get("content-type"), body: await res.json() };
    });
    assert.equal(answer.status, 404);
    assert.match(answer.type, /json/);
    assert.equal(answer.body.code, "not_found");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("every page's icon is the site's SVG icon, and /favicon.ico leads to it", async () => {
  const { context, page } = await newPage(browser, "desktop");
  try {
    for (const path of ["/", "/collect/", "/dashboard/", "/review/", "/report/", "/admin/", "/nope"]) {
      await page.goto(server.url(path));
      const icon = await page.evaluate(async () => {
        const link = document.querySelector("link[rel=icon]");
        const res = await fetch(link.href);
        return { href: link.getAttribute("href"), status: res.status, type: res.headers.get("content-type") };
      });
      assert.deepEqual(icon, { href: "/favicon.svg", status: 200, type: "image/svg+xml" }, path);
    }
    const ico = await page.evaluate(async () => {
      const res = await fetch("/favicon.ico");
      return { status: res.status, redirected: res.redirected, url: new URL(res.url).pathname, type: res.headers.get("content-type") };
    });
    assert.deepEqual(ico, { status: 200, redirected: true, url: "/favicon.svg", type: "image/svg+xml" });
  } finally {
    await context.close();
  }
});
