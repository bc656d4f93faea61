// The catalogues of www/i18n.js, without a browser: every language has every key (and
// no other), with no placeholder English lacks; every code a result or an error can carry
// has a text in every language, the codes coming from the native CLI (`pneumoscan codes
// --json`, which lists the core's, the CLI's and the server's) and from client.js; and
// the English text of each is the core's message word for word. A new code without its
// translations fails here.
//
//   PNEUMOSCAN_BIN=target/debug/pneumoscan node --test e2e/i18n-catalogue.test.js

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { CATALOGUES, DEFAULT_LANGUAGE, LANGUAGES, browserLanguage, translator } from "../www/i18n.js";
import { CLIENT_CODES } from "../www/client.js";

const BIN = process.env.PNEUMOSCAN_BIN;
const languages = Object.keys(LANGUAGES);
const en = CATALOGUES.en;

/** The codes the native side lists, with an example of params and message each. */
function listedCodes() {
  assert.ok(BIN && existsSync(BIN), `PNEUMOSCAN_BIN=${BIN} must be the native pneumoscan binary (see tests/run.sh)`);
  return JSON.parse(execFileSync(BIN, ["codes", "--json"], { encoding: "utf8" }));
}

const placeholders = (template) => new Set([...template.matchAll(/\{(\w+)(?::\d)?\}/g)].map((m) => m[1]));
const forms = (value) => (typeof value === "string" ? [value] : Object.values(value));

test("every language has every key of the English catalogue, and no other", () => {
  assert.deepEqual(Object.keys(CATALOGUES).sort(), [...languages].sort());
  for (const language of languages) {
    const catalogue = CATALOGUES[language];
    assert.deepEqual(
      Object.keys(en).filter((key) => !(key in catalogue)),
      [],
      `${language}: keys missing`,
    );
    assert.deepEqual(
      Object.keys(catalogue).filter((key) => !(key in en)),
      [],
      `${language}: keys English does not have`,
    );
    for (const [key, value] of Object.entries(catalogue)) {
      assert.equal(typeof value, typeof en[key], `${language} ${key}: a string or a plural, as in English`);
      if (typeof value === "object") assert.ok("other" in value, `${language} ${key}: a plural needs "other"`);
      for (const form of forms(value)) {
        assert.ok(form.trim().length > 0, `${language} ${key}: empty`);
        const known = new Set(forms(en[key]).flatMap((f) => [...placeholders(f)]));
        for (const name of placeholders(form)) {
          assert.ok(known.has(name), `${language} ${key}: {${name}} is not a param English uses`);
        }
      }
    }
  }
});

test("every code of the core, the CLI, the server and the browser has a text in every language", () => {
  const listed = listedCodes();
  const codes = [...listed.map((entry) => entry.code), ...CLIENT_CODES];
  assert.ok(listed.length >= 20, `${listed.length} codes listed`);
  assert.equal(new Set(codes).size, codes.length, `a code twice: ${codes}`);
  for (const language of languages) {
    const catalogue = CATALOGUES[language];
    assert.deepEqual(
      codes.filter((code) => typeof catalogue[`code.${code}`] !== "string"),
      [],
      `${language}: codes without a text`,
    );
    const stale = Object.keys(catalogue)
      .filter((key) => key.startsWith("code."))
      .map((key) => key.slice("code.".length))
      .filter((code) => !codes.includes(code));
    assert.deepEqual(stale, [], `${language}: texts for codes nothing gives`);
  }
});

test("the English texts are the core's messages, and the others use only the params given", () => {
  for (const { code, params, message } of listedCodes()) {
    const english = translator("en").problem({ code, params, message: "(fallback)" });
    assert.deepEqual(english, { text: message, translated: true }, code);
    for (const language of languages.filter((l) => l !== "en")) {
      const { text, translated } = translator(language).problem({ code, params, message });
      assert.ok(translated, `${language} ${code}: a param its text uses is not in the example's ${JSON.stringify(params)}`);
      assert.notEqual(text, message, `${language} ${code}: still the English message`);
    }
  }
});

test("an unknown code, or one without its params, falls back to the core's English message", () => {
  for (const language of languages) {
    const tr = translator(language);
    assert.deepEqual(tr.problem({ code: "from_a_newer_server", params: {}, message: "something new" }), {
      text: "something new",
      translated: false,
    });
    assert.deepEqual(tr.problem({ code: "image_too_small", params: { width: 3 }, message: "image too small: 3x2" }), {
      text: "image too small: 3x2",
      translated: false,
    });
  }
});

test("numbers and percentages are written the locale's way; English keeps the core's digits", () => {
  const params = { width: 20000, height: 24, min_side: 32 };
  assert.match(translator("en").problem({ code: "image_too_small", params }).text, /20000x24 pixels/);
  assert.match(translator("es").problem({ code: "image_too_small", params }).text, /20\.000 × 24 píxeles/);
  assert.match(translator("fr").problem({ code: "image_too_small", params }).text, /20\s000 × 24 pixels/);
  const refusal = { code: "not_chest_xray_colour", params: { colourfulness: 0.0625, limit: 0.05 } };
  assert.match(translator("es").problem(refusal).text, /color 0,062; .* límite 0,050/, "half to even, as Rust");
  assert.equal(translator("en").percent(0.8734), "87.3%");
  // (\s: ICU puts a no-break space of its choosing before "%" in Spanish and French.)
  assert.match(translator("es").percent(0.8734), /^87,3\s%$/);
  assert.match(translator("fr").percent(0.8734), /^87,3\s%$/);
  assert.equal(translator("en").percent(0.0004), "<0.1%");
  assert.match(translator("fr").percent(0.9996), /^>99,9\s%$/);
});

test("the language is the first of the browser's that Pneumoscan has, by primary subtag, else English", () => {
  assert.equal(browserLanguage(["de-DE", "fr-CA", "es"]), "fr");
  assert.equal(browserLanguage(["es-419", "en-US"]), "es");
  assert.equal(browserLanguage(["de", "it"]), DEFAULT_LANGUAGE);
  assert.equal(browserLanguage([]), DEFAULT_LANGUAGE);
  assert.equal(translator("pt-BR").lang, DEFAULT_LANGUAGE);
});

test("the web app manifest names the app in every language, English by default", () => {
  // A manifest cannot follow the page's switcher: browsers read it on their own. The
  // `_localized` members (Web App Manifest, "localized members") name it per language
  // where a browser supports them; the others show the English `name` and `description`.
  const manifest = JSON.parse(readFileSync(new URL("../www/manifest.webmanifest", import.meta.url), "utf8"));
  assert.equal(manifest.lang, DEFAULT_LANGUAGE);
  assert.equal(manifest.name, en["page.title"]);
  for (const language of languages.filter((l) => l !== DEFAULT_LANGUAGE)) {
    assert.equal(manifest.name_localized?.[language], CATALOGUES[language]["page.title"], `${language}: name`);
    assert.ok(manifest.description_localized?.[language]?.length > 20, `${language}: description`);
  }
});
