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

// Installed on the first visit: everything but the WebAssembly builds this browser does
// not run first. The module with every decoder (and its glue) is cached once the worker
// first fetches it, and in the background on every later visit (see "fetch"), so that
// the first visit stays small and DICOM, TIFF and JPEG 2000 still work offline from the
// second visit on.
const FULL = [self.PNEUMOSCAN_WASM.full.glue, self.PNEUMOSCAN_WASM.full.file];
const INSTALL = PRECACHE.filter(
  (path) => (!path.endsWith(".wasm") || path === self.PNEUMOSCAN_WASM.file) && !FULL.includes(path),
);
const LATER = PRECACHE.filter((path) => FULL.includes(path));

self.addEventListener("install", (event) => {
  if (BUILT) event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(INSTALL)));
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "SKIP_WAITING") self.skipWaiting();
  // The page's worker loaded the module with every decoder (client.js): keep it.
  if (event.data?.type === "CACHE_LATER" && BUILT) event.waitUntil(cacheLater());
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

/** Caches the files of LATER that are not cached yet (errors are left for next time). */
async function cacheLater() {
  const cache = await caches.open(CACHE);
  for (const path of LATER) {
    if (!(await cache.match(path))) await cache.add(path).catch(() => {});
  }
}

self.addEventListener("fetch", (event) => {
  const cachedUrl = cachedUrlFor(event.request);
  if (!cachedUrl) return; // e.g. POST ./predict: untouched, straight to the network
  // A navigation answered here is a later visit (the first one has no worker yet).
  if (cachedUrl === indexUrl) event.waitUntil(cacheLater());
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      const cached = await cache.match(cachedUrl);
      if (cached) return cached;
      const response = await fetch(event.request);
      // A bundle file that was not installed (the second module): keep it for offline use.
      if (response.status === 200) event.waitUntil(cache.put(cachedUrl, response.clone()));
      return response;
    })(),
  );
});
