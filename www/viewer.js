// The viewer: one result's image full size in a modal dialog, with zoom (wheel, + and −,
// buttons, pinch), pan (drag, arrow keys, touch), window and level, the heatmap overlay
// with its legend, previous and next file; Esc closes. Focus stays inside while it is
// open and goes back to the result's card when it closes.
//
// The core decodes the image (`view` of client.js: the same decoder as classification,
// in a worker), so DICOM, TIFF, JPEG 2000 and 16-bit PNG show too, at full size and as
// grey samples at the file's own depth: window and level work on all 16 bits of a deep
// image, a DICOM file's own VOI window already applied as the starting point (the full
// range of its rendering). Where the core is not running (the server fallback), the
// browser decodes what it can (createImageBitmap: JPEG, PNG, WebP, GIF, BMP, at 8 bits).
import { drawEvidence, createEvidenceLegend, evidenceSummary } from "./heatmap.js";
import { formatNumber, h, trapFocus, uniqueId } from "./dom.js";
import { windowed } from "./grey.js";

const ZOOM_STEP = 1.25;
const PAN_STEP = 40; // px per arrow key press (four times that with Shift)
const MAX_PIXEL_ZOOM = 8; // screen pixels per image pixel at most

/**
 * Creates the viewer inside `host` (the app's root element, so that it is styled inside
 * a shadow root too). `onReport(item)` opens the report of the file shown; `viewOf(item)`
 * resolves to the core's full-size image of a file (client.js view), or to null where
 * the core is not running.
 * Returns {open(items, index), relabel(tr), element}.
 */
