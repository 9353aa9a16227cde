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

// ---- the glossary ------------------------------------------------------------------------
// One word per thing (web/shared/glossary.js): the pages take roles, actions, review
// states, sections, indicators and page names from it, never a copy or a variant of
// their own, and the server's messages use the same words.

const glossary = await import(path.join(web, "shared/glossary.js"));

/** Every file under `dir` whose name matches `pattern`, skipping `skip` folders. */
function filesUnder(dir, pattern, skip = []) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) {
      if (!skip.includes(name)) out.push(...filesUnder(file, pattern, skip));
    } else if (pattern.test(name)) out.push(file);
  }
  return out;
}

const pageFiles = filesUnder(web, /\.(js|mjs|html|css|webmanifest)$/, ["vendor", "pkg", "node_modules"])
  .filter((file) => file !== path.join(web, "shared/glossary.js"));

test("no page and no server message uses a word the glossary replaced (查看者 for 查看员, 吊销 for 撤销, …)", () => {
  const serverFiles = filesUnder(path.join(repoRoot, "server/src"), /\.rs$/);
  const found = [];
  for (const file of [...pageFiles, ...serverFiles]) {
    const text = readFileSync(file, "utf8");
    for (const [variant, word] of Object.entries(glossary.NOT_THESE)) {
      if (text.includes(variant)) found.push(`${path.relative(repoRoot, file)}: ${variant} (the glossary's word: ${word})`);
    }
  }
  assert.deepEqual(found, []);
});

test("no page defines its own word for a glossary term: no key of the glossary in a page's word table, no copy of a glossary word", () => {
  const terms = new Map();
  for (const [key, word] of Object.entries(glossary.GLOSSARY_WORDS)) {
    if (typeof word[0] === "string") terms.set(word[0].replace(/\s*\{\w+\}\s*/g, ""), key);
  }
  const found = [];
  for (const file of pageFiles.filter((f) => /\.m?js$/.test(f))) {
    const text = readFileSync(file, "utf8");
    const where = path.relative(repoRoot, file);
    // A page's word table (`const WORDS = { key: [zh, en], … };`) overriding a glossary entry.
    const table = /const WORDS = \{\n([\s\S]*?)\n\};/.exec(text);
    for (const [, key] of table ? table[1].matchAll(/^ {2}(\w+):/gm) : []) {
      if (key in glossary.GLOSSARY_WORDS) found.push(`${where}: WORDS.${key} redefines the glossary's ${key}`);
    }
    // A glossary word spelled out as a string of its own ("查看员", "农膜回收率").
    for (const [, literal] of text.matchAll(/"([^"\n]+)"/g)) {
      if (terms.has(literal)) found.push(`${where}: "${literal}" is the glossary's ${terms.get(literal)}`);
    }
  }
  assert.deepEqual(found, []);
});

test("the glossary's sections, indicators and progress statuses are the analytics crate's names", () => {
  const labels = readFileSync(path.join(repoRoot, "analytics-wasm/src/labels.rs"), "utf8");
  for (const [key, [zh, en]] of Object.entries(glossary.SECTIONS)) {
    assert.ok(labels.includes(`field("${key}", "${zh}", "${en}", Group, None)`), `section ${key}: ${zh} / ${en} not in labels.rs`);
  }
  // An enum's names in the crate, { key: [zh, en] }, from its functions `key`, `name_zh`
  // and `name_en` (one `Enum::Variant => "text"` arm a line).
  const names = (file, type) => {
    const source = readFileSync(path.join(repoRoot, "analytics-wasm/src", file), "utf8");
    const arms = (fn) => {
      const body = new RegExp(`pub fn ${fn}\\(self\\)[^{]*\\{([\\s\\S]*?)\\n    \\}`).exec(source)[1];
      return Object.fromEntries([...body.matchAll(new RegExp(`${type}::(\\w+) => "([^"]+)"`, "g"))].map((m) => [m[1], m[2]]));
    };
    const [keys, zh, en] = [arms("key"), arms("name_zh"), arms("name_en")];
    return Object.fromEntries(Object.entries(keys).map(([variant, key]) => [key, [zh[variant], en[variant]]]));
  };
  const indicators = names("indicators.rs", "Indicator");
  assert.ok(Object.keys(indicators).length >= 7);
  assert.deepEqual(glossary.INDICATORS, indicators);
  const statuses = names("progress.rs", "Status");
  assert.equal(Object.keys(statuses).length, 7);
  assert.deepEqual(glossary.PROGRESS_STATUSES, statuses);
});

test("every page names the site's icon, /favicon.svg", () => {
  const htmlPages = filesUnder(web, /\.html$/, ["vendor", "pkg", "node_modules"]);
  assert.ok(htmlPages.length >= 6);
  const without = htmlPages.filter((file) => !readFileSync(file, "utf8").includes('<link rel="icon" href="/favicon.svg" type="image/svg+xml">'));
  assert.deepEqual(without.map((f) => path.relative(repoRoot, f)), []);
});
