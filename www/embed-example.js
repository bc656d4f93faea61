// The embedding example's own texts in the reader's language (www/i18n.js), with the
// app page's switcher (remembered, `lang` on <html>); the <pneumonia-classifier> on it
// follows through its `lang` attribute. A text with code in it is a catalogue template
// whose {slots} are the page's own <code data-slot> elements, so no markup ever comes
// from the catalogue.
import { CATALOGUES, initialLanguage, languageOptions, rememberLanguage, translator } from "./i18n.js";

const slotsOf = new WeakMap(); // element → its data-slot children, kept across languages

/** Fills `element` with `template`, each {slot} its own data-slot child. */
function fillSlots(element, template) {
  if (!slotsOf.has(element)) {
    slotsOf.set(element, new Map([...element.querySelectorAll("[data-slot]")].map((el) => [el.dataset.slot, el])));
  }
  const slots = slotsOf.get(element);
  const used = new Set();
  const nodes = template.split(/\{(\w+)\}/).map((part, i) => {
    if (i % 2 === 0) return part;
    const slot = slots.get(part);
    if (!slot) return `{${part}}`;
    // A slot named twice in one text gets a copy the second time.
    const node = used.has(part) ? slot.cloneNode(true) : slot;
    used.add(part);
    return node;
  });
  element.replaceChildren(...nodes);
}

function translatePage(tr) {
  document.documentElement.lang = tr.lang;
  document.title = tr.t("example.title");
  for (const element of document.querySelectorAll("[data-i18n]")) {
    const key = element.dataset.i18n;
    const template = CATALOGUES[tr.lang][key] ?? CATALOGUES.en[key];
    if (element.querySelector("[data-slot]") || slotsOf.has(element)) fillSlots(element, template);
    else element.textContent = tr.t(key);
  }
  for (const classifier of document.querySelectorAll("pneumonia-classifier")) classifier.setAttribute("lang", tr.lang);
  languageOptions(select, tr.lang);
}

const select = document.querySelector("[data-language-select]");
select.addEventListener("change", () => {
  rememberLanguage(select.value);
  translatePage(translator(select.value));
});
translatePage(translator(initialLanguage()));
