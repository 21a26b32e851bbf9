// Opens a study report in headless Chromium (offline), waits for every chart and prints, as
// JSON: charts rendered and failed, console errors, network requests, SVGs per chart; takes a
// screenshot. Usage: node report_browser.js index.html screenshot.png (NODE_PATH: the vendored
// node_modules holding playwright-core).
const { chromium } = require('playwright-core');
const path = require('path');

(async () => {
  const [page_file, screenshot] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const console_errors = [];
  const requests = [];
  page.on('console', (m) => { if (m.type() === 'error') console_errors.push(m.text()); });
  page.on('pageerror', (e) => console_errors.push(String(e)));
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file://')) return route.continue();
    requests.push(url);
    return route.abort();
  });
  await page.goto('file://' + path.resolve(page_file));
  try {
    await page.waitForFunction(() => window.brainalignReport &&
      window.brainalignReport.rendered + window.brainalignReport.failed.length ===
      window.brainalignReport.total, null, { timeout: 120000 });
  } catch (e) {
    console.log(JSON.stringify({ timeout: String(e), console_errors, requests,
      state: await page.evaluate(() => window.brainalignReport || null) }));
    process.exit(1);
  }
  const state = await page.evaluate(() => {
    const svg = {};
    document.querySelectorAll('div.chart').forEach((d) => { svg[d.id] = d.querySelectorAll('svg').length; });
    return { ...window.brainalignReport, svg_per_chart: svg };
  });
  // Sorting a table by a column must reorder its rows.
  await page.click('#table1 th:nth-child(5)');
  await page.screenshot({ path: screenshot, fullPage: true });
  await browser.close();
  console.log(JSON.stringify({ ...state, console_errors, requests }));
})().catch((e) => { console.error(e); process.exit(1); });
