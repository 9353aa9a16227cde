// Every page fits: at a phone's 390 × 844 and a laptop's 1366 × 900, signed in as each role
// that uses the page (and before sign-in), no page scrolls sideways (a wide table scrolls
// inside its own box), every tap target is at least 44 px high at phone width, and
// nothing is logged as an error. Screenshots of each page at 390 px go to
// tests/web/screenshots/layout-*.png.
//
// What counts as a tap target: every visible button, link (a[href]), select, summary
// and input. Its box is the element's own, except for a checkbox, a radio button and a
// file input, whose tappable area is their label (tapping the label toggles the box or
// opens the picker), so the label's box counts. A link inside a sentence (an inline link
// with text of its own paragraph around it) is exempt, as WCAG 2.5.5 exempts it.
// Only the height is held to 44 px: that is the dimension a thumb misses by.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, newPage, screenshot, viewports } from "./harness.mjs";

const MIN_TAP_PX = 44;

let server;
let browser;
const users = {};

before(async () => {
  // The demo surveys (about a hundred per county over three years): the tables, charts
  // and filters as a bureau sees them, not an empty page.
  // (Demo mode gives the demo account "admin" a new password: the test's admin is another.)
  [server, browser] = await Promise.all([startServer({ args: ["--demo-data"], adminUsername: "site-admin" }), launchBrowser()]);
  users.technician = await server.createUser({ role: "technician", counties: ["542523"] });
  users.reviewer = await server.createUser({ role: "reviewer", scope: "542500" });
  users.viewer = await server.createUser({ role: "viewer", scope: "630000" });
  users.admin = { username: "site-admin", password: server.adminPassword };
});

after(async () => {
  await Promise.allSettled([browser?.close(), server?.stop()]);
});

/**
 * What is wrong with the page's layout as it is on screen: `wide` (the document is wider
 * than the window, with the elements that stick out) and `small` (tap targets under 44 px
 * high). Runs in the page.
 */
function layoutProblems({ minTap, width: expectedWidth }) {
  const describe = (e) => {
    const id = e.id ? `#${e.id}` : "";
    const cls = typeof e.className === "string" && e.className ? `.${e.className.trim().split(/\s+/).join(".")}` : "";
    const label = (e.getAttribute("aria-label") || e.textContent || e.getAttribute("name") || "").trim().replace(/\s+/g, " ").slice(0, 40);
    return `${e.tagName.toLowerCase()}${id}${cls} "${label}"`;
  };
  // The window's width as the viewport sets it: a phone browser zooms out to show a page
  // wider than itself, which widens innerWidth too.
  const width = Math.min(window.innerWidth, expectedWidth);
  const wide = [];
  if (document.documentElement.scrollWidth > width) {
    // The outermost elements that reach past the window's right edge, outside a box that
    // scrolls on its own.
    const scrollsItself = (e) => {
      for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
        if (["auto", "scroll", "hidden"].includes(getComputedStyle(p).overflowX)) return true;
      }
      return false;
    };
    for (const e of document.body.querySelectorAll("*")) {
      const box = e.getBoundingClientRect();
      if (box.right > width + 0.5 && box.width > 0 && !scrollsItself(e) && !(e.parentElement && e.parentElement.getBoundingClientRect().right > width + 0.5)) {
        wide.push(`${describe(e)} reaches ${Math.round(box.right)} px`);
      }
    }
    wide.unshift(`the page is ${document.documentElement.scrollWidth} px wide in a ${width} px window`);
  }

  const visible = (e) => {
    const box = e.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return false;
    const style = getComputedStyle(e);
    return style.visibility !== "hidden" && style.display !== "none";
  };
  const labelOf = (input) => input.closest("label") ?? (input.id ? document.querySelector(`label[for="${CSS.escape(input.id)}"]`) : null);
  const inSentence = (a) => {
    if (getComputedStyle(a).display !== "inline") return false;
    const block = a.parentElement;
    const own = [...block.childNodes].filter((n) => n !== a).map((n) => n.textContent).join("").trim();
    return own.length > 2 && !/^[·|/\s]+$/.test(own);
  };
  const small = [];
  for (const e of document.querySelectorAll("button, a[href], select, summary, input:not([type=hidden])")) {
    const labelled = e.matches("input[type=checkbox], input[type=radio], input[type=file]");
    const target = labelled ? labelOf(e) ?? e : e;
    if (!visible(target) || (!labelled && !visible(e))) continue;
    if (e.matches("a") && inSentence(e)) continue;
    const height = target.getBoundingClientRect().height;
    if (height < minTap - 0.5) small.push(`${describe(target)}${target === e ? "" : ` (for ${describe(e)})`}: ${height.toFixed(1)} px`);
  }
  return { wide, small };
}

