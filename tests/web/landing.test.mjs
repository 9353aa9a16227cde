// The harness end to end on the landing page: a real server, a seeded survey, Chromium at
// both viewport presets, sign-in through the page, and the static files' content types
// that the pages rely on (the WASM module must be served as application/wasm to stream).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, newPage, screenshot, sampleSurvey } from "./harness.mjs";

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
