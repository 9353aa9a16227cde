// Browser end-to-end test support: the real `agriwaste` binary on a fresh SQLite
// database, real HTTP, and Debian's Chromium driven by playwright-core.
//
// Nothing is mocked. Each `startServer()` gets its own temporary directory, database and
// port (the server binds port 0 and prints the address it got); each `launchBrowser()`
// starts Chromium with a fresh profile. Every process started here is killed when the
// test process exits, even after a failure.
//
// Typical use (node:test):
//
//   const server = await startServer();          // admin signed in as server.admin
//   const tech = await server.createUser({ role: "technician", counties: ["542523"] });
//   const browser = await launchBrowser();
//   const { context, page } = await newPage(browser, "phone");
//   await page.goto(server.url("/collect/"));
//   await screenshot(page, "collect-empty-phone");
//   after(() => Promise.all([browser.close(), server.stop()]));

import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, mkdir, rm } from "node:fs/promises";
import { existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { after, afterEach } from "node:test";
import { chromium } from "playwright-core";

/** The repository's root directory. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Where `screenshot()` writes: the folder a reviewer looks at. */
export const screenshotDir = path.join(repoRoot, "tests/web/screenshots");

/** The server binary: `AGRIWASTE_BIN`, else `target/debug/agriwaste` (`just test-web` builds it). */
export function serverBinary() {
  const bin = process.env.AGRIWASTE_BIN ?? path.join(repoRoot, "target/debug/agriwaste");
  if (!existsSync(bin)) {
    throw new Error(`${bin} does not exist: build the server first (\`cargo build -p agriwaste-server\`; \`just test-web\` does)`);
  }
  return bin;
}

/** Chromium: `CHROMIUM_PATH`, else Debian's (installed by `scripts/setup.sh`). */
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

// Processes and directories to clean up when this test process ends, however it ends.
const children = new Set();
const tempDirs = new Set();
function killAll() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}
process.on("exit", killAll);

