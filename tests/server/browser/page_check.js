// Drives headless Chromium (Debian's, via playwright-core) for tests/server/test_browser.py: opens a page, runs
// one of the actions below, saves a screenshot, and prints JSON: every URL the page requested, the CSP
// violations and console errors it reported, and what the action found. Usage:
//   node page_check.js CHROMIUM URL ACTION SCREENSHOT       (ACTION: yasgui | swagger)
"use strict";
const { chromium } = require("playwright-core");

const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-quic"];

const actions = {
  // Run the page's query (an example of queries/) in YASGUI and read the result table it draws.
  async yasgui(page) {
    await page.waitForSelector(".yasqe .CodeMirror", { timeout: 30000 });
    const plainFormHidden = await page.$eval("#plain-form", (el) => el.hidden);
    await page.click(".yasqe_queryButton");
    await page.waitForSelector(".yasr table.dataTable tbody tr td", { timeout: 60000 });
    const headers = await page.$$eval(".yasr table.dataTable thead th", (ths) => ths.map((th) => th.textContent.trim()));
    const rows = await page.$$eval(".yasr table.dataTable tbody tr", (trs) => trs.map(
      (tr) => Array.from(tr.querySelectorAll("td")).map((td) => td.textContent.trim())));
    const tabs = await page.$$eval(".tabsList .tab", (els) => els.map((el) => el.textContent.trim()));
    return { plainFormHidden, headers, rows, tabs };
  },
  // Wait for Swagger UI to draw the operations of /api/openapi.json; open one and read its example value.
  async swagger(page) {
    await page.waitForSelector(".swagger-ui .opblock", { timeout: 30000 });
    const operations = await page.$$eval(".swagger-ui .opblock-summary-path",
      (els) => els.map((el) => el.textContent.replace(/\u200b/g, "").trim()));
    const title = await page.$eval(".swagger-ui .info .title", (el) => el.textContent.trim());
    await page.click("#operations-named_queries-concept_questions .opblock-summary");
    await page.waitForSelector("#operations-named_queries-concept_questions .parameters", { timeout: 30000 });
    const example = await page.$eval("#operations-named_queries-concept_questions .parameters",
      (el) => el.textContent);
    return { operations, title, example };
  },
};

async function main() {
  const [binary, url, action, screenshot] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath: binary, args: FLAGS, headless: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  const requests = [];
  const problems = [];
  const failed = [];
  context.on("request", (request) => requests.push(request.url()));  // the page's, its workers' and favicon
  context.on("response", (response) => {
    if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
  });
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(String(error)));
  let found = null;
  let failure = null;
  let response = null;
  try {
    response = await page.goto(url, { waitUntil: "load" });
    found = await actions[action](page);
  } catch (error) {
    failure = String(error);
  }
  await page.screenshot({ path: screenshot, fullPage: false });
  const csp = response ? (await response.allHeaders())["content-security-policy"] || null : null;
  await browser.close();
  process.stdout.write(JSON.stringify({ requests, failed, problems, found, failure, csp }));
}

main().catch((error) => {
  process.stderr.write(String(error.stack || error));
  process.exit(2);
});
