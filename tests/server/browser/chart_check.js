// Drives headless Chromium (Debian's, via playwright-core) for tests/server/test_stats_browser.py: opens a page at
// one window width, saves a full-page screenshot and prints JSON: per chart (figure.chart) the rows its table
// says and the bars its SVG drew (rects of the first series, with their size), how wide the document is against
// the window, the elements wider than the window, every URL requested, and the errors the page reported.
//   node chart_check.js CHROMIUM URL WIDTH SCREENSHOT
"use strict";
const { chromium } = require("playwright-core");

const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-quic"];

async function main() {
  const [binary, url, width, screenshot] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath: binary, args: FLAGS, headless: true });
  const context = await browser.newContext({ viewport: { width: Number(width), height: 900 }, javaScriptEnabled: true });
  const page = await context.newPage();
  const requests = [];
  const problems = [];
  context.on("request", (request) => requests.push(request.url()));
  page.on("console", (message) => { if (message.type() === "error") problems.push(message.text()); });
  page.on("pageerror", (error) => problems.push(String(error)));
  const response = await page.goto(url, { waitUntil: "load" });
  const found = await page.evaluate(() => {
    const charts = Array.from(document.querySelectorAll("figure.chart")).map((figure) => {
      const bars = Array.from(figure.querySelectorAll("svg .series.serie-0 rect.rect")).map((rect) => {
        const box = rect.getBoundingClientRect();
        return { width: box.width, height: box.height };
      });
      const svg = figure.querySelector("svg").getBoundingClientRect();
      return { key: figure.dataset.chart, rows: Number(figure.dataset.rows), tableRows: figure.querySelectorAll("tbody tr").length,
               bars, svgWidth: svg.width, svgHeight: svg.height, alt: figure.querySelector("[role=img]").getAttribute("aria-label") };
    });
    const limit = document.documentElement.clientWidth;
    const wide = Array.from(document.querySelectorAll("body *")).filter((el) => {
      const box = el.getBoundingClientRect();
      return box.right > limit + 1 && !el.closest(".table-wrap");
    }).map((el) => el.tagName + "." + el.className).slice(0, 10);
    return { charts, scrollWidth: document.documentElement.scrollWidth, clientWidth: limit, wide };
  });
  await page.screenshot({ path: screenshot, fullPage: true });
  await browser.close();
  process.stdout.write(JSON.stringify({ status: response.status(), requests, problems, ...found }));
}

main().catch((error) => {
  process.stderr.write(String(error.stack || error));
  process.exit(2);
});
