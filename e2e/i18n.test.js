// The page and the embed in Spanish and French (browser contexts with those locales),
// English unchanged: titles, the drop zone, a refusal and an error written from their
// codes, no English sentence left on the page, the switcher (at once, remembered), the
// CSV's message column, `lang` on <html> and on the embed's root. Run by tests/run.sh.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as h from "./harness.js";
import { CATALOGUES, translator } from "../www/i18n.js";

const PHOTO = join(h.DATA, "ood", "non_xray", "skimage_astronaut.png");
const NOTES = { name: "notes.txt", type: "text/plain", bytes: Buffer.from("patient notes, not an image\n") };
let nginx, host, browser, photoCli;

before(async () => {
  h.requireSetup();
  [photoCli] = Object.values(h.cliResults([PHOTO]));
  assert.equal(photoCli.status, "refused", "the photo is refused natively");
  nginx = await h.startNginx();
  host = await h.startHostPage(nginx.origin);
  browser = await h.launch();
});

after(async () => {
  await h.closeAll(browser, host, nginx);
});

/**
 * The English phrases (three words or more, between placeholders and punctuation) of
 * every English text that `language`'s text for the same key does not also use: none of
 * them may be left on a page in that language.
 */
function englishPhrases(language) {
  const phrases = new Set();
  const words = (text) => text.match(/[A-Za-z][A-Za-z'-]*/g) ?? [];
  for (const [key, value] of Object.entries(CATALOGUES.en)) {
    const own = JSON.stringify(CATALOGUES[language][key]).toLowerCase();
    for (const template of typeof value === "string" ? [value] : Object.values(value)) {
      for (const part of template.split(/\{\w+(?::\d)?\}|[.,;:()—"…]/)) {
        const phrase = part.trim();
        if (words(phrase).length >= 3 && !own.includes(phrase.toLowerCase())) phrases.add(phrase);
      }
    }
  }
  return [...phrases];
}

/** The visible text of the page, shadow roots included (innerText skips folded details). */
async function visibleText(page) {
  return page.evaluate(() => {
    const texts = [document.body.innerText];
    const walk = (node) => {
      for (const el of node.querySelectorAll("*")) {
        if (el.shadowRoot) {
          texts.push(...[...el.shadowRoot.children].map((c) => c.innerText ?? ""));
          walk(el.shadowRoot);
        }
      }
    };
    walk(document);
    return texts.join("\n");
  });
}

/** The CSV the export button downloads, as objects keyed by the header (RFC 4180 quotes). */
async function exportedCsv(page, buttonName) {
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: buttonName }).click(),
  ]);
  const text = readFileSync(await download.path(), "utf8");
  // Fields: quoted ("…", with "" for a quote) or bare; records end in CRLF.
  const lines = [];
  for (const line of text.matchAll(/((?:"(?:[^"]|"")*"|[^,"\r\n]*)(?:,(?:"(?:[^"]|"")*"|[^,"\r\n]*))*)\r\n/g)) {
    const fields = [...line[1].matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,"\r\n]*)/g)].map(([, f]) =>
      f.startsWith('"') ? f.slice(1, -1).replaceAll('""', '"') : f,
    );
    lines.push(fields);
  }
  const [header, ...rows] = lines;
  return rows.map((row) => Object.fromEntries(header.map((name, i) => [name, row[i]])));
}

