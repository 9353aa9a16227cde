// The pages' layout (web/): each page folder uses its own files, the shared helpers
// (/shared/), the site's style (/style.css), the WASM module (/pkg/) and the vendored
// modules (/vendor/), never another
// page's folder, so a change to one page cannot break another through a file it borrowed.
// Read from the files themselves: no server, no browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./harness.mjs";

const web = path.join(repoRoot, "web");
const pages = readdirSync(web).filter((name) => statSync(path.join(web, name)).isDirectory() && !["shared", "pkg", "vendor"].includes(name));

/** Every module imported and stylesheet or script loaded by the files of `folder`, as absolute paths. */
function references(folder) {
  const out = [];
  for (const name of readdirSync(folder)) {
    const file = path.join(folder, name);
    if (!/\.(js|mjs|html)$/.test(name)) continue;
    const text = readFileSync(file, "utf8");
    const found = [
      ...text.matchAll(/\bfrom\s+"([^"]+)"/g),
      ...text.matchAll(/\bimport\s+"([^"]+)"/g),
      ...text.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+\.(?:js|css))"/g),
    ].map((m) => m[1]);
    for (const ref of found) {
      const absolute = ref.startsWith("/") ? ref : `/${path.relative(web, path.resolve(folder, ref))}`;
      out.push({ file: path.relative(web, file), ref: absolute });
    }
  }
  return out;
}

test("the page folders exist", () => {
  assert.deepEqual(pages.sort(), ["admin", "collect", "dashboard", "report", "review"]);
});

for (const page of pages) {
  test(`${page}/ uses its own files, /shared/, /style.css, /pkg/ and /vendor/ only`, () => {
    const refs = references(path.join(web, page));
    assert.ok(refs.length > 0);
    const foreign = refs.filter(({ ref }) => !/^\/(shared|pkg|vendor)\//.test(ref) && ref !== "/style.css" && !ref.startsWith(`/${page}/`));
    assert.deepEqual(foreign, []);
  });
}

test("the landing page and the shared helpers use /shared/ only (and the site's style)", () => {
  const landing = references(web).filter(({ file }) => file === "index.html" || file === "landing.js");
  const shared = references(path.join(web, "shared"));
  const foreign = [...landing, ...shared].filter(({ ref }) => !/^\/shared\//.test(ref) && !["/style.css", "/landing.js"].includes(ref));
  assert.deepEqual(foreign, []);
  assert.ok(landing.some(({ ref }) => ref === "/shared/sign-in.js"), "the landing page signs in with the shared form");
});

test("the collect service worker caches every shared module the form imports, so it opens offline", () => {
  const needed = new Set();
  const visit = (file) => {
    for (const { ref } of references(path.dirname(file)).filter((r) => path.join(web, r.file) === file)) {
      if (!ref.startsWith("/shared/") || needed.has(ref)) continue;
      needed.add(ref);
      visit(path.join(web, ref));
    }
  };
  for (const name of readdirSync(path.join(web, "collect")).filter((n) => n.endsWith(".js") && n !== "sw.js")) visit(path.join(web, "collect", name));
  const sw = readFileSync(path.join(web, "collect/sw.js"), "utf8");
  const cached = new Set([...sw.matchAll(/"(\/shared\/[^"]+)"/g)].map((m) => m[1]));
  assert.ok(needed.size > 0);
  assert.deepEqual([...needed].filter((ref) => !cached.has(ref)), []);
});
