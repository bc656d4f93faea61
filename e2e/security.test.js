// Privacy and web security end to end, in Chromium against real nginx (nginx.conf) and the
// native server (`pneumoscan serve --dist`): a file name with markup is shown as text and
// runs nothing; the Content-Security-Policy really blocks inline script, inline event
// handlers and eval; both servers send the security headers with the page. That nothing
// leaves the page is checked in every test here and in app.test.js (harness.js `leaks`).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as h from "./harness.js";

let nginx, server, browser, xray, csp;

before(async () => {
  h.requireSetup();
  xray = h.originals().find((f) => f.includes("NORMAL"));
  // The policy as nginx.conf writes it (tests/nginx.sh checks it equals src/server.rs's).
  csp = readFileSync(join(h.ROOT, "nginx.conf"), "utf8").match(/add_header Content-Security-Policy "([^"]+)"/)[1];
  nginx = await h.startNginx();
  server = await h.startServer();
  browser = await h.launch();
});

after(async () => {
  await h.closeAll(browser, server, nginx);
});

test("a file name with markup is shown as text and runs nothing", async () => {
  const { context, log } = await h.watchedContext(browser);
  const page = await context.newPage();
  await page.goto(`${nginx.origin}/`);
  await h.waitReady(page);
  // (No "/" in them: browsers keep only what follows the last one in a File's name.)
  const names = [
    "<img src=x onerror=alert(1)>.jpg",
    "<script>alert(2)<script>.png",
    '"><svg onload=alert(3)>.jpeg',
    "=HYPERLINK(1)+cmd.jpg",
  ];
  await h.dropFiles(page, [
    { name: names[0], type: "image/jpeg", bytes: readFileSync(xray) },
    { name: names[1], type: "image/png", bytes: Buffer.from("not an image at all\n") },
    { name: names[2], type: "image/jpeg", bytes: readFileSync(xray) },
    { name: names[3], type: "image/jpeg", bytes: readFileSync(xray) },
  ]);
  const results = await h.settledResults(page, 4);
  assert.deepEqual(
    results.map((r) => r.filename),
    names,
  );
  assert.deepEqual(
    results.map((r) => r.status),
    ["ok", "error", "ok", "ok"],
  );
  // The names appear as text in the cards' headings.
  assert.deepEqual(await page.locator("[data-result] h3").allTextContents(), names);
  // Give any injected handler time to fire.
  await page.waitForTimeout(500);
  const injected = await page.evaluate(() => ({
    imgX: document.querySelectorAll('img[src="x"]').length,
    handlers: document.querySelectorAll("[onerror], [onload]").length,
    svg: document.querySelectorAll("[data-result] svg").length,
    scripts: [...document.scripts].filter((s) => !s.src).length,
  }));
  assert.deepEqual(injected, { imgX: 0, handlers: 0, svg: 0, scripts: 0 });
  assert.deepEqual(log.dialogs, []);
  assert.deepEqual(log.errors, []);
  assert.deepEqual(h.leaks(log, [nginx.origin]), []);

  // The CSV export keeps the names as data too, and a name a spreadsheet would run as a
  // formula starts with an apostrophe.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export CSV" }).click(),
  ]);
  const csv = readFileSync(await download.path(), "utf8");
  for (const name of names) {
    const field = name.startsWith("=") ? `'${name}` : name;
    assert.ok(csv.includes(/[",]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field), csv);
  }
  const fields = csv.split(/\r\n/).flatMap((line) => line.split(","));
  assert.deepEqual(
    fields.filter((f) => /^"?[=+\-@]/.test(f)),
    [],
    "no CSV field starts a formula",
  );
  await context.close();
});

for (const which of ["nginx", "the native server"]) {
  test(`the Content-Security-Policy blocks inline script, inline handlers and eval (${which})`, async () => {
    const origin = which === "nginx" ? nginx.origin : server.origin;
    const { context, log } = await h.watchedContext(browser);
    const page = await context.newPage();
    const response = await page.goto(`${origin}/`);
    assert.equal(response.headers()["content-security-policy"], csp);
    await h.waitReady(page);
    const outcome = await page.evaluate(async () => {
      const violations = [];
      document.addEventListener("securitypolicyviolation", (e) => violations.push(e.effectiveDirective));
      const script = document.createElement("script");
      script.textContent = "window.__inlineRan = true;";
      document.body.append(script);
      const holder = document.createElement("div");
      holder.innerHTML = '<img src="data:," onerror="window.__handlerRan = true">';
      document.body.append(holder);
      // eval and string timers, from a task of the page's own (code that DevTools
      // evaluates directly may always eval).
      const evalBlocked = await new Promise((ok) =>
        setTimeout(() => {
          try {
            // eslint-disable-next-line no-eval
            eval("window.__evalRan = true");
            ok(false);
          } catch (e) {
            ok(e instanceof EvalError);
          }
        }, 0),
      );
      setTimeout("window.__timerRan = true", 0);
      await new Promise((ok) => setTimeout(ok, 500));
      return {
        inlineRan: window.__inlineRan === true,
        handlerRan: window.__handlerRan === true,
        evalRan: window.__evalRan === true || window.__timerRan === true,
        evalBlocked,
        violations: [...new Set(violations)].sort(),
      };
    });
    assert.equal(outcome.inlineRan, false, "an inline <script> ran");
    assert.equal(outcome.handlerRan, false, "an inline event handler ran");
    assert.equal(outcome.evalRan, false, "eval ran");
    assert.equal(outcome.evalBlocked, true, "eval did not throw an EvalError");
    assert.ok(outcome.violations.includes("script-src-elem"), `violations: ${outcome.violations}`);
    assert.ok(outcome.violations.includes("script-src-attr"), `violations: ${outcome.violations}`);
    // The app itself still works under the policy.
    await h.dropFiles(page, [{ path: xray }]);
    const [result] = await h.settledResults(page, 1);
    assert.equal(result.status, "ok", result.text);
    assert.deepEqual(log.dialogs, []);
    assert.deepEqual(h.leaks(log, [origin]), []);
    await context.close();
  });
}

test("nginx and the native server send the security headers with the page and the bundle", async () => {
  const wasm = readFileSync(join(h.DIST, "sw.js"), "utf8").match(/pneumoscan_bg\.[0-9a-f]{8}\.wasm/)[0];
  for (const origin of [nginx.origin, server.origin]) {
    for (const path of ["/", `/${wasm}`, "/no-such-file"]) {
      const response = await fetch(`${origin}${path}`);
      const got = (name) => response.headers.get(name);
      const where = `${origin}${path}`;
      assert.equal(got("content-security-policy"), csp, where);
      assert.equal(got("x-content-type-options"), "nosniff", where);
      assert.equal(got("referrer-policy"), "no-referrer", where);
      for (const feature of ["camera=()", "microphone=()", "geolocation=()"]) {
        assert.ok(got("permissions-policy")?.includes(feature), `${where}: Permissions-Policy lacks ${feature}`);
      }
      assert.ok(got("cross-origin-resource-policy"), `${where}: no Cross-Origin-Resource-Policy`);
      if (path === "/") {
        assert.equal(got("access-control-allow-origin"), null, `${where}: the page is not for other origins`);
        assert.equal(got("cross-origin-resource-policy"), "same-origin", where);
      }
      await response.arrayBuffer();
    }
  }
});
