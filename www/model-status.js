// The model's loading status, above the drop zone: what is happening (a status line,
// announced), the bytes received of the bytes expected (the WebAssembly and the model,
// counted by the worker), the wait before a retry when a download was cut off, and a
// "Try again" button once the retries ran out. Files can be dropped meanwhile: ui.js
// keeps them waiting for the model.
import { formatNumber, h } from "./dom.js";

/**
 * `bytes` as `lang` writes them in the unit that suits `scale` (the total, so that both
 * numbers of "1.2 MB of 4.4 MB" share a unit): megabytes with one decimal, else kilobytes.
 */
export function formatBytes(lang, bytes, scale = bytes) {
  const mega = scale >= 1e6;
  return formatNumber(lang, bytes / (mega ? 1e6 : 1e3), mega ? 1 : 0, {
    style: "unit",
    unit: mega ? "megabyte" : "kilobyte",
    minimumFractionDigits: mega ? 1 : 0,
  });
}

/**
 * Returns {element, loading(), progress({loaded, total}), retrying({delayMs}),
 * failed({download, detail}), done(key, params), relabel(tr)}; `onTryAgain()` is called
 * by the button. The element carries `data-model-status`, and `data-loaded`,
 * `data-total` (bytes) and `data-retries` for automation.
 */
export function createModelStatus({ tr, onTryAgain }) {
  const text = h("p", { class: "ps-model-text", role: "status", tabindex: "-1" });
  const bar = h("progress", { class: "ps-model-progress" });
  const bytes = h("span", { class: "ps-model-bytes" });
  const download = h("div", { class: "ps-model-download" }, bar, bytes);
  const tryAgain = h("button", { type: "button", class: "ps-button", "data-model-retry": true, hidden: true });
  const element = h("section", { class: "ps-model", "data-model-status": true }, text, download, tryAgain);

  let line = { key: "ui.model.loading" }; // the status line: a catalogue key and its params
  let counts = null; // {loaded, total} once the worker knows the total
  let retries = 0;
  let timer = 0;

  const render = () => {
    element.setAttribute("aria-label", tr.t("ui.model.status"));
    bar.setAttribute("aria-label", tr.t("ui.model.download"));
    if (text.textContent !== tr.t(line.key, line.params)) text.textContent = tr.t(line.key, line.params);
    tryAgain.textContent = tr.t("ui.model.try_again");
    if (counts) {
      const words = tr.t("ui.model.bytes", {
        loaded: formatBytes(tr.lang, counts.loaded, counts.total),
        total: formatBytes(tr.lang, counts.total),
      });
      bar.max = counts.total;
      bar.value = counts.loaded;
      bar.setAttribute("aria-valuetext", words);
      bytes.textContent = words;
    } else {
      bar.removeAttribute("value"); // indeterminate until the total is known
      bar.removeAttribute("aria-valuetext");
      bytes.textContent = "";
    }
    element.dataset.loaded = String(counts?.loaded ?? 0);
    element.dataset.total = String(counts?.total ?? 0);
    element.dataset.retries = String(retries);
  };

  const say = (key, params) => {
    clearTimeout(timer);
    line = { key, params };
    render();
  };

  tryAgain.addEventListener("click", () => {
    text.focus(); // the button goes away; the status line says what happens next
    onTryAgain?.();
  });

  render();
  return {
    element,
    /** Loading (again): no bytes known yet. */
    loading() {
      counts = null;
      download.hidden = false;
      tryAgain.hidden = true;
      say("ui.model.loading");
    },
    /** Bytes received of bytes expected, the WebAssembly and the model together. */
    progress({ loaded, total }) {
      if (!(total > 0)) return;
      counts = { loaded, total };
      if (line.key !== "ui.model.loading" && line.key !== "ui.model.retrying") return render();
      say("ui.model.loading");
    },
    /** A download was cut off; the worker tries again in `delayMs`. */
    retrying({ delayMs }) {
      retries += 1;
      say("ui.model.retrying", { seconds: Math.max(1, Math.round(delayMs / 1000)) });
      timer = setTimeout(() => say("ui.model.loading"), delayMs);
    },
    /** Loading failed: a download whose retries ran out, or anything else (`detail`). */
    failed({ download: downloadFailed, detail }) {
      download.hidden = true;
      tryAgain.hidden = false;
      say(downloadFailed ? "ui.model.download_failed" : "ui.model.failed", { detail });
    },
    /** Loaded: the line says so (`key`, `params`); bar and button go. */
    done(key, params) {
      download.hidden = true;
      tryAgain.hidden = true;
      say(key, params);
    },
    relabel(next) {
      tr = next;
      render();
    },
  };
}
