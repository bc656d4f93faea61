import { startStatic, launch } from "./lib.mjs";
import { readFileSync, writeFileSync } from "node:fs";
const small = readFileSync("/work/shared/data/chest_xray/train/NORMAL/" + (await import("node:fs")).readdirSync("/work/shared/data/chest_xray/train/NORMAL")[0]);
const server = await startStatic();
const browser = await launch();
const page = await browser.newPage();
await page.goto(`${server.origin}/dist/index.html`);
await page.waitForFunction(() => document.querySelector("[data-model-state]")?.dataset.modelState === "ready", null, { timeout: 120000 });
await page.evaluate(async () => {
  window.__tasks = [];
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__tasks.push(Math.round(e.duration)); }).observe({ type: "longtask" });
});
const cdp = await page.context().newCDPSession(page);
await cdp.send("Profiler.enable");
await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
await page.evaluate(async (data) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  const lines = ["file,label"];
  for (let i = 0; i < 2000; i++) {
    const name = `xray-${String(i).padStart(4, "0")}.jpeg`;
    transfer.items.add(new File([bytes], name, { type: "image/jpeg" }));
    lines.push(`${name},${i % 3 ? "PNEUMONIA" : "NORMAL"}`);
  }
  transfer.items.add(new File([lines.join("\n")], "labels.csv", { type: "text/csv" }));
  document.querySelector("[data-dropzone]").dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
}, small.toString("base64"));
await page.waitForFunction(() => Number(document.querySelector("[data-batch]")?.dataset.done) >= 1900, null, { timeout: 300000, polling: 200 });
await cdp.send("Profiler.start");
await page.waitForFunction(() => document.querySelector("[data-evaluation]")?.dataset.complete === "true" && document.querySelector("[data-evaluation]")?.dataset.n === "2000", null, { timeout: 300000, polling: 200 });
await page.waitForTimeout(1000);
const { profile } = await cdp.send("Profiler.stop");
writeFileSync("/tmp/g.cpuprofile", JSON.stringify(profile));
console.log("long tasks", await page.evaluate(() => window.__tasks));
await browser.close(); await server.close();
