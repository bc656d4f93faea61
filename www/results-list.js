// The results list, in chunks of CHUNK cards.
//
// One grid of 2,000 cards cost the page's main thread most of a large batch: every result
// changes a card, and the browser then lays out the whole grid again (grid layout is not
// incremental) and recomputes an IntersectionObserver entry for every card. Traced in
// Chromium over a 2,000-file folder (bench/RESULTS.md (g), session 13): 2,700 layouts
// took 21.9 s and the observer 5.3 s of the main thread's 35 s. In chunks, a change lays
// out one chunk's grid of CHUNK cards (the other chunks keep their cached layout), a chunk
// after the first is skipped whole far from the screen (style.css: `content-visibility:
// auto`, sized by an estimate of its rows until it has been rendered once; the first
// chunk's cards skip one by one), and the cards of far chunks are not observed. The same
// trace after: layout 1.8 s, intersections 0.9 s; the batch's main thread 23.7 s of CPU
// before, 9.6 s after.
//
// Every chunk is the same grid, so the columns line up from one chunk to the next; CHUNK
// is divisible by 1–6, so rows stay full across chunk boundaries up to six columns.
// Accessibility: the list is `role="list"`, the chunks are generic elements (no role,
// transparent to assistive technology) and the cards `role="listitem"`.

import { h } from "./dom.js";

/** Cards per chunk. */
export const CHUNK = 60;
/** A card's minimum width and the grid's gap, in rem (style.css `.ps-results-chunk`). */
const CARD_REM = 26;
const GAP_REM = 1;

/**
 * The list element and its cards. `onVisibility(item, near)` is called when a card comes
 * within 1,500 px of the screen or leaves that band, as far as the list knows: a card
 * whose chunk is far is far.
 */
export function createResultsList(onVisibility) {
  const element = h("div", { class: "ps-results", role: "list" });
  const chunks = []; // {element, items: Set, near: boolean | undefined}, in page order
  const chunkOfElement = new Map();
  const chunkOfItem = new Map();

  // The number of columns, from the list's width as the grid's auto-fill computes it, for
  // the estimated height of chunks not rendered yet (style.css: `--ps-rows`).
  let columns = 1;
  const estimate = (chunk) => chunk.element.style.setProperty("--ps-rows", String(Math.ceil(chunk.items.size / columns)));
  new ResizeObserver(([entry]) => {
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
    const fit = Math.floor((entry.contentRect.width + GAP_REM * rem) / ((CARD_REM + GAP_REM) * rem));
    if (Math.max(1, fit) === columns) return;
    columns = Math.max(1, fit);
    chunks.forEach(estimate);
  }).observe(element);

  // Two observers with the same margin: one watches the chunks, the other the cards of
  // the chunks near the screen only, so a card's state is its own (a thumbnail is made
  // for the cards near the screen, not for a whole chunk) while at most a few chunks'
  // cards are watched at a time.
  const itemOfCard = new Map();
  const cards = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        const item = itemOfCard.get(entry.target);
        if (item) onVisibility(item, entry.isIntersecting);
      }
    },
    { rootMargin: "1500px 0px" },
  );
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        const chunk = chunkOfElement.get(entry.target);
        if (!chunk) continue;
        chunk.near = entry.isIntersecting;
        for (const item of chunk.items) {
          if (chunk.near) cards.observe(item.card);
          else {
            cards.unobserve(item.card);
            onVisibility(item, false);
          }
        }
      }
    },
    { rootMargin: "1500px 0px" },
  );

  /** Adds `item.card` at the end. */
  function append(item) {
    let chunk = chunks.at(-1);
    if (!chunk || chunk.items.size >= CHUNK) {
      chunk = { element: h("div", { class: "ps-results-chunk" }), items: new Set(), near: undefined };
      chunks.push(chunk);
      chunkOfElement.set(chunk.element, chunk);
      element.append(chunk.element);
      observer.observe(chunk.element);
    }
    chunk.items.add(item);
    chunkOfItem.set(item, chunk);
    itemOfCard.set(item.card, item);
    chunk.element.append(item.card);
    estimate(chunk);
    if (chunk.near) cards.observe(item.card);
    else if (chunk.near === false) onVisibility(item, false);
  }

  /** Removes `item.card`, and its chunk once empty. */
  function remove(item) {
    const chunk = chunkOfItem.get(item);
    item.card.remove();
    cards.unobserve(item.card);
    itemOfCard.delete(item.card);
    if (!chunk) return;
    chunkOfItem.delete(item);
    chunk.items.delete(item);
    estimate(chunk);
    if (chunk.items.size) return;
    observer.unobserve(chunk.element);
    chunkOfElement.delete(chunk.element);
    chunk.element.remove();
    chunks.splice(chunks.indexOf(chunk), 1);
  }

  /** Removes every card. */
  function clear() {
    observer.disconnect();
    cards.disconnect();
    itemOfCard.clear();
    chunks.length = 0;
    chunkOfElement.clear();
    chunkOfItem.clear();
    element.replaceChildren();
  }

  return { element, append, remove, clear };
}
