// Entry point of index.html: mounts the classifier UI, puts the page in the reader's
// language (its own switcher, remembered), and registers the service worker that makes
// the app work offline. A new version is only swapped in when the user asks.
import { mountClassifier } from "./ui.js";
import { initialLanguage, languageOptions, rememberLanguage, translator } from "./i18n.js";

let tr = translator(initialLanguage());

// index.html shows the notice and the privacy line itself; the UI keeps the latter honest
// and in the page's language.
const ui = mountClassifier(document.getElementById("app"), {
  privacy: document.querySelector("[data-privacy]"),
  notice: false,
  language: tr.lang,
  languageSwitcher: false,
});

/** The page's own texts (title, header, footer, update bar) in the current language. */
function translatePage() {
  document.documentElement.lang = tr.lang;
  document.title = tr.t("page.title");
  document.querySelector('meta[name="description"]')?.setAttribute("content", tr.t("page.description"));
  for (const element of document.querySelectorAll("[data-i18n]")) element.textContent = tr.t(element.dataset.i18n);
  languageOptions(languageSelect, tr.lang);
}

const languageSelect = document.querySelector("[data-language-select]");
languageSelect.addEventListener("change", () => {
  rememberLanguage(languageSelect.value);
  tr = translator(languageSelect.value);
  translatePage();
  ui.setLanguage(tr.lang);
});
translatePage();

// A file dropped outside the drop zone would otherwise make the browser open it and
// leave the page, losing every result.
for (const type of ["dragover", "drop"]) window.addEventListener(type, (event) => event.preventDefault());

/** Shows a non-modal "new version" bar; its button activates `waiting` and reloads. */
function offerUpdate(waiting) {
  if (document.querySelector(".update-bar")) return;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "ps-button";
  button.dataset.i18n = "page.update.reload";
  button.textContent = tr.t("page.update.reload");
  const text = document.createElement("span");
  text.dataset.i18n = "page.update.available";
  text.textContent = tr.t("page.update.available");
  const bar = document.createElement("div");
  bar.className = "update-bar";
  bar.setAttribute("role", "status");
  bar.append(text, " ", button);
  button.addEventListener("click", () => {
    button.disabled = true;
    let reloaded = false;
    navigator.serviceWorker.addEventListener("controllerchange", () => {
      if (reloaded) return;
      reloaded = true;
      location.reload();
    });
    waiting.postMessage({ type: "SKIP_WAITING" });
  });
  document.body.append(bar);
}

async function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  const registration = await navigator.serviceWorker.register(new URL("./sw.js", import.meta.url), {
    scope: new URL("./", import.meta.url).href,
  });
  // Only an update waits behind a controlling worker; a first install just takes over.
  const hasController = () => Boolean(navigator.serviceWorker.controller);
  if (registration.waiting && hasController()) offerUpdate(registration.waiting);
  registration.addEventListener("updatefound", () => {
    const installing = registration.installing;
    installing?.addEventListener("statechange", () => {
      if (installing.state === "installed" && hasController()) offerUpdate(installing);
    });
  });
}

registerServiceWorker().catch((e) => console.warn("Pneumoscan: no offline support:", e));