export function createViewer({ host, tr, onReport, viewOf }) {
  const titleId = uniqueId("ps-viewer-title");
  const title = h("h2", { id: titleId, class: "ps-viewer-title" });
  const position = h("p", { class: "ps-viewer-position" });
  const verdict = h("p", { class: "ps-viewer-verdict" });
  const closeButton = h("button", { type: "button", class: "ps-button ps-viewer-close", "aria-keyshortcuts": "Escape" });
  const head = h(
    "header",
    { class: "ps-viewer-head" },
    h("div", { class: "ps-viewer-heading" }, title, position, verdict),
    closeButton,
  );

  const button = (cls, shortcut) =>
    h("button", { type: "button", class: `ps-button ${cls}`, "aria-keyshortcuts": shortcut });
  const previous = button("ps-viewer-previous", "PageUp");
  const next = button("ps-viewer-next", "PageDown");
  const zoomOut = button("ps-viewer-zoom-out", "-");
  const zoomIn = button("ps-viewer-zoom-in", "+");
  const fit = button("ps-viewer-fit", "0");
  const zoomLevel = h("output", { class: "ps-viewer-zoom", "aria-live": "polite" });
  const heatToggle = h("input", { type: "checkbox", checked: true, "aria-keyshortcuts": "H" });
  const heatText = h("span");
  const opacity = h("input", { type: "range", min: "0", max: "100", value: "60" });
  const opacityText = h("span");
  const windowInput = h("input", { type: "range", min: "1", max: "255", value: "255" });
  const windowText = h("span");
  const levelInput = h("input", { type: "range", min: "0", max: "255", value: "128" });
  const levelText = h("span");
  const resetWindow = button("ps-viewer-reset", null);
  const reportButton = button("ps-viewer-report", null);
  const heatControls = h(
    "span",
    { class: "ps-viewer-group" },
    h("label", { class: "ps-check" }, heatToggle, heatText),
    h("label", { class: "ps-range" }, opacityText, opacity),
  );
  const windowControls = h(
    "span",
    { class: "ps-viewer-group" },
    h("label", { class: "ps-range" }, windowText, windowInput),
    h("label", { class: "ps-range" }, levelText, levelInput),
    resetWindow,
  );
  const toolbar = h(
    "div",
    { class: "ps-viewer-tools" },
    h("span", { class: "ps-viewer-group" }, previous, next),
    h("span", { class: "ps-viewer-group" }, zoomOut, zoomLevel, zoomIn, fit),
    heatControls,
    windowControls,
    reportButton,
  );

  const image = h("canvas", { class: "ps-viewer-image" });
  const heat = h("canvas", { class: "ps-viewer-heat", width: "14", height: "14", "aria-hidden": "true" });
  const frame = h("div", { class: "ps-viewer-frame" }, image, heat);
  const message = h("p", { class: "ps-viewer-message", hidden: true });
  const stage = h("div", { class: "ps-viewer-stage", tabindex: "0", role: "group" }, frame, message);
  const legend = createEvidenceLegend(tr);
  const summary = h("p", { class: "ps-viewer-summary" });
  const keys = h("p", { class: "ps-viewer-keys ps-muted" });
  const foot = h("footer", { class: "ps-viewer-foot" }, legend.element, summary, keys);

  const element = h(
    "dialog",
    { class: "ps-viewer", "aria-labelledby": titleId, "data-viewer": true },
    head,
    toolbar,
    stage,
    foot,
  );
  host.append(element);
  trapFocus(element);

  // ---- state -----------------------------------------------------------------------
  let list = () => [];
  let index = 0;
  let token = 0; // the image load in progress; an older one is dropped
  let bitmap = null; // the browser's decoding (no core), or
  let grey = null; // the core's: {width, height, bits, samples}
  let source = null; // the bitmap's pixels before window/level, taken on first use
  let shown = null; // ImageData for the windowed grey samples, reused while it fits
  let size = null; // {width, height} of the image shown
  let scale = 1; // screen px per image px
  let pan = { x: 0, y: 0 }; // image centre from the stage centre, screen px
  let fitted = true;

  const current = () => list()[index];

  // ---- texts -------------------------------------------------------------------------
  function renderStatic() {
    closeButton.textContent = tr.t("viewer.close");
    previous.textContent = tr.t("viewer.previous");
    next.textContent = tr.t("viewer.next");
    zoomOut.textContent = "−";
    zoomOut.setAttribute("aria-label", tr.t("viewer.zoom_out"));
    zoomIn.textContent = "+";
    zoomIn.setAttribute("aria-label", tr.t("viewer.zoom_in"));
    fit.textContent = tr.t("viewer.fit");
    heatText.textContent = tr.t("viewer.heatmap");
    opacityText.textContent = tr.t("viewer.opacity");
    windowText.textContent = tr.t("viewer.window");
    levelText.textContent = tr.t("viewer.level");
    resetWindow.textContent = tr.t("viewer.reset");
    reportButton.textContent = tr.t("viewer.report");
    stage.setAttribute("aria-label", tr.t("viewer.stage"));
    keys.textContent = tr.t("viewer.keys");
    toolbar.setAttribute("aria-label", tr.t("viewer.tools"));
    zoomLevel.setAttribute("aria-label", tr.t("viewer.zoom"));
    legend.relabel(tr);
  }

  function renderItem() {
    const item = current();
    if (!item) return;
    const all = list();
    title.textContent = item.name;
    position.textContent = tr.t("viewer.position", { index: index + 1, total: all.length });
    previous.disabled = index === 0;
    next.disabled = index >= all.length - 1;
    const result = item.result;
    if (item.status === "ok" && result) {
      const name = tr.t(`ui.label.${result.prediction}`);
      const label = result.borderline
        ? `${tr.t("ui.verdict.borderline")} (${tr.t("ui.verdict.leans", { label: name })})`
        : name;
      verdict.textContent = `${label} · ${tr.t("ui.probability")} ${tr.percent(result.probability)} ${tr.t(
        "ui.probability.threshold",
        { threshold: tr.percent(result.threshold) },
      )}`;
      verdict.dataset.prediction = result.borderline ? "borderline" : result.prediction;
    } else {
      verdict.textContent = tr.t(
        item.status === "refused" ? "ui.refused" : item.status === "error" ? "ui.error" : "ui.waiting",
      );
      delete verdict.dataset.prediction;
    }
    const hasHeat = item.status === "ok" && Boolean(result?.heatmap?.logits);
    heatControls.hidden = !hasHeat;
    legend.element.hidden = !hasHeat;
    summary.hidden = !hasHeat;
    heat.hidden = !hasHeat || !heatToggle.checked;
    if (hasHeat) {
      const span = drawEvidence(heat, result.heatmap, result.threshold);
      legend.set({ threshold: result.threshold, span });
      summary.textContent = evidenceSummary(tr, result) ?? "";
    }
    reportButton.disabled = item.status !== "ok";
    renderZoom();
  }

  function renderZoom() {
    zoomLevel.value = size ? formatNumber(tr.lang, scale, 0, { style: "percent" }) : "—";
  }

  // ---- geometry ----------------------------------------------------------------------
  const stageSize = () => ({ width: stage.clientWidth || 1, height: stage.clientHeight || 1 });
  const fitScale = () => {
    if (!size) return 1;
    const { width, height } = stageSize();
    return Math.min(width / size.width, height / size.height);
  };
  const clampScale = (s) => Math.min(Math.max(s, fitScale() * 0.5), Math.max(fitScale() * 16, MAX_PIXEL_ZOOM));

  function clampPan() {
    if (!size) return;
    const { width, height } = stageSize();
    const limitX = Math.max(0, (size.width * scale + width) / 2 - 48);
    const limitY = Math.max(0, (size.height * scale + height) / 2 - 48);
    pan.x = Math.min(limitX, Math.max(-limitX, pan.x));
    pan.y = Math.min(limitY, Math.max(-limitY, pan.y));
  }

  function applyTransform() {
    clampPan();
    frame.style.transform = `translate(${pan.x}px, ${pan.y}px) scale(${scale})`;
    stage.dataset.zoom = String(scale);
    stage.dataset.panX = String(Math.round(pan.x));
    stage.dataset.panY = String(Math.round(pan.y));
    renderZoom();
  }

  function fitToStage() {
    fitted = true;
    scale = fitScale();
    pan = { x: 0, y: 0 };
    applyTransform();
  }

  /** Zooms by `factor` keeping the image point under `at` (from the stage centre) still. */
  function zoomBy(factor, at = { x: 0, y: 0 }) {
    if (!size) return;
    const next = clampScale(scale * factor);
    const ratio = next / scale;
    pan = { x: at.x - (at.x - pan.x) * ratio, y: at.y - (at.y - pan.y) * ratio };
    scale = next;
    fitted = false;
    applyTransform();
  }

  function panBy(dx, dy) {
    pan = { x: pan.x + dx, y: pan.y + dy };
    applyTransform();
  }

  const fromCentre = (clientX, clientY) => {
    const box = stage.getBoundingClientRect();
    return { x: clientX - box.left - box.width / 2, y: clientY - box.top - box.height / 2 };
  };

  // ---- the image ---------------------------------------------------------------------
  async function load() {
    const item = current();
    const mine = ++token;
    bitmap?.close?.();
    bitmap = null;
    grey = null;
    source = null;
    shown = null;
    size = null;
    frame.hidden = true;
    message.hidden = true;
    windowControls.hidden = true;
    renderZoom();
    if (!item) return;
    let decoded;
    try {
      decoded = (await viewOf?.(item)) ?? (await createImageBitmap(item.file));
    } catch (e) {
      if (mine !== token) return;
      const format = item.result?.image?.format;
      message.textContent = e?.code
        ? tr.t("viewer.cannot_decode", { reason: tr.problem(e).text })
        : tr.t(format ? "viewer.cannot_show_format" : "viewer.cannot_show", { format });
      message.hidden = false;
      stage.dataset.image = "unavailable";
      return;
    }
    if (mine !== token) {
      decoded.close?.();
      return;
    }
    if (decoded.samples) grey = decoded;
    else bitmap = decoded;
    size = { width: decoded.width, height: decoded.height };
    setDepth(grey?.bits ?? 8);
    stage.dataset.bits = String(grey?.bits ?? 8);
    stage.dataset.decoder = grey ? "core" : "browser";
    image.width = size.width;
    image.height = size.height;
    frame.style.width = `${size.width}px`;
    frame.style.height = `${size.height}px`;
    frame.style.marginLeft = `${-size.width / 2}px`;
    frame.style.marginTop = `${-size.height / 2}px`;
    drawWindowed();
    frame.hidden = false;
    windowControls.hidden = false;
    stage.dataset.image = "shown";
    fitToStage();
  }

  // Window and level in the image's own sample values (0..2^bits − 1); a 16-bit image's
  // sliders move by 257 (1/255 of the range, as an 8-bit one's by 1), its narrowest
  // window still spanning 257 distinct values.
  let depth = { max: 255, step: 1, level: 128 };
  function setDepth(bits) {
    const max = 2 ** bits - 1;
    const step = bits > 8 ? 257 : 1;
    depth = { max, step, level: 128 * step };
    for (const input of [windowInput, levelInput]) {
      input.max = String(max);
      input.step = String(step);
    }
    windowInput.min = String(step);
    windowInput.value = String(max);
    levelInput.value = String(depth.level);
  }

  const defaultWindow = () => Number(windowInput.value) === depth.max && Number(levelInput.value) === depth.level;

  /** Draws the image through the window (width W, centre L, in the image's sample values). */
  function drawWindowed() {
    if (grey) {
      drawGrey();
      return;
    }
    if (!bitmap) return;
    const context = image.getContext("2d", { willReadFrequently: true });
    if (defaultWindow() && !source) {
      context.drawImage(bitmap, 0, 0);
      return;
    }
    if (!source) {
      context.drawImage(bitmap, 0, 0);
      source = context.getImageData(0, 0, size.width, size.height);
    }
    const w = Number(windowInput.value);
    const low = Number(levelInput.value) - w / 2;
    const lut = new Uint8ClampedArray(256);
    for (let v = 0; v < 256; v++) lut[v] = Math.round(((v - low) * 255) / w);
    const out = new ImageData(size.width, size.height);
    const from = source.data;
    const to = out.data;
    for (let i = 0; i < from.length; i += 4) {
      to[i] = lut[from[i]];
      to[i + 1] = lut[from[i + 1]];
      to[i + 2] = lut[from[i + 2]];
      to[i + 3] = from[i + 3];
    }
    context.putImageData(out, 0, 0);
  }

  /** The core's grey samples through the window. */
  function drawGrey() {
    const context = image.getContext("2d");
    const w = Number(windowInput.value);
    shown ??= context.createImageData(grey.width, grey.height);
    context.putImageData(windowed(grey, Number(levelInput.value) - w / 2, w, shown), 0, 0);
  }

  let windowFrame = 0;
  const scheduleWindow = () => {
    cancelAnimationFrame(windowFrame);
    windowFrame = requestAnimationFrame(drawWindowed);
  };

  function show(nextIndex) {
    const all = list();
    if (nextIndex < 0 || nextIndex >= all.length) return;
    index = nextIndex;
    renderItem();
    load();
  }

  // ---- events ------------------------------------------------------------------------
  closeButton.addEventListener("click", () => element.close());
  previous.addEventListener("click", () => show(index - 1));
  next.addEventListener("click", () => show(index + 1));
  zoomIn.addEventListener("click", () => zoomBy(ZOOM_STEP));
  zoomOut.addEventListener("click", () => zoomBy(1 / ZOOM_STEP));
  fit.addEventListener("click", fitToStage);
  reportButton.addEventListener("click", () => current() && onReport?.(current()));
  const applyHeat = () => {
    heat.hidden = heatControls.hidden || !heatToggle.checked;
    heat.style.opacity = String(opacity.value / 100);
  };
  heatToggle.addEventListener("change", applyHeat);
  opacity.addEventListener("input", applyHeat);
  windowInput.addEventListener("input", scheduleWindow);
  levelInput.addEventListener("input", scheduleWindow);
  resetWindow.addEventListener("click", () => {
    windowInput.value = String(depth.max);
    levelInput.value = String(depth.level);
    scheduleWindow();
  });

  element.addEventListener("keydown", (event) => {
    const target = event.composedPath()[0];
    const inRange = target instanceof HTMLInputElement && target.type === "range";
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const handled = (() => {
      switch (event.key) {
        case "+":
        case "=":
          zoomBy(ZOOM_STEP);
          return true;
        case "-":
        case "_":
          zoomBy(1 / ZOOM_STEP);
          return true;
        case "0":
          fitToStage();
          return true;
        case "h":
        case "H":
          if (heatControls.hidden) return false;
          heatToggle.checked = !heatToggle.checked;
          applyHeat();
          return true;
        case "PageDown":
        case "n":
        case "N":
          if (inRange) return false;
          show(index + 1);
          return true;
        case "PageUp":
        case "p":
        case "P":
          if (inRange) return false;
          show(index - 1);
          return true;
      }
      if (inRange) return false;
      const step = event.shiftKey ? PAN_STEP * 4 : PAN_STEP;
      // Arrow keys move the view: the image moves the other way.
      const moves = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
      if (!moves[event.key]) return false;
      panBy(...moves[event.key]);
      return true;
    })();
    if (handled) event.preventDefault();
  });

  stage.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault();
      const lines = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? 400 : 1;
      zoomBy(Math.exp(-event.deltaY * lines * 0.0015), fromCentre(event.clientX, event.clientY));
    },
    { passive: false },
  );

  // Drag to pan with any pointer; two touching fingers pinch to zoom.
  const pointers = new Map();
  let pinch = null;
  const pinchState = () => {
    const [a, b] = [...pointers.values()];
    return { distance: Math.hypot(a.x - b.x, a.y - b.y) || 1, mid: { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 } };
  };
  stage.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || !size) return;
    stage.setPointerCapture(event.pointerId);
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    pinch = pointers.size === 2 ? pinchState() : null;
    stage.classList.add("ps-dragging");
  });
  stage.addEventListener("pointermove", (event) => {
    const last = pointers.get(event.pointerId);
    if (!last) return;
    const now = { x: event.clientX, y: event.clientY };
    if (pointers.size === 1) {
      pointers.set(event.pointerId, now);
      panBy(now.x - last.x, now.y - last.y);
      return;
    }
    pointers.set(event.pointerId, now);
    if (pointers.size === 2 && pinch) {
      const state = pinchState();
      panBy(state.mid.x - pinch.mid.x, state.mid.y - pinch.mid.y);
      zoomBy(state.distance / pinch.distance, fromCentre(state.mid.x, state.mid.y));
      pinch = state;
    }
  });
  const release = (event) => {
    pointers.delete(event.pointerId);
    pinch = pointers.size === 2 ? pinchState() : null;
    if (!pointers.size) stage.classList.remove("ps-dragging");
  };
  stage.addEventListener("pointerup", release);
  stage.addEventListener("pointercancel", release);

  // Keep the image fitted when the window is resized, unless the user zoomed.
  new ResizeObserver(() => {
    if (!element.open || !size) return;
    if (fitted) fitToStage();
    else applyTransform();
  }).observe(stage);

  element.addEventListener("close", () => {
    token++;
    bitmap?.close?.();
    bitmap = null;
    grey = null;
    source = null;
    shown = null;
    pointers.clear();
    // Back to the card of the file shown last (the one that opened it, unless the user
    // went to another).
    const item = current();
    const target = item?.card?.querySelector("[data-open-viewer]") ?? item?.card;
    target?.focus();
    target?.scrollIntoView?.({ block: "nearest" });
  });

  renderStatic();
  applyHeat();

  return {
    element,
    /** Opens on `items()[at]`; `items` is called again for previous/next. */
    open(items, at) {
      list = items;
      index = at;
      if (!element.open) element.showModal();
      renderItem();
      stage.focus();
      load();
    },
    /** Redraws the shown item (its result just arrived). */
    refresh(item) {
      if (element.open && current() === item) renderItem();
    },
    relabel(next) {
      tr = next;
      renderStatic();
      if (element.open) renderItem();
    },
  };
}