for (const [locale, lang] of [
  ["es-ES", "es"],
  ["fr-FR", "fr"],
]) {
  test(`the page in ${locale}: texts, a refusal and an error in ${lang}, no English left, then back to English`, async () => {
    const tr = translator(lang);
    const t = CATALOGUES[lang];
    const { context, log } = await h.watchedContext(browser, { locale });
    const page = await context.newPage();
    await page.goto(`${nginx.origin}/`);
    await h.waitReady(page);

    assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
    assert.equal(await page.title(), t["page.title"]);
    assert.equal(await page.locator("[data-dropzone] .ps-dropzone-title").innerText(), t["ui.dropzone.title"]);
    assert.equal(await page.locator("[data-privacy]").innerText(), t["ui.privacy.local"]);
    assert.match(await page.locator(".page-notice").innerText(), new RegExp(`^${t["page.notice.strong"]}`));
    assert.equal(await page.locator("[data-language-select]").inputValue(), lang);
    assert.equal(await page.getByLabel(t["ui.language"]).count(), 1, "the switcher is labelled");
    assert.equal(await page.locator(".ps-results").getAttribute("aria-label"), t["ui.results"]);
    assert.equal(await page.locator("[data-model-state]").getAttribute("lang"), lang);

    await h.dropFiles(page, [{ path: PHOTO, type: "image/png" }, NOTES]);
    const [refused, error] = await h.settledResults(page, 2);
    // The automation contract does not change with the language.
    assert.equal(refused.status, "refused");
    assert.equal(error.status, "error");
    const cards = page.locator("[data-result]");
    assert.equal(await cards.nth(0).getAttribute("data-code"), photoCli.code);
    assert.equal(await cards.nth(1).getAttribute("data-code"), "unsupported_format");

    // The refusal from its code; its numbers may differ in the last digit from the
    // native ones (the wasm build's float sums), so the words before them are compared.
    const refusalWords = tr.problem(photoCli).text.split("(")[0];
    assert.ok(refused.text.includes(refusalWords), `"${refusalWords}" in: ${refused.text}`);
    assert.ok(refused.text.includes(t["ui.refused"]), refused.text);
    const notSupported = tr.problem({ code: "unsupported_format", params: { detail: "x" } }).text;
    assert.ok(error.text.includes(notSupported), `"${notSupported}" in: ${error.text}`);
    assert.ok(error.text.includes(t["ui.error"]), error.text);

    // Nothing English remains to be read: no phrase of the English catalogue, and not
    // the core's own message (it is there, folded, as the technical details).
    const visible = await visibleText(page);
    const left = englishPhrases(lang).filter((phrase) => visible.toLowerCase().includes(phrase.toLowerCase()));
    assert.deepEqual(left, [], `English on the ${lang} page:\n${visible}`);
    assert.ok(!visible.includes(photoCli.message), visible);
    assert.ok(!visible.includes("this is a text file"), visible);
    assert.equal(await cards.nth(1).locator(".ps-technical p").getAttribute("lang"), "en");

    // The CSV: English column names and values, the message in the page's language.
    const rows = await exportedCsv(page, t["ui.export"]);
    assert.deepEqual(
      rows.map((r) => [r.status, r.code]),
      [
        ["refused", photoCli.code],
        ["error", "unsupported_format"],
      ],
    );
    assert.ok(rows[1].message.startsWith(notSupported.split(";")[0]), rows[1].message);

    // The switcher applies at once, to the cards already shown too, and is remembered.
    await page.locator("[data-language-select]").selectOption("en");
    assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
    assert.equal(await page.title(), CATALOGUES.en["page.title"]);
    const [refusedEn, errorEn] = await h.settledResults(page, 2);
    assert.ok(refusedEn.text.includes(photoCli.message.split("(")[0]), refusedEn.text);
    assert.match(errorEn.text, /not a supported image: this is a text file/);
    await page.reload();
    await h.waitReady(page);
    assert.equal(await page.evaluate(() => document.documentElement.lang), "en", "the choice outlives a reload");
    assert.equal(await page.locator("[data-dropzone] .ps-dropzone-title").innerText(), CATALOGUES.en["ui.dropzone.title"]);

    assert.deepEqual(h.leaks(log, [nginx.origin]), []);
    assert.deepEqual(log.errors, []);
    await context.close();
  });
}

test("the page in en-US is in English, as before", async () => {
  const { context, log } = await h.watchedContext(browser, { locale: "en-US" });
  const page = await context.newPage();
  await page.goto(`${nginx.origin}/`);
  await h.waitReady(page);
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
  assert.equal(await page.title(), "Pneumoscan — pneumonia classifier for chest X-rays");
  assert.equal(await page.locator("[data-dropzone] .ps-dropzone-title").innerText(), "Drop chest X-ray images here");
  assert.match(await page.locator(".page-notice").innerText(), /^Not for clinical use\. For education and research only\./);
  await h.dropFiles(page, [{ path: PHOTO, type: "image/png" }, NOTES]);
  const [refused, error] = await h.settledResults(page, 2);
  assert.ok(refused.text.includes(`Not classifiedReason: ${photoCli.message.split("(")[0]}`), refused.text);
  assert.ok(
    error.text.includes(
      "Could not classify this fileReason: not a supported image: this is a text file; use JPEG, PNG, JPEG 2000, WebP, TIFF, BMP, GIF, PGM/PPM or DICOM",
    ),
    error.text,
  );
  assert.equal(await page.locator(".ps-technical").count(), 0, "no technical details in English: the message is all");
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("the embed follows the browser's language, sets lang on its root, and obeys the host's lang attribute", async () => {
  const { context, log } = await h.watchedContext(browser, { locale: "fr-FR" });
  const page = await context.newPage();
  await page.goto(`${host.origin}/`);
  await h.waitReady(page);
  const root = page.locator("pneumonia-classifier .ps-app");
  assert.equal(await root.getAttribute("lang"), "fr");
  const title = page.locator("pneumonia-classifier .ps-dropzone-title");
  assert.equal(await title.innerText(), CATALOGUES.fr["ui.dropzone.title"]);
  assert.equal(await page.locator("pneumonia-classifier .ps-notice strong").innerText(), CATALOGUES.fr["ui.notice.strong"]);
  // Its own labelled switcher, inside the shadow root.
  const select = page.locator("pneumonia-classifier .ps-language-select");
  assert.equal(await select.inputValue(), "fr");
  await select.selectOption("es");
  assert.equal(await root.getAttribute("lang"), "es");
  assert.equal(await title.innerText(), CATALOGUES.es["ui.dropzone.title"]);
  // The host page's own document is left alone; its lang attribute on the element wins.
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
  await page.evaluate(() => document.querySelector("pneumonia-classifier").setAttribute("lang", "en-GB"));
  assert.equal(await root.getAttribute("lang"), "en");
  assert.equal(await title.innerText(), CATALOGUES.en["ui.dropzone.title"]);
  assert.deepEqual(log.errors, []);
  await context.close();
});
