// Service worker of the technician's form: keeps the app shell and the analytics module
// (WASM) on the phone, so the form opens and validates with no network.
//
// Shell files are served from the cache at once and refreshed from the network behind
// (stale-while-revalidate): a phone on a weak signal never waits for the network to
// open the form, and picks up a new version on the next start. The API is never cached:
// surveys wait in IndexedDB (queue.js), not here. Bump VERSION when the list of shell
// files changes; older caches are deleted when the new worker activates.

const VERSION = "v4";
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
      .then((cache) => cache.addAll(SHELL.map((path) => new Request(path, { cache: "reload" }))))
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

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
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