/**
 * Checks the page as drawn; resolves to its problems, each naming the page. Takes its
 * screenshot at phone size.
 */
async function check(page, preset, name, problems) {
  // Fonts in place before anything is measured.
  await page.evaluate(() => document.fonts.ready);
  const found = await page.evaluate(layoutProblems, { minTap: MIN_TAP_PX, width: viewports[preset].viewport.width });
  if (preset === "phone") await screenshot(page, `layout-${name}-phone`);
  return [
    ...found.wide.map((p) => `${name}: sideways scroll: ${p}`),
    ...(preset === "phone" ? found.small.map((p) => `${name}: tap target under ${MIN_TAP_PX} px: ${p}`) : []),
    ...problems.splice(0).map((p) => `${name}: ${p}`),
  ];
}

/** Signs in on the landing page (the tab's session, which /dashboard/, /review/ and /admin/ share). */
async function signInOnLanding(page, user) {
  await page.goto(server.url("/"));
  await page.locator("body[data-state=anonymous]").waitFor({ state: "attached" });
  await page.locator("#signin input[name=username]").fill(user.username);
  await page.locator("#signin input[name=password]").fill(user.password);
  await page.locator("#signin button[type=submit]").click();
  await page.locator("body[data-state=signed-in]").waitFor({ state: "attached" });
}

/** Signs in on the collect form (the phone keeps its own credential). */
async function signInOnCollect(page, user) {
  await page.goto(server.url("/collect/"));
  await page.locator("#sign-in input[name=username]").fill(user.username);
  await page.locator("#sign-in input[name=password]").fill(user.password);
  await page.locator("#sign-in button[type=submit]").click();
  await page.locator("#survey").waitFor({ state: "attached" });
}

const ready = (page) => page.locator("body[data-state=ready]").waitFor({ state: "attached" });

