// Temporary: where the CPU goes in (f), per thread and function (V8 sampling profiler via tracing).
import { writeFileSync, readFileSync } from "node:fs";
import { startStatic, launch, ORIGINALS } from "./lib.mjs";
const server = await startStatic();
const browser = await launch();
const context = await browser.newContext({ serviceWorkers: "block" });
const page = await context.newPage();
await page.goto(`${server.origin}/dist/index.html`);
await page.waitForFunction(() => document.querySelector("[data-model-state]")?.dataset.modelState === "ready", null, { timeout: 120000 });
await page.waitForTimeout(1500);
const pick = async () => {
  const t0 = Date.now();
  await page.setInputFiles("input[type=file][webkitdirectory]", ORIGINALS);
  await page.waitForFunction(() => { const c = [...document.querySelectorAll("[data-result]")]; return c.length >= 47 && c.every((e) => e.dataset.status !== "pending"); }, null, { timeout: 60000, polling: 10 });
  const ms = Date.now() - t0;
  await page.getByRole("button", { name: "Clear all" }).click();
  return ms;
};
console.log("warm-up", await pick());
console.log("warm-up", await pick());
await browser.startTracing(page, { path: "/tmp/trace.json", categories: ["disabled-by-default-v8.cpu_profiler", "v8.execute", "toplevel", "devtools.timeline", "disabled-by-default-devtools.timeline"] });
console.log("traced", await pick());
await browser.stopTracing();
await browser.close();
await server.close();
