// One-line embed for any page, on this origin or another:
//   <script type="module" src="https://pneumoscan.example/embed.js"></script>
//   <pneumonia-classifier></pneumonia-classifier>
// Every asset resolves relative to this module's URL, never to the host page. The UI
// lives in an open shadow root, isolated from the host page's styles. No service worker
// is registered from here: offline caching belongs to the app page only.
//
// Language: English, Spanish or French, from the element's `lang` attribute when the
// host page sets one (<pneumonia-classifier lang="fr">), else the reader's earlier choice
// in the element's own switcher, else the browser's languages.
//
// Workers: <pneumonia-classifier workers="2"> classifies two files at a time, one model
// per Web Worker (default min(cores, 4)); read once, when the element is first attached.
import { mountClassifier } from "./ui.js";
import { supportedLanguage } from "./i18n.js";
export { loadClassifier } from "./client.js";

const LANG = "lang";
const WORKERS = "workers";

class PneumoniaClassifier extends HTMLElement {
  static observedAttributes = [LANG];

  connectedCallback() {
    if (this.shadowRoot) return; // mounted once; moving the element keeps its results
    const shadow = this.attachShadow({ mode: "open" });
    const style = document.createElement("link");
    style.rel = "stylesheet";
    style.href = new URL("./style.css", import.meta.url).href;
    shadow.append(style);
    this.ui = mountClassifier(shadow, {
      language: supportedLanguage(this.getAttribute(LANG)),
      workers: this.getAttribute(WORKERS) ?? undefined,
    });
  }

  attributeChangedCallback(name, _old, value) {
    if (name === LANG) this.ui?.setLanguage(value);
  }
}

if (!customElements.get("pneumonia-classifier")) {
  customElements.define("pneumonia-classifier", PneumoniaClassifier);
}
