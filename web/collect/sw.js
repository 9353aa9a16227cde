// Service worker of the technician's form: keeps the app shell and the analytics module
// (WASM) on the phone, so the form opens and validates with no network.
//
// Shell files are served from the cache at once and refreshed from the network behind
// (stale-while-revalidate): a phone on a weak signal never waits for the network to
// open the form, and picks up a new version on the next start. The API is never cached:
// surveys wait in IndexedDB (queue.js), not here. Bump VERSION when the list of shell
// files changes; older caches are deleted when the new worker activates.
//
// The page names its files under the release's versioned prefix (/v/<version>/…,
// server/src/web_assets.rs), which the page passes in this script's address
// (sw.js?assets=/v/<version>/), so a release installs a new worker. The cache keeps one
// copy per file under its plain path; the worker fetches the versioned address, which the
// page has just loaded into the HTTP cache for good, so installing costs no second
// download of the WASM module.

const VERSION = "v5";
const askedAssets = new URL(self.location.href).searchParams.get("assets") ?? "";
const ASSETS = /^\/v\/[0-9a-f]+\/$/.test(askedAssets) ? askedAssets : "/";
const CACHE = `agriwaste-collect-${VERSION}`;
const SHELL = [
  "./",
  "./app.js",
  "./form.js",
  "./i18n.js",
  "./queue.js",
  "./mine.js",
  "./photo.js",
  "./collect.css",
  "./manifest.webmanifest",
  "./icons/icon.svg",
  "./icons/icon-192.png",
  "./icons/icon-512.png",
  // The modules every page shares that the form imports.
  "/shared/api.js",
  "/shared/dom.js",
  "/shared/fields.js",
  "/shared/glossary.js",
  "/shared/sign-in.js",
  "/shared/values.js",
  "/shared/words.js",
  // The site's icon, which the form's tab shows.
  "/favicon.svg",
  "/pkg/agriwaste_analytics.js",
  "/pkg/agriwaste_analytics_bg.wasm",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) =>
        Promise.all(
          SHELL.map(async (path) => {
            const plain = new URL(path, self.registration.scope);
            // The page itself keeps its address; its files come from the release's prefix.
            const source = path === "./" ? plain : new URL(ASSETS + plain.pathname.slice(1), plain);
            const response = await fetch(source);
            if (!response.ok) throw new Error(`${source.pathname}: ${response.status}`);
            await cache.put(plain.href, response);
          }),
        ),
      )
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("agriwaste-collect-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

const shellUrls = new Set(SHELL.map((path) => new URL(path, self.registration.scope).href));

/** The plain address of a file asked for under a versioned prefix (/v/<version>/x → /x). */
function plain(url) {
  const versioned = url.pathname.match(/^\/v\/[^/]+(\/.*)$/);
  if (versioned) url.pathname = versioned[1];
  return url;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = plain(new URL(request.url));
  url.search = "";
  // The page itself, however it is asked for (/collect/, /collect/index.html).
  const key = request.mode === "navigate" && url.pathname.startsWith(new URL(self.registration.scope).pathname) ? new URL("./", self.registration.scope).href : url.href;
  if (!shellUrls.has(key)) return; // the API and anything else: straight to the network
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const cached = await cache.match(key);
      const fresh = fetch(request)
        .then((response) => {
          if (response.ok && response.type === "basic") cache.put(key, response.clone());
          return response;
        })
        .catch(() => undefined);
      if (cached) {
        event.waitUntil(fresh);
        return cached;
      }
      return (await fresh) ?? Response.error();
    }),
  );
});
