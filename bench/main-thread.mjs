// Where the page's main thread goes while the app classifies a folder: a Chromium trace
// ("devtools.timeline") of one pick through the folder input, each event's self time on
// the renderer's main thread (its duration less the events nested in it), summed by name.
//
//   node bench/main-thread.mjs [FOLDER] [FILES]     # default: the 47 originals
//   STYLE='css' node bench/main-thread.mjs ...      # with a style sheet added to the page
//
// Durations are wall-clock: on a busy machine an event's time includes time it waited
// for a core. Figures: bench/RESULTS.md, session 13's reading of (g).
import { ORIGINALS, traceFolderPick, traceThreadNames } from "./lib.mjs";

const { events, ms } = await traceFolderPick(["devtools.timeline"], {
  dir: process.argv[2] ?? ORIGINALS,
  files: Number(process.argv[3] ?? 47),
  style: process.env.STYLE,
});
console.log(`traced pick: ${ms} ms`);

const threadName = traceThreadNames(events);
const main = events
  .filter((e) => e.ph === "X" && e.dur != null && threadName.get(`${e.pid}/${e.tid}`) === "CrRendererMain")
  .sort((a, b) => a.ts - b.ts || b.dur - a.dur);
// Nesting by time: an event inside the one before it is its child.
const stack = [];
for (const e of main) {
  while (stack.length && stack.at(-1).ts + stack.at(-1).dur <= e.ts) stack.pop();
  if (stack.length) stack.at(-1).children += e.dur;
  e.children = 0;
  stack.push(e);
}
const self = new Map();
for (const e of main) {
  const [ms, n] = self.get(e.name) ?? [0, 0];
  self.set(e.name, [ms + Math.max(0, e.dur - e.children) / 1000, n + 1]);
}
for (const [name, [ms, n]] of [...self].sort((a, b) => b[1][0] - a[1][0]).slice(0, 12)) {
  console.log(`${ms.toFixed(1).padStart(9)} ms  ${String(n).padStart(6)}×  ${name}`);
}
