// Small DOM helpers shared by the reading-room modules (viewer, evaluation, report, …).
import { numberFormat } from "./i18n.js";

/** Creates an element: `attrs` are attributes (`text` sets the text content). */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = value;
    else if (value === true) node.setAttribute(name, "");
    else if (value !== false && value != null) node.setAttribute(name, String(value));
  }
  node.append(...children);
  return node;
}

const SVG = "http://www.w3.org/2000/svg";

/** Creates an SVG element with `attrs` as attributes. */
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = value;
    else if (value != null) node.setAttribute(name, String(value));
  }
  node.append(...children);
  return node;
}

let nextId = 0;

/** A page-unique id for aria-labelledby and friends (several apps can share a page). */
export const uniqueId = (prefix) => `${prefix}-${++nextId}`;

/** A number written for `lang` with at most `digits` decimals (and a real minus sign). */
export function formatNumber(lang, value, digits = 2, options = {}) {
  return numberFormat(lang, { maximumFractionDigits: digits, ...options }).format(value).replace("-", "\u2212");
}

/** Saves `blob` as `filename` through a temporary link inside `host`. */
export function download(host, blob, filename) {
  const link = h("a", { href: URL.createObjectURL(blob), download: filename, hidden: true });
  host.append(link); // some browsers only follow attached links
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

/** The elements inside `container` that Tab can reach, in order. */
export function focusables(container) {
  const selector = "button, input, select, textarea, a[href], [tabindex]:not([tabindex='-1'])";
  return [...container.querySelectorAll(selector)].filter(
    (el) => !el.disabled && !el.closest("[hidden]") && el.getClientRects().length > 0,
  );
}

/** Keeps Tab and Shift+Tab inside `dialog` (a modal also makes the rest inert). */
export function trapFocus(dialog) {
  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Tab") return;
    const list = focusables(dialog);
    if (!list.length) return;
    const first = list[0];
    const last = list[list.length - 1];
    const active = dialog.getRootNode().activeElement;
    if (event.shiftKey && (active === first || !dialog.contains(active))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !dialog.contains(active))) {
      event.preventDefault();
      first.focus();
    }
  });
}

/**
 * A file input as a labelled control whose every word is the page's: `text` (the label),
 * the input itself visually hidden but focusable (keyboard, screen readers and
 * `setInputFiles` use it), and a button-like span, `browse`, for what the browser would
 * otherwise write in its own UI language ("Choose Files", "No file chosen"). Clicking
 * anywhere on the label opens the file dialog, as a label does.
 */
export function filePicker(input, className = "ps-picker") {
  input.classList.add("ps-visually-hidden");
  const text = h("span");
  const browse = h("span", { class: "ps-button ps-browse", "aria-hidden": "true" });
  const element = h("label", { class: className }, text, input, browse);
  return { element, text, browse };
}
