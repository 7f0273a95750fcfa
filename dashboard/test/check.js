// Opens every page of the built dashboard in headless Chromium (Debian's
// /usr/bin/chromium through playwright-core) with every host but 127.0.0.1
// blocked, and prints TAP: per page, it loaded, each chart (an SVG Plot
// draws inside a .card) rendered marks, no request left the machine and the
// console had no error.  Optionally saves a screenshot of the first page.
//   node test/check.js http://127.0.0.1:PORT/ [screenshot.png]
import {chromium} from "playwright-core";

const base = process.argv[2];
const screenshot = process.argv[3];
const pages = ["index", "health", "feedback", "campaigns", "launches"];
let n = 0, failed = 0;
const ok = (pass, what) => {
  n++;
  if (!pass) failed++;
  console.log(`${pass ? "ok" : "not ok"} ${n} - ${what}`);
};

const browser = await chromium.launch({executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-default-apps", "--disable-sync"]});
try {
  const context = await browser.newContext({viewport: {width: 1400, height: 1000}});
  const outside = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === "data:" || url.protocol === "blob:" || url.hostname === "127.0.0.1") return route.continue();
    outside.push(url.href);
    return route.abort();
  });
  for (const name of pages) {
    const page = await context.newPage();
    const errors = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(String(e)));
    const before = outside.length;
    const url = new URL(name === "index" ? "./" : `./${name}.html`, base).href;
    const response = await page.goto(url, {waitUntil: "networkidle"});
    ok(response && response.status() === 200, `${name}: ${url} loads`);
    await page.waitForFunction(() => document.querySelectorAll(".card").length > 0 &&
      [...document.querySelectorAll(".card")].every((c) => c.querySelector("svg[class^=plot]")), null, {timeout: 20000}).catch(() => {});
    const charts = await page.$$eval(".card", (cards) => cards.map((c) => {
      const title = c.querySelector("h2")?.textContent ?? "?";
      const svgs = [...c.querySelectorAll("svg[class^=plot]")];
      const groups = svgs.flatMap((svg) => [...svg.querySelectorAll("g[aria-label]")])
        .filter((g) => !/axis|grid|rule|legend|ramp/.test(g.getAttribute("aria-label")));
      const mark = groups.filter((g) => g.querySelector("path, rect, circle, line")).length;
      const marks = groups.reduce((k, g) => k + g.querySelectorAll("path, rect, circle, line").length, 0);
      return {title, svg: svgs.length > 0, marks, mark};
    }));
    ok(charts.length > 0, `${name}: ${charts.length} charts`);
    for (const c of charts) ok(c.svg && c.mark > 0, `${name}: chart "${c.title}" rendered marks (${c.mark} mark groups, ${c.marks} elements)`);
    ok(outside.length === before, `${name}: no request left the machine` + (outside.length > before ? ` (${outside.slice(before).join(" ")})` : ""));
    ok(errors.length === 0, `${name}: no console error` + (errors.length ? ` (${errors.join(" | ").slice(0, 400)})` : ""));
    if (screenshot && name === "index") await page.screenshot({path: screenshot, fullPage: true});
    await page.close();
  }
} finally {
  await browser.close();
}
console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
