// Opens a study report in headless Chromium (offline), waits for every chart and prints, as
// JSON: charts rendered and failed, console errors, network requests, SVGs per chart and what
// the page shows (texts with their boxes, colours, heat-map cells, tables) and the boxes of the
// static figures' labels; with a second argument, takes a screenshot of the whole page there (a
// costly step, left out unless asked for). Usage: node report_browser.js index.html
// [screenshot.png] (NODE_PATH: the vendored node_modules holding playwright-core).
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
  // What the page shows: per chart its box and the box of its drawing, every text it draws
  // (axis labels and titles, legend labels, panel titles and headers) with its box and font
  // size, the legend's colours, each panel's title and axis titles; the heat map's cells with
  // their data and colour (from the Vega view's scenegraph); the tables' cells.
  const shown = await page.evaluate(() => {
    const box = (el) => {
      const b = el.getBoundingClientRect();
      return { x0: b.left, y0: b.top, x1: b.right, y1: b.bottom };
    };
    const texts = (root, role) => Array.from(root.querySelectorAll(`g.${role} text`)).map((t) => ({
      text: t.textContent, box: box(t), size: parseFloat(getComputedStyle(t).fontSize) }));
    const charts = {};
    for (const div of document.querySelectorAll('div.chart')) {
      const svg = div.querySelector('svg');
      const fills = Array.from(div.querySelectorAll('g.role-legend-symbol path'))
        .map((p) => p.getAttribute('fill'));
      const labels = texts(div, 'role-legend-label');
      const panels = Array.from(svg.querySelectorAll('g.role-scope'))
        .filter((g) => g.querySelector(':scope > g > g > g.role-title .role-title-text text'))
        .map((g) => ({ title: g.querySelector('.role-title-text text').textContent,
                       axis_titles: texts(g, 'role-axis-title').map((t) => t.text) }));
      charts[div.id.replace(/^chart-/, '')] = {
        div: box(div), svg: box(svg),
        labels: ['role-axis-label', 'role-axis-title', 'role-legend-label', 'role-legend-title',
                 'role-title-text', 'role-column-header', 'role-row-header']
          .flatMap((role) => texts(div, role).map((t) => ({ role, ...t }))),
        legend: labels.map((l, i) => ({ label: l.text, fill: fills[i] })),
        panels,
      };
    }
    const cells = [];
    const walk = (node) => {
      if (!node) return;
      if (node.marktype === 'rect')
        for (const item of node.items || [])
          if (item.datum && 'r' in item.datum && 'performance' in item.datum)
            cells.push({ subset: item.datum.subset, metric: item.datum.metric,
                         performance: item.datum.performance, r: item.datum.r,
                         fill: String(item.fill) });
      for (const item of node.items || []) walk(item);
    };
    if (window.brainalignViews.heatmap) walk(window.brainalignViews.heatmap.scenegraph().root);
    // The paper's figures: every mark item drawn from a data row (bars, error bars, reference
    // lines and bands, points, fit and identity lines, curves), with its mark's name and type,
    // the row and where it is drawn.
    const marks = {};
    for (const [id, view] of Object.entries(window.brainalignViews)) {
      if (!id.startsWith('fig')) continue;
      marks[id] = [];
      const visit = (node) => {
        if (!node) return;
        if (node.marktype && node.name)
          for (const item of node.items || [])
            if (item.datum && 'panel' in item.datum)
              marks[id].push({ mark: node.name, type: node.marktype, datum: item.datum,
                               x: item.x, y: item.y, x2: item.x2 });
        for (const item of node.items || []) visit(item);
      };
      visit(view.scenegraph().root);
    }
    const notes = Array.from(document.querySelectorAll('p.figure-note[data-figure]'))
      .map((p) => ({ figure: p.dataset.figure, text: p.textContent }));
    const paper_table = Array.from(document.querySelectorAll('#table1-paper tbody tr')).map((tr) => ({
      metric: tr.dataset.metric, subset: tr.dataset.subset,
      cells: Array.from(tr.querySelectorAll('td[data-r]')).map((td) => ({
        r: parseFloat(td.dataset.r), p: parseFloat(td.dataset.p), text: td.textContent,
        column: td.closest('table').tHead.rows[0].cells[td.cellIndex].textContent,
        background: getComputedStyle(td).backgroundColor, weight: getComputedStyle(td).fontWeight })),
    }));
    const tables = {};
    for (const t of document.querySelectorAll('table')) {
      tables[t.id] = { header: Array.from(t.tHead.rows[0].cells).map((c) => c.textContent),
                       rows: Array.from(t.tBodies[0].rows)
                         .map((r) => Array.from(r.cells).map((c) => c.textContent)) };
    }
    return { viewport: window.innerWidth, page_width: document.documentElement.scrollWidth,
             charts, heat_cells: cells, tables, marks, notes, paper_table,
             chart_headings: Array.from(document.querySelectorAll('h2, h3')).map((h) => h.textContent) };
  });
  // Sorting a table by a column must reorder its rows.
  await page.click('#table1 th:nth-child(5)');
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  // Each chart's static figure (figures/<id>.svg) as Chromium lays out its text layer: the
  // figure's size and every label's box.
  shown.figures = {};
  for (const id of Object.keys(shown.charts)) {
    await page.goto('file://' + path.join(path.dirname(path.resolve(page_file)), 'figures',
                                          id + '.svg'));
    shown.figures[id] = await page.evaluate(() => {
      const svg = document.documentElement;
      return { width: svg.width.baseVal.value, height: svg.height.baseVal.value,
               texts: Array.from(svg.querySelectorAll('text')).map((t) => {
                 const b = t.getBoundingClientRect();
                 return { text: t.textContent, box: { x0: b.left + scrollX, y0: b.top + scrollY,
                                                      x1: b.right + scrollX, y1: b.bottom + scrollY } };
               }) };
    });
  }
  await browser.close();
  console.log(JSON.stringify({ ...state, console_errors, requests, shown }));
})().catch((e) => { console.error(e); process.exit(1); });
