// Service worker: serves the app from a versioned cache so that it works offline.
// The build (cargo xtask dist) replaces the two placeholders below with the build id and
// the list of every bundle file; a new build means a new worker, which waits until the
// page asks it to take over (SKIP_WAITING, after the user clicks "Reload").
const VERSION = "__VERSION__";
const PRECACHE = ["__PRECACHE__"];
importScripts("./simd.js"); // self.PNEUMOSCAN_WASM: the WebAssembly build this browser runs

const PREFIX = "pneumoscan-";
const CACHE = `${PREFIX}${VERSION}`;
// Unbuilt (the placeholder is still there): cache nothing and intercept nothing.
const BUILT = !(PRECACHE.length === 1 && /^__\w+__$/.test(PRECACHE[0]));

const scope = new URL(self.registration.scope);
const precached = new Set(PRECACHE.map((path) => new URL(path, self.location).href));
const indexUrl = new URL("./index.html", self.location).href;

// Of the two WebAssembly builds, only the one this browser runs is downloaded.
const INSTALL = PRECACHE.filter((path) => !path.endsWith(".wasm") || path === self.PNEUMOSCAN_WASM.file);

self.addEventListener("install", (event) => {
  if (BUILT) event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(INSTALL)));
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "SKIP_WAITING") self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      if (BUILT) {
        const names = await caches.keys();
        await Promise.all(
          names.filter((name) => name.startsWith(PREFIX) && name !== CACHE).map((name) => caches.delete(name)),
        );
      }
      await self.clients.claim();
    })(),
  );
});

/** The cached URL for a request, or null when the network should answer it. */
function cachedUrlFor(request) {
  if (!BUILT || request.method !== "GET") return null;
  const url = new URL(request.url);
  // A navigation to the app's folder (any query string) is the app page.
  if (request.mode === "navigate" && url.origin === scope.origin && url.pathname === scope.pathname) {
    return indexUrl;
  }
  url.hash = "";
  return precached.has(url.href) ? url.href : null;
}

self.addEventListener("fetch", (event) => {
  const cachedUrl = cachedUrlFor(event.request);
  if (!cachedUrl) return; // e.g. POST ./predict: untouched, straight to the network
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      return (await cache.match(cachedUrl)) ?? fetch(event.request);
    })(),
  );
});