// Servers and browsers still open when a test file's tests are done (a test that failed
// before its own cleanup) are closed here: a live child process would otherwise keep the
// file's process, and so `node --test`, from ever finishing.
const openServers = new Set();
const openBrowsers = new Set();
after(async () => {
  await Promise.allSettled([...openBrowsers].map((browser) => browser.close()));
  await Promise.allSettled([...openServers].map((server) => server.stop()));
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** Runs the server binary to completion with `stdin` text; resolves to its output. */
async function run(args, { env, cwd, stdin = "" }) {
  const child = spawn(serverBinary(), args, { env, cwd, stdio: ["pipe", "pipe", "pipe"] });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  child.stdin.end(stdin);
  const [code] = await once(child, "exit");
  children.delete(child);
  if (code !== 0) throw new Error(`agriwaste ${args.join(" ")} failed (${code}): ${stderr}`);
  return stdout;
}

/** A JSON answer: `{ status, body, headers }` (body parsed when it is JSON). */
async function answer(response) {
  const text = await response.text();
  let body = text;
  if ((response.headers.get("content-type") ?? "").includes("json") && text) body = JSON.parse(text);
  return { status: response.status, body, headers: response.headers };
}

/**
 * Starts the real server on a fresh SQLite database in a temporary directory, creates the
 * first admin the way an operator does (`agriwaste user add --password-stdin`) and signs
 * in as them.
 *
 * `options.args`: extra `serve` flags (e.g. `["--demo-data"]`).
 * `options.databaseUrl`: an existing database to serve instead of a fresh one (the
 * benchmarks' seeded file), with `options.adminUsername` for an admin that does not exist
 * there yet (default `admin`).
 */
export async function startServer(options = {}) {
  const dataDir = await mkdtemp(path.join(tmpdir(), "agriwaste-web-"));
  tempDirs.add(dataDir);
  const env = {
    ...process.env,
    DATABASE_URL: options.databaseUrl ?? `sqlite://${path.join(dataDir, "agriwaste.db")}?mode=rwc`,
    RUST_LOG: process.env.RUST_LOG ?? "info",
  };
  delete env.AGRIWASTE_CONFIG;
  const adminPassword = `pw-${randomUUID()}`;
  const adminUsername = options.adminUsername ?? "admin";
  await run(
    ["user", "add", "--username", adminUsername, "--role", "admin", "--password-stdin", "--data-dir", dataDir],
    { env, cwd: dataDir, stdin: `${adminPassword}\n` },
  );

  const child = spawn(
    serverBinary(),
    ["serve", "--bind", "127.0.0.1:0", "--data-dir", dataDir, "--web-dir", path.join(repoRoot, "web"), ...(options.args ?? [])],
    { env, cwd: dataDir, stdio: ["ignore", "pipe", "pipe"] },
  );
  children.add(child);
  let log = "";
  child.stderr.on("data", (d) => {
    log += d;
    if (log.length > 1_000_000) log = log.slice(-500_000);
  });
  const base = await new Promise((resolve, reject) => {
    // A limit, not a wait: a server that neither listens nor exits fails the test. Once
    // it listens the limit is off (a test file may well run longer than 120 s).
    const limit = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the server did not listen within 120 s; log:\n${log}`));
    }, 120_000);
    limit.unref();
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const addr = line.startsWith("agriwaste listening on ") && line.slice("agriwaste listening on ".length).trim();
      if (addr) {
        clearTimeout(limit);
        resolve(addr.startsWith("http") ? addr : `http://${addr}`);
      }
    });
    child.once("exit", (code) => reject(new Error(`the server exited (${code}) before listening; log:\n${log}`)));
  });

  const server = {
    base,
    dataDir,
    adminPassword,
    /** The server's log so far (stderr), for failure messages. */
    log: () => log,
    /** An absolute URL on this server. */
    url: (p) => new URL(p, base).href,
    /**
     * Calls the API: `request("POST", "/api/v1/surveys", { body, token })`. The token
     * defaults to the admin's. Resolves to `{ status, body, headers }`.
     */
    async request(method, p, { body, token = server.adminToken, headers = {} } = {}) {
      const init = { method, headers: { ...headers } };
      if (token) init.headers.authorization = `Bearer ${token}`;
      if (body instanceof FormData) init.body = body;
      else if (body !== undefined) {
        init.headers["content-type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      return answer(await fetch(server.url(p), init));
    },
    /** Signs in; resolves to the session token. */
    async login(username, password) {
      const res = await server.request("POST", "/api/v1/auth/login", { body: { username, password }, token: null });
      if (res.status !== 200) throw new Error(`sign-in as ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.token;
    },
    /**
     * Creates a user through the API (as admin) and signs them in. `role`: technician,
     * viewer, reviewer or admin; `scope`: a region code (viewers, reviewers); `counties`:
     * county codes (technicians). Resolves to `{ id, username, password, token }`.
     */
    async createUser({ role, scope = null, counties = [], username = `${role}-${randomUUID().slice(0, 8)}` }) {
      const password = `pw-${randomUUID()}`;
      const res = await server.request("POST", "/api/v1/users", {
        body: { username, role, scope_code: scope, counties, password },
      });
      if (res.status !== 201) throw new Error(`creating ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
      const token = await server.login(username, password);
      return { id: res.body.user.id, username, password, token };
    },
    /**
     * Issues a device token for user `userId` (as admin), the way an admin hands a phone
     * its long-lived sign-in. Resolves to `{ id, secret }`.
     */
    async issueDeviceToken(userId, name = "phone") {
      const res = await server.request("POST", `/api/v1/users/${userId}/device-tokens`, { body: { name } });
      if (res.status !== 201) throw new Error(`issuing a device token failed: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.credential.id, secret: res.body.secret };
    },
    /**
     * Stores surveys through the batch endpoint (as `token`, default the admin); each
     * must be created. Resolves to the batch results.
     */
    async seedSurveys(surveys, token = server.adminToken) {
      const results = [];
      for (let i = 0; i < surveys.length; i += 500) {
        const res = await server.request("POST", "/api/v1/surveys/batch", { body: { surveys: surveys.slice(i, i + 500) }, token });
        if (res.status !== 200) throw new Error(`seeding surveys failed: ${res.status} ${JSON.stringify(res.body)}`);
        const bad = res.body.results.filter((r) => r.status !== "created");
        if (bad.length) throw new Error(`seeding surveys: not created: ${JSON.stringify(bad.slice(0, 3))}`);
        results.push(...res.body.results);
      }
      return results;
    },
    /** Every survey the token may see (all pages), optionally filtered by query parameters. */
    async listSurveys(query = {}, token = server.adminToken) {
      const items = [];
      let cursor;
      do {
        const params = new URLSearchParams({ ...query, limit: "500", ...(cursor ? { cursor } : {}) });
        const res = await server.request("GET", `/api/v1/surveys?${params}`, { token });
        if (res.status !== 200) throw new Error(`listing surveys failed: ${res.status} ${JSON.stringify(res.body)}`);
        items.push(...res.body.items);
        cursor = res.body.next_cursor;
      } while (cursor);
      return items;
    },
    /** Stops the server (SIGTERM, then SIGKILL after 10 s) and removes its directory. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, "exit");
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      children.delete(child);
      openServers.delete(server);
      await rm(dataDir, { recursive: true, force: true });
      tempDirs.delete(dataDir);
    },
  };
  openServers.add(server);
  server.adminToken = await server.login(adminUsername, adminPassword);
  return server;
}

/**
 * A survey in the wire format with every section, for seeding; override fields with
 * `overrides` (shallow).
 */
export function sampleSurvey(overrides = {}) {
  return {
    id: randomUUID(),
    county_code: "542523",
    township: "狮泉河镇",
    village: "加木村",
    household: `HH-${randomUUID().slice(0, 6)}`,
    surveyed_on: "2025-09-14",
    technician: "seed",
    weight: 1.0,
    film: { used_kg: 42, area_mu: 8, thickness_mm: 0.012, degradable_kg: 5, recovered_kg: 36.5, recovery_channel: "recovery_point" },
    pesticide_packaging: { used_count: 30, used_kg: 3.2, returned_count: 26, returned_kg: 2.8, return_channel: "seller" },
    straw: [{ crop: "highland_barley", area_mu: 6, yield_kg: 1500, straw_kg: 1600, fertilizer_kg: 300, feed_kg: 900, substrate_kg: 0, fuel_kg: 150, raw_material_kg: 0, burned_kg: 0, discarded_kg: 50 }],
    yak_dung: { yak_head: 25, fuel_kg: 12000, fertilizer_kg: 3000, other_kg: 0, discarded_kg: 500 },
    ...overrides,
  };
}

/** Viewport presets: a laptop and a phone (390 × 844 CSS px, 3× pixels, touch). */
export const viewports = {
  desktop: { viewport: { width: 1366, height: 900 }, deviceScaleFactor: 1, isMobile: false, hasTouch: false },
  phone: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true },
};

/**
 * Launches Debian's Chromium headless with a fresh profile (playwright makes a new
 * temporary profile per launch) and nothing that reaches the network by itself.
 */
export async function launchBrowser() {
  if (!existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} does not exist: run \`just setup\` (installs Debian's chromium)`);
  }
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  openBrowsers.add(browser);
  browser.once("disconnected", () => openBrowsers.delete(browser));
  const proc = browser.process?.();
  if (proc) {
    children.add(proc);
    proc.once("exit", () => children.delete(proc));
  }
  return browser;
}

// What every page the tests open must never do: break the Content-Security-Policy (a
// script, style or image the policy refuses, which the page's console reports), or throw
// an uncaught error. Collected here for every page of every context `newPage` makes, and
// the test during which it happened fails (in `afterEach`), whether or not the test
// itself looks at `problems`.
const pageFaults = [];
function watchPage(page) {
  page.on("pageerror", (err) => pageFaults.push(`${page.url()}: page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.text().includes("Content Security Policy")) pageFaults.push(`${page.url()}: ${msg.text()}`);
  });
}
afterEach(() => {
  const faults = pageFaults.splice(0);
  if (faults.length) throw new Error(`the pages broke their Content-Security-Policy or threw:\n${faults.join("\n")}`);
});

/**
 * A new browser context (its own cookies, storage, service workers) at a viewport preset
 * (`"desktop"` or `"phone"`), Chinese locale by default, and one page in it. `options`
 * are passed to `browser.newContext` (e.g. `{ permissions: ["geolocation"], geolocation }`).
 * `problems` collects uncaught page errors and console errors, for a test to assert none;
 * a Content-Security-Policy violation or an uncaught error on any page of the context
 * fails the test in any case.
 */
export async function newPage(browser, preset = "desktop", options = {}) {
  const context = await browser.newContext({ locale: "zh-CN", timezoneId: "Asia/Shanghai", ...viewports[preset], ...options });
  context.on("page", watchPage);
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    // Chromium logs every HTTP error status and failed request as a console error; those
    // are expected answers (401 before sign-in, no network offline), not script errors.
    if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) problems.push(`console error: ${msg.text()}`);
  });
  return { context, page, problems };
}

/** Writes a full-page PNG to tests/web/screenshots/NAME.png; resolves to its path. */
export async function screenshot(page, name) {
  await mkdir(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  // From the top, so that sticky headers sit where a person first sees them.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Today's date in China Standard Time (UTC+8), as the server dates surveys. */
export function todayInChina() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}
