// One-line embed for any page, on this origin or another:
//   <script type="module" src="https://pneumoscan.example/embed.js"></script>
//   <pneumonia-classifier></pneumonia-classifier>
// Every asset resolves relative to this module's URL, never to the host page. The UI
// lives in an open shadow root, isolated from the host page's styles. No service worker
// is registered from here: offline caching belongs to the app page only.
import { mountClassifier } from "./ui.js";
export { loadClassifier } from "./client.js";

class PneumoniaClassifier extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return; // mounted once; moving the element keeps its results
    const shadow = this.attachShadow({ mode: "open" });
    const style = document.createElement("link");
    style.rel = "stylesheet";
    style.href = new URL("./style.css", import.meta.url).href;
    shadow.append(style);
    mountClassifier(shadow);
  }
}

if (!customElements.get("pneumonia-classifier")) {
  customElements.define("pneumonia-classifier", PneumoniaClassifier);
}