/** The pages each role uses, each with how to open it and when it is drawn. */
const PAGES = {
  anonymous: [
    ["landing", async (page) => { await page.goto(server.url("/")); await page.locator("body[data-state=anonymous]").waitFor({ state: "attached" }); }],
    ["collect-signin", async (page) => { await page.goto(server.url("/collect/")); await page.locator("#sign-in").waitFor({ state: "attached" }); }],
    ["dashboard-signin", async (page) => { await page.goto(server.url("/dashboard/")); await page.locator("body[data-state=signin]").waitFor({ state: "attached" }); }],
    ["review-signin", async (page) => { await page.goto(server.url("/review/")); await page.locator("body[data-state=signin]").waitFor({ state: "attached" }); }],
    ["admin-signin", async (page) => { await page.goto(server.url("/admin/")); await page.locator("body[data-state=signin]").waitFor({ state: "attached" }); }],
    ["report-signin", async (page) => { await page.goto(server.url("/report/")); await page.locator("body[data-state=signin]").waitFor({ state: "attached" }); }],
    ["404", async (page) => { await page.goto(server.url("/nope")); await page.locator("h1").waitFor({ state: "attached" }); }],
  ],
  technician: [
    ["landing", async (page, user) => signInOnLanding(page, user)],
    ["collect", async (page, user) => signInOnCollect(page, user)],
    ["collect-queue", async (page) => { await page.locator("[data-tab=queue]").click(); await page.locator("#queue-view").waitFor({ state: "attached" }); }],
    // The landing page's link to "my surveys" opens the form on that tab.
    ["collect-mine", async (page) => {
      await page.goto(server.url("/"));
      await page.locator("a[data-page=mine]").click();
      await page.locator("#mine-view:not([hidden])").waitFor();
    }],
  ],
  reviewer: [
    ["landing", async (page, user) => signInOnLanding(page, user)],
    ["review", async (page) => { await page.goto(server.url("/review/")); await ready(page); await page.locator("#surveys tbody tr[data-id]").first().waitFor({ state: "attached" }); }],
    ["review-survey", async (page) => {
      await page.locator("#surveys tbody tr[data-id] a").first().click();
      await page.locator("#detail-view").waitFor();
      await ready(page);
    }],
    ["dashboard", async (page) => { await page.goto(server.url("/dashboard/")); await ready(page); }],
    ["report", async (page) => { await page.goto(server.url("/report/")); await ready(page); }],
  ],
  viewer: [
    ["landing", async (page, user) => signInOnLanding(page, user)],
    ["dashboard", async (page) => { await page.goto(server.url("/dashboard/")); await ready(page); }],
    ["review", async (page) => { await page.goto(server.url("/review/")); await ready(page); }],
    ["report", async (page) => { await page.goto(server.url("/report/?region=630000")); await ready(page); }],
  ],
  admin: [
    ["landing", async (page, user) => signInOnLanding(page, user)],
    ["admin", async (page) => { await page.goto(server.url("/admin/")); await ready(page); }],
    ["admin-devices", async (page) => {
      await page.locator("#users-table [data-action=devices]").first().click();
      await page.locator("#devices").waitFor();
    }],
    ["dashboard", async (page) => { await page.goto(server.url("/dashboard/")); await ready(page); }],
    ["review", async (page) => { await page.goto(server.url("/review/")); await ready(page); }],
    ["report", async (page) => { await page.goto(server.url("/report/")); await ready(page); }],
    ["collect", async (page, user) => signInOnCollect(page, user)],
    ["404", async (page) => { await page.goto(server.url("/admin/no-such-page")); await page.locator("h1").waitFor({ state: "attached" }); }],
  ],
};

for (const preset of ["phone", "desktop"]) {
  for (const [role, pages] of Object.entries(PAGES)) {
    test(`${role} at ${preset}: no page scrolls sideways${preset === "phone" ? ", every tap target is 44 px high" : ""}`, async () => {
      const { context, page, problems } = await newPage(browser, preset);
      try {
        const found = [];
        for (const [name, open] of pages) {
          await open(page, users[role]);
          found.push(...(await check(page, preset, `${name}-${role}`, problems)));
        }
        assert.deepEqual(found, []);
      } finally {
        await context.close();
      }
    });
  }
}

test("the probe sees a page that is too wide and a button that is too small", async () => {
  const { context, page } = await newPage(browser, "phone");
  try {
    await page.goto(server.url("/nope"));
    await page.evaluate(() => {
      const wide = document.createElement("div");
      wide.id = "too-wide";
      wide.style.width = "500px";
      wide.style.height = "1px";
      const tiny = document.createElement("button");
      tiny.id = "too-small";
      tiny.textContent = "x";
      tiny.style.cssText = "min-height: 0; height: 20px; padding: 0";
      document.querySelector("main").append(wide, tiny);
    });
    const found = await page.evaluate(layoutProblems, { minTap: MIN_TAP_PX, width: 390 });
    assert.match(found.wide.join("\n"), /div#too-wide/);
    assert.match(found.small.join("\n"), /button#too-small/);
  } finally {
    await context.close();
  }
});
