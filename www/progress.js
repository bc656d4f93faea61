// The batch's progress bar: files done of files dropped, the time left (from the pace
// so far, paused time left out), Pause/Resume and Cancel. Shown while a batch runs.
import { formatNumber, h } from "./dom.js";

/** Calls onPause(), onResume(), onCancel(); `paused` says whether the batch is held. */
export function createBatchProgress({ tr, onPause, onResume, onCancel }) {
  const bar = h("progress", { class: "ps-batch-bar", max: "1", value: "0" });
  const text = h("span", { class: "ps-batch-text" });
  const pause = h("button", { type: "button", class: "ps-button", "aria-pressed": "false", "data-batch-pause": true });
  const cancel = h("button", { type: "button", class: "ps-button", "data-batch-cancel": true });
  const element = h("div", { class: "ps-batch", "data-batch": true, hidden: true }, bar, text, pause, cancel);

  let paused = false;
  let state = { done: 0, total: 0 };
  let startedAt = 0; // when this batch began (ms), moved forward by the time spent paused
  let pausedAt = 0;
  let doneAtStart = 0;

  const timeLeft = () => {
    const { done, total } = state;
    if (paused) return tr.t("batch.paused");
    const counted = done - doneAtStart;
    if (counted < 1) return tr.t("batch.estimating");
    const seconds = (((performance.now() - startedAt) / counted) * (total - done)) / 1000;
    const n = (value) => formatNumber(tr.lang, Math.max(1, Math.round(value)), 0);
    if (seconds < 90) return tr.t("batch.left.seconds", { n: n(seconds) });
    return tr.t("batch.left.minutes", { n: n(seconds / 60) });
  };

  const render = () => {
    const { done, total } = state;
    bar.max = Math.max(1, total);
    bar.value = done;
    bar.setAttribute("aria-label", tr.t("batch.label"));
    const count = tr.t("batch.count", { done: formatNumber(tr.lang, done, 0), total: formatNumber(tr.lang, total, 0) });
    text.textContent = `${count} · ${timeLeft()}`;
    pause.textContent = tr.t(paused ? "batch.resume" : "batch.pause");
    pause.setAttribute("aria-pressed", String(paused));
    cancel.textContent = tr.t("batch.cancel");
    element.dataset.done = String(done);
    element.dataset.total = String(total);
    element.dataset.paused = String(paused);
  };

  pause.addEventListener("click", () => {
    paused = !paused;
    if (paused) {
      pausedAt = performance.now();
      onPause?.();
    } else {
      startedAt += performance.now() - pausedAt;
      onResume?.();
    }
    render();
  });
  cancel.addEventListener("click", () => onCancel?.());

  render();
  return {
    element,
    get paused() {
      return paused;
    },
    /** The batch's counts: shown while done < total; the clock starts with each batch. */
    update(done, total) {
      const running = total > 0 && done < total;
      if (running && element.hidden) {
        startedAt = performance.now();
        doneAtStart = done;
      }
      state = { done, total };
      element.hidden = !running;
      if (!running && paused) {
        paused = false; // a finished or cancelled batch is not left paused
      }
      render();
    },
    relabel(next) {
      tr = next;
      render();
    },
  };
}
