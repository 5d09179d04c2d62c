// Timeline webview test in real Chromium (playwright-core, no test runner).
//
// Builds the bundle, serves a page that replicates the VS Code webview (same CSP, nonce'd module
// script, stylesheet by <link>, a stub acquireVsCodeApi), drives it with messages and keys, and
// prints one line per check. Exit status 1 when any check fails.
//
//   node test/webview/run.mjs
//
// Environment: CHROMIUM (default /usr/bin/chromium), PLAYWRIGHT_CORE (directory holding
// playwright-core; default: this repository's devDependency). Without Chromium the script says
// so and exits 0, unless KRL_REQUIRE_BROWSER is set (.ci/run sets it and installs Chromium).
//
// Functions passed to page.evaluate run in the browser, hence these globals:
/* global window, document, DOMParser, getComputedStyle, sessionStorage */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const artifacts = join(repo, 'artifacts/webview');
const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
const playwrightHome = process.env.PLAYWRIGHT_CORE ?? join(repo, 'node_modules');
if (!existsSync(chromium)) {
  console.log(`webview test: no Chromium at ${chromium} (apt install chromium, or set CHROMIUM)${process.env.KRL_REQUIRE_BROWSER ? '' : ': skipped'}`);
  process.exit(process.env.KRL_REQUIRE_BROWSER ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------
// Checks

let failures = 0;
function check(name, ok, detail = '') {
  if (!ok) failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'}  ${name}${!ok && detail ? `: ${detail}` : ''}`);
  return ok;
}
const show = (x) => JSON.stringify(x)?.slice(0, 300);

// ---------------------------------------------------------------------------------------------
// Build: the real bundle, plus the protocol guards and real traces for this script.

execFileSync(process.execPath, ['esbuild.mjs'], { cwd: repo, stdio: 'inherit' });
const work = mkdtempSync(join(tmpdir(), 'krl-webview-'));
await esbuild.build({
  entryPoints: { protocol: join(repo, 'src/protocol.ts'), realRuns: join(repo, 'test/webview/realRuns.ts') },
  outdir: work,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  logLevel: 'warning',
});
const protocol = await import(pathToFileURL(join(work, 'protocol.mjs')).href);
const { timelineRun } = await import(pathToFileURL(join(work, 'realRuns.mjs')).href);

// ---------------------------------------------------------------------------------------------
// Models: real counterexamples with hostile text planted in every kind of string the view shows.

const SCRIPT = '<script>window.__pwned=1</script>';
const IMG = '<img src=x onerror="window.__pwned=1">';
const STYLE = '</style><style>body{display:none}</style>';
const PAYLOADS = [SCRIPT, IMG, STYLE];

const BAD_FIELD = `vCPU0.${IMG}`;
const BAD_VALUE_FIELD = 'guest0.note';

function plant(run, lines) {
  const t = run.trace;
  t.explanation = `${t.explanation} ${SCRIPT} ${STYLE}`;
  t.steps[1].step = `${t.steps[1].step} ${SCRIPT}`;
  t.steps[2].step = `${IMG} ${t.steps[2].step}`;
  t.steps[t.steps.length - 1].step += ` ${STYLE}`;
  // A field whose name is hostile, changed by step 2; a field whose value is hostile, changed by step 4.
  t.states.forEach((s, k) => {
    s[BAD_FIELD] = k >= 2 ? 1 : 0;
    s[BAD_VALUE_FIELD] = k >= 4 ? STYLE : 'none';
  });
  t.steps[1].changed[BAD_FIELD] = 1;
  t.steps[3].changed[BAD_VALUE_FIELD] = STYLE;
  for (const [n, line] of Object.entries(lines)) t.steps[Number(n) - 1].line = line;
  run.counters = { ...run.counters, [SCRIPT]: null };
  return run;
}

const modelA = {
  title: `vcpu-wakeup: block-vs-ipiv-post ${SCRIPT} ${IMG} ${STYLE}`,
  documentUri: 'file:///work/patches/0001-kvm-vmx-ipiv.patch',
  hunk: { index: 2, startLine: 30, endLine: 61 },
  runs: [
    plant(timelineRun('baseline', 'block-vs-ipiv-post', '4.9', 'vcpu-wakeup'), { 3: 41, 5: 57 }),
    plant(timelineRun('patched', 'block-vs-ipiv-post', '4.11', 'vcpu-wakeup'), { 6: 44 }),
  ],
};
const modelB = {
  title: 'pi-delivery: entry-vs-device-post',
  documentUri: null,
  hunk: null,
  runs: [timelineRun('baseline', 'entry-vs-device-post', '4.9', 'pi-delivery'), timelineRun('patched', 'entry-vs-device-post', '4.11', 'pi-delivery')],
};
const A = { base: modelA.runs[0].trace, patch: modelA.runs[1].trace };

// ---------------------------------------------------------------------------------------------
// Protocol guards, run in Node as the extension will run them.

{
  const { isToWebview, isFromWebview, isTimelineViewState, TIMELINE_STATE_VERSION } = protocol;
  const clone = (x) => JSON.parse(JSON.stringify(x));
  const mutated = (f) => {
    const m = clone(modelA);
    f(m);
    return { type: 'show', model: m };
  };
  check('guard: real models are valid show messages', isToWebview({ type: 'show', model: modelA }) && isToWebview({ type: 'show', model: modelB }));
  const badShows = {
    'extra envelope key': { type: 'show', model: modelA, html: '<b>' },
    'missing model': { type: 'show' },
    'states length': mutated((m) => m.runs[0].trace.states.pop()),
    'step numbering': mutated((m) => (m.runs[0].trace.steps[3].n = 9)),
    'line 0': mutated((m) => (m.runs[0].trace.steps[0].line = 0)),
    'fractional line': mutated((m) => (m.runs[0].trace.steps[0].line = 1.5)),
    'object value': mutated((m) => (m.runs[0].trace.states[0]['x'] = { toString: 1 })),
    'unknown side': mutated((m) => (m.runs[0].side = 'left')),
    'duplicate side': mutated((m) => (m.runs[1].side = 'baseline')),
    'unknown verdict': mutated((m) => (m.runs[0].verdict = 'VIOLATED')),
    'counter string': mutated((m) => (m.runs[0].counters = { kicks: '3' })),
    'hunk end before start': mutated((m) => (m.hunk = { index: 0, startLine: 9, endLine: 3 })),
    'title number': mutated((m) => (m.title = 5)),
  };
  const accepted = Object.entries(badShows).filter(([, msg]) => isToWebview(msg)).map(([k]) => k);
  check('guard: malformed show messages rejected', accepted.length === 0, accepted.join(', '));
  check('guard: select', isToWebview({ type: 'select', side: 'patched', step: 0 }) && !isToWebview({ type: 'select', side: 'patched', step: -1 }) && !isToWebview({ type: 'select', side: 'x', step: 1 }));
  const goodFrom = [
    { type: 'ready' },
    { type: 'reveal', line: 12 },
    { type: 'stepChanged', side: 'baseline', step: 0 },
    { type: 'export', format: 'json', filename: 'kvm-race-lens-x.json', content: '{}' },
    { type: 'export', format: 'svg', filename: 'a.svg', content: '<svg/>' },
  ];
  const badFrom = [
    null,
    'ready',
    { type: 'ready', extra: 1 },
    { type: 'reveal', line: 0 },
    { type: 'reveal', line: '12' },
    { type: 'reveal', line: 2 ** 60 },
    { type: 'export', format: 'json', filename: '../../.bashrc.json', content: '' },
    { type: 'export', format: 'json', filename: 'dir/a.json', content: '' },
    { type: 'export', format: 'json', filename: 'C:\\a.json', content: '' },
    { type: 'export', format: 'json', filename: '.json', content: '' },
    { type: 'export', format: 'json', filename: 'a.svg', content: '' },
    { type: 'export', format: 'html', filename: 'a.html', content: '' },
    { type: 'export', format: 'svg', filename: 'a\u0000.svg', content: '' },
    { type: 'stepChanged', side: 'both', step: 1 },
    { type: 'openFile', path: '/etc/passwd' },
  ];
  check('guard: valid webview messages accepted', goodFrom.every(isFromWebview), show(goodFrom.filter((m) => !isFromWebview(m))));
  check('guard: invalid webview messages rejected', !badFrom.some(isFromWebview), show(badFrom.filter(isFromWebview)));
  check(
    'guard: view state versioned',
    isTimelineViewState({ version: TIMELINE_STATE_VERSION, model: modelA, side: 'patched', steps: { baseline: 3 } }) &&
      !isTimelineViewState({ version: TIMELINE_STATE_VERSION + 1, model: modelA, side: 'patched', steps: {} }) &&
      !isTimelineViewState({ version: TIMELINE_STATE_VERSION, model: modelA, side: 'patched', steps: { left: 1 } }),
  );
}

// ---------------------------------------------------------------------------------------------
// The page: what the extension's panel serves, with a recording stub for acquireVsCodeApi.

const nonce = randomBytes(18).toString('base64');
const served = new Map([
  ['/dist/webview.js', { type: 'text/javascript', body: readFileSync(join(repo, 'dist/webview.js')) }],
  ['/media/timeline.css', { type: 'text/css', body: readFileSync(join(repo, 'media/timeline.css')) }],
]);
const hits = [];
const server = createServer((req, res) => {
  hits.push(req.url);
  // The browser itself (not the page) asks for a favicon; VS Code's webview frame never does.
  if (req.url === '/favicon.ico') {
    res.writeHead(204).end();
    return;
  }
  const file = req.url === '/' || req.url === '/index.html' ? { type: 'text/html', body: page() } : served.get(req.url ?? '');
  if (!file) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': `${file.type}; charset=utf-8`, 'cache-control': 'no-store' }).end(file.body);
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const origin = `http://127.0.0.1:${server.address().port}`;

function page() {
  const csp = `default-src 'none'; script-src 'nonce-${nonce}'; style-src ${origin}; img-src ${origin} data:`;
  const stub = `
    window.__posted = [];
    window.__csp = [];
    window.__stateWrites = 0;
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample });
    });
    let acquired = false;
    window.acquireVsCodeApi = () => {
      if (acquired) throw new Error('acquireVsCodeApi may be called only once');
      acquired = true;
      return {
        postMessage(message) {
          // Structured-clone-like copy, plus how much was rendered when the message left.
          window.__posted.push({ message: JSON.parse(JSON.stringify(message)), rendered: document.querySelectorAll('[role=option]').length });
        },
        getState() {
          const saved = sessionStorage.getItem('vscode-state');
          return saved === null ? undefined : JSON.parse(saved);
        },
        setState(state) {
          window.__stateWrites++;
          sessionStorage.setItem('vscode-state', JSON.stringify(state));
          return state;
        },
      };
    };`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${origin}/media/timeline.css">
<title>KVM Race Lens timeline</title>
</head>
<body>
<main id="app"></main>
<script nonce="${nonce}">${stub}</script>
<script type="module" nonce="${nonce}" src="${origin}/dist/webview.js"></script>
</body>
</html>`;
}

// ---------------------------------------------------------------------------------------------
// Browser

const require = createRequire(join(playwrightHome, 'noop.js'));
const { chromium: pw } = require('playwright-core');
const browser = await pw.launch({
  executablePath: chromium,
  headless: true,
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
mkdirSync(artifacts, { recursive: true });

const pageErrors = [];
const consoleErrors = [];
const requests = [];

try {
  const context = await browser.newContext({ viewport: { width: 1500, height: 950 } });
  const tab = await context.newPage();
  tab.on('pageerror', (e) => pageErrors.push(String(e)));
  tab.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  tab.on('request', (r) => requests.push(r.url()));

  const posted = () => tab.evaluate(() => window.__posted.map((p) => p.message));
  const postedOf = async (type) => (await posted()).filter((m) => m.type === type);
  const send = (message) => tab.evaluate((m) => window.postMessage(m, '*'), message);
  const settle = () => tab.evaluate(() => new Promise((ok) => window.requestAnimationFrame(() => window.setTimeout(ok, 0))));
  const selectedIndex = (side) => tab.evaluate((s) => Number(document.querySelector(`#${s}-steps [aria-selected="true"]`)?.getAttribute('data-index') ?? -1), side);
  const highlighted = (side) => tab.evaluate((s) => [...document.querySelectorAll(`.run.${s} .state-panel .field.changed`)].map((e) => e.getAttribute('data-field')).sort(), side);
  const live = () => tab.evaluate(() => document.getElementById('announcer')?.textContent ?? '');
  const sameSet = (a, b) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
  const expectedChanged = (trace, k) => Object.keys(trace.steps[k - 1]?.changed ?? {}).sort();

  // --- load
  await tab.goto(`${origin}/index.html`);
  await tab.waitForFunction(() => window.__posted.length > 0);
  check('load: posts ready', show(await posted()) === show([{ type: 'ready' }]), show(await posted()));
  check('load: shows the empty state', (await tab.locator('.empty').count()) === 1);

  // --- messages that fail the guards are not rendered
  await send({ type: 'show', model: { ...modelA, runs: 'nope' } });
  await send({ type: 'show', model: modelA, html: SCRIPT });
  await send({ type: 'render', html: SCRIPT });
  await send('<img src=x onerror="window.__pwned=1">');
  await settle();
  check('guard: invalid messages ignored', (await tab.locator('.run').count()) === 0 && (await tab.locator('.empty').count()) === 1);

  // --- show
  await send({ type: 'show', model: modelA });
  await tab.waitForSelector('.run.patched');
  await settle();
  await tab.screenshot({ path: join(artifacts, '01-timeline.png'), fullPage: true });

  const dom = await tab.evaluate(() => ({
    pwned: window.__pwned,
    imgs: document.querySelectorAll('img').length,
    scripts: document.querySelectorAll('script').length,
    styles: document.querySelectorAll('style').length,
    sheets: document.styleSheets.length,
    bodyDisplay: getComputedStyle(document.body).display,
    appVisible: document.getElementById('app').getBoundingClientRect().height > 100,
    title: document.title,
  }));
  check('injection: nothing executed (window.__pwned undefined)', dom.pwned === undefined);
  check('injection: no <img>/<style> elements, only the 2 page scripts, 1 stylesheet', dom.imgs === 0 && dom.styles === 0 && dom.scripts === 2 && dom.sheets === 1, show(dom));
  check('injection: page still visible', dom.bodyDisplay !== 'none' && dom.appVisible, show(dom));
  const h1 = await tab.locator('h1').innerText();
  const explanation = await tab.locator('.run.baseline .explanation').innerText();
  const step2 = await tab.locator('#baseline-step-2').innerText();
  const step3 = await tab.locator('#baseline-step-3').innerText();
  const last = await tab.locator(`#baseline-step-${A.base.steps.length}`).innerText();
  const counters = await tab.locator('.run.baseline table.counters').innerText();
  check('text: title shows all payloads literally', PAYLOADS.every((p) => h1.includes(p)) && dom.title.includes(SCRIPT), h1);
  check('text: explanation shows payloads literally', explanation.includes(SCRIPT) && explanation.includes(STYLE), explanation);
  check('text: step labels show payloads literally', step2.includes(SCRIPT) && step3.includes(IMG) && last.includes(STYLE), `${step2} | ${step3}`);
  check('text: counter name shows payload literally', counters.includes(SCRIPT) && counters.includes('unbounded'), counters);

  // --- lanes
  const layout = await tab.evaluate(() =>
    ['baseline', 'patched'].map((side) => ({
      lanes: [...document.querySelectorAll(`.run.${side} .lane-header .lane-name`)].map((e) => e.textContent),
      rows: [...document.querySelectorAll(`#${side}-steps [role="option"]`)].map((row) => ({
        index: Number(row.getAttribute('data-index')),
        column: [...row.querySelectorAll('.lane-cell')].findIndex((c) => c.querySelector('.step-card')),
        cells: row.querySelectorAll('.lane-cell').length,
      })),
    })),
  );
  const KNOWN = ['guest', 'vCPU thread', 'scheduler', 'hardware', 'sender', 'IOMMU', 'IPIv'];
  [A.base, A.patch].forEach((trace, i) => {
    const side = i === 0 ? 'baseline' : 'patched';
    const want = KNOWN.filter((l) => trace.steps.some((s) => s.lane === l));
    const got = layout[i];
    check(`lanes: ${side} has one column per lane, in stable order (${want.join(', ')})`, show(got.lanes) === show(want), show(got.lanes));
    const misplaced = got.rows.filter((r) => r.index > 0 && r.column !== want.indexOf(trace.steps[r.index - 1].lane));
    check(
      `lanes: ${side} has ${trace.steps.length} steps + initial row, each in its actor's lane`,
      got.rows.length === trace.steps.length + 1 && got.rows.every((r, k) => r.index === k && r.cells === want.length) && misplaced.length === 0,
      show(misplaced),
    );
  });
  check('layout: baseline and patched side by side', await tab.evaluate(() => {
    const [a, b] = ['baseline', 'patched'].map((s) => document.querySelector(`.run.${s}`).getBoundingClientRect());
    return Math.abs(a.top - b.top) < 2 && b.left >= a.right;
  }));
  check('verdicts: both badges say VIOLATED', (await tab.locator('.badge').allInnerTexts()).join('|') === 'VIOLATED|VIOLATED');

  // --- violating step
  const violating = await tab.evaluate(() =>
    ['baseline', 'patched'].map((s) => [...document.querySelectorAll(`#${s}-steps .violating`)].map((e) => ({ index: e.getAttribute('data-index'), tag: e.querySelector('.violation-tag')?.textContent, describedBy: e.getAttribute('aria-describedby'), label: e.getAttribute('aria-label') }))),
  );
  check(
    'violation: exactly the last step is marked in each run, described by the explanation',
    violating[0].length === 1 && violating[0][0].index === String(A.base.steps.length) && violating[1].length === 1 && violating[1][0].index === String(A.patch.steps.length) && violating.flat().every((v) => v.tag?.includes('violation') && v.label.endsWith('violation') && v.describedBy?.endsWith('-explanation')),
    show(violating),
  );
  check('selection: opens on the violating step', (await selectedIndex('baseline')) === A.base.steps.length && (await selectedIndex('patched')) === A.patch.steps.length);
  check('state panel: all fields of the violating state, changed ones highlighted', sameSet(await highlighted('baseline'), expectedChanged(A.base, A.base.steps.length)) && (await tab.locator('.run.baseline .state-panel .field').count()) === Object.keys(A.base.states[A.base.steps.length]).length);

  // --- ARIA
  const aria = await tab.evaluate(() => {
    const lb = document.getElementById('baseline-steps');
    return { role: lb.getAttribute('role'), label: lb.getAttribute('aria-label'), tabindex: lb.getAttribute('tabindex'), active: lb.getAttribute('aria-activedescendant'), options: lb.querySelectorAll('[role="option"][aria-selected]').length, live: document.getElementById('announcer')?.getAttribute('aria-live') };
  });
  check('aria: steps are a focusable listbox of options with aria-selected and an activedescendant', aria.role === 'listbox' && !!aria.label && aria.tabindex === '0' && aria.active === `baseline-step-${A.base.steps.length}` && aria.options === A.base.steps.length + 1 && aria.live === 'polite', show(aria));

  // --- keyboard
  await tab.focus('#baseline-steps');
  await tab.keyboard.press('Home');
  check('keys: Home selects the initial state, nothing highlighted', (await selectedIndex('baseline')) === 0 && (await highlighted('baseline')).length === 0 && (await live()).startsWith('initial state'));
  await tab.keyboard.press('ArrowRight');
  const s1 = A.base.steps[0];
  check('keys: ArrowRight -> step 1, live region announces it', (await selectedIndex('baseline')) === 1 && (await live()).startsWith(`step 1 of ${A.base.steps.length}: ${s1.actor}: ${s1.step}`), await live());
  check('keys: state panel highlights step 1 changes', sameSet(await highlighted('baseline'), expectedChanged(A.base, 1)), show(await highlighted('baseline')));
  await tab.keyboard.press('j');
  await tab.keyboard.press('j');
  check('keys: j j -> step 3', (await selectedIndex('baseline')) === 3 && sameSet(await highlighted('baseline'), expectedChanged(A.base, 3)));
  await tab.keyboard.press('k');
  check('keys: k -> step 2, highlights the hostile field name as text', (await selectedIndex('baseline')) === 2 && (await highlighted('baseline')).includes(BAD_FIELD) && (await tab.locator('.run.baseline .field.changed dt').allInnerTexts()).some((t) => t.includes(IMG)));
  await tab.screenshot({ path: join(artifacts, '02-step2-state-panel.png'), fullPage: true });
  await tab.keyboard.press('ArrowLeft');
  await tab.keyboard.press('ArrowDown');
  await tab.keyboard.press('ArrowDown');
  await tab.keyboard.press('ArrowUp');
  await tab.keyboard.press('ArrowDown');
  check('keys: Left, Down, Down, Up, Down -> step 3', (await selectedIndex('baseline')) === 3);
  await tab.keyboard.press('ArrowRight');
  const valueCell = await tab.locator(`.run.baseline .field.changed[data-field="${BAD_VALUE_FIELD}"] .value`).innerText();
  check('keys: step 4 highlights a hostile value, shown as text with the old value', valueCell === STYLE && (await tab.locator(`.run.baseline .field.changed[data-field="${BAD_VALUE_FIELD}"] .was`).innerText()) === 'was none');
  await tab.keyboard.press('End');
  check('keys: End -> violating step', (await selectedIndex('baseline')) === A.base.steps.length && (await live()).startsWith(`step ${A.base.steps.length} of ${A.base.steps.length}: `) && (await live()).endsWith(', violation (baseline)'), await live());
  await tab.keyboard.press('ArrowRight');
  check('keys: ArrowRight at the end stays', (await selectedIndex('baseline')) === A.base.steps.length);
  const changes = (await postedOf('stepChanged')).map((m) => `${m.side}:${m.step}`).join(' ');
  check('messages: stepChanged posted for each move', changes === `baseline:0 baseline:1 baseline:2 baseline:3 baseline:2 baseline:1 baseline:2 baseline:3 baseline:2 baseline:3 baseline:4 baseline:${A.base.steps.length}`, changes);

  // --- Tab between runs
  await tab.keyboard.press('Tab');
  const afterTab = await tab.evaluate(() => ({ focus: document.activeElement?.id, active: document.querySelector('.run.active')?.classList.contains('patched') }));
  check('keys: Tab moves from baseline to patched steps', afterTab.focus === 'patched-steps' && afterTab.active, show(afterTab));
  await tab.keyboard.press('Home');
  await tab.keyboard.press('ArrowRight');
  check('keys: patched steps move independently', (await selectedIndex('patched')) === 1 && (await selectedIndex('baseline')) === A.base.steps.length && sameSet(await highlighted('patched'), expectedChanged(A.patch, 1)));
  await tab.keyboard.press('Shift+Tab');
  check('keys: Shift+Tab goes back to baseline', (await tab.evaluate(() => document.activeElement?.id)) === 'baseline-steps');
  await tab.keyboard.press('Tab');
  await tab.keyboard.press('Tab');
  const escaped = await tab.evaluate(() => document.activeElement?.id ?? document.activeElement?.tagName);
  check('keys: Tab from patched leaves the timeline (no keyboard trap)', escaped !== 'patched-steps' && escaped !== 'baseline-steps', escaped);

  // --- click / Enter -> reveal
  const revealsBefore = (await postedOf('reveal')).length;
  await tab.click('#baseline-step-3 .step-card');
  let reveals = await postedOf('reveal');
  check('click: a step with a patch line posts reveal', reveals.length === revealsBefore + 1 && show(reveals.at(-1)) === show({ type: 'reveal', line: 41 }) && (await selectedIndex('baseline')) === 3, show(reveals));
  await tab.click('#baseline-step-4 .step-card');
  reveals = await postedOf('reveal');
  check('click: a step without a line selects it, posts no reveal', reveals.length === revealsBefore + 1 && (await selectedIndex('baseline')) === 4 && (await live()).includes('no patch line') === false);
  await tab.keyboard.press('ArrowRight');
  await tab.keyboard.press('Enter');
  reveals = await postedOf('reveal');
  check('keys: Enter on a step with a line posts reveal', show(reveals.at(-1)) === show({ type: 'reveal', line: 57 }) && reveals.length === revealsBefore + 2);
  await tab.keyboard.press('ArrowRight');
  await tab.keyboard.press('Enter');
  check('keys: Enter on a step without a line announces it', (await postedOf('reveal')).length === revealsBefore + 2 && (await live()).includes('no patch line'), await live());

  // --- select from the extension
  const changedBefore = (await postedOf('stepChanged')).length;
  await send({ type: 'select', side: 'patched', step: 6 });
  await settle();
  check('messages: select from the extension moves the selection, without echoing stepChanged', (await selectedIndex('patched')) === 6 && (await postedOf('stepChanged')).length === changedBefore && sameSet(await highlighted('patched'), expectedChanged(A.patch, 6)));
  await send({ type: 'select', side: 'patched', step: 999 });
  await settle();
  check('messages: select beyond the end is clamped', (await selectedIndex('patched')) === A.patch.steps.length);
  await send({ type: 'select', side: 'patched', step: 6 });

  // --- export
  await tab.click('button:has-text("Export JSON")');
  await tab.click('button:has-text("Export SVG")');
  const exports = await postedOf('export');
  const json = exports.find((m) => m.format === 'json');
  const svg = exports.find((m) => m.format === 'svg');
  check('export: JSON posted with a safe .json file name', !!json && protocol.isFromWebview(json) && json.filename.endsWith('.json'), json?.filename);
  check('export: JSON is the timeline model', !!json && JSON.stringify(JSON.parse(json.content)) === JSON.stringify(modelA));
  check('export: SVG posted with a safe .svg file name', !!svg && protocol.isFromWebview(svg) && svg.filename.endsWith('.svg'), svg?.filename);
  const svgCheck = await tab.evaluate(
    ({ text, payloads }) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      const root = doc.documentElement;
      const texts = [...doc.getElementsByTagNameNS('http://www.w3.org/2000/svg', 'title'), ...doc.getElementsByTagNameNS('http://www.w3.org/2000/svg', 'text')].map((e) => e.textContent ?? '').join('\n');
      return {
        parsed: doc.getElementsByTagName('parsererror').length === 0 && root.localName === 'svg' && root.namespaceURI === 'http://www.w3.org/2000/svg',
        scripts: doc.getElementsByTagName('script').length + doc.getElementsByTagNameNS('http://www.w3.org/2000/svg', 'script').length,
        foreign: doc.getElementsByTagNameNS('http://www.w3.org/1999/xhtml', '*').length + doc.getElementsByTagName('img').length + doc.getElementsByTagName('style').length,
        handlers: [...doc.getElementsByTagName('*')].flatMap((e) => [...e.attributes].map((a) => a.name)).filter((n) => n.startsWith('on')),
        payloadsAsText: payloads.filter((p) => texts.includes(p)).length,
      };
    },
    { text: svg?.content ?? '', payloads: PAYLOADS },
  );
  check('export: SVG parses as XML with an <svg> root', svgCheck.parsed, show(svgCheck));
  check('export: SVG has no script, foreign elements or event attributes', svgCheck.scripts === 0 && svgCheck.foreign === 0 && svgCheck.handlers.length === 0, show(svgCheck));
  check('export: SVG carries every payload as text, escaped in the markup', svgCheck.payloadsAsText === PAYLOADS.length && !!svg && !svg.content.includes('<script') && !svg.content.includes('<img') && svg.content.includes('&lt;script&gt;window.__pwned=1&lt;/script&gt;'), show(svgCheck));
  writeFileSync(join(artifacts, 'export.svg'), svg?.content ?? '');
  writeFileSync(join(artifacts, 'export.json'), json?.content ?? '');
  check('messages: every posted message passes the extension-side guard', (await posted()).every(protocol.isFromWebview), show((await posted()).filter((m) => !protocol.isFromWebview(m))));

  // --- reload: restore from getState before 'ready'
  const before = { baseline: await selectedIndex('baseline'), patched: await selectedIndex('patched') };
  await tab.reload();
  await tab.waitForFunction(() => window.__posted.length > 0);
  await tab.waitForSelector('.run.patched');
  const restored = await tab.evaluate(() => window.__posted);
  check('reload: ready posted once, after the saved view was rendered', restored.length === 1 && restored[0].message.type === 'ready' && restored[0].rendered > 0, show(restored));
  check('reload: model and selection restored', (await tab.locator('h1').innerText()) === modelA.title && (await selectedIndex('baseline')) === before.baseline && (await selectedIndex('patched')) === before.patched, show(before));
  check('reload: state panel restored with highlights', sameSet(await highlighted('patched'), expectedChanged(A.patch, before.patched)));
  await tab.screenshot({ path: join(artifacts, '03-restored.png'), fullPage: true });
  await send({ type: 'show', model: modelA });
  await settle();
  check('reload: the extension re-sending the same result keeps the selection', (await selectedIndex('baseline')) === before.baseline && (await selectedIndex('patched')) === before.patched);
  await tab.evaluate(() => sessionStorage.setItem('vscode-state', JSON.stringify({ version: -1, model: {}, side: 'baseline', steps: {} })));
  await tab.reload();
  await tab.waitForFunction(() => window.__posted.length > 0);
  check('reload: saved state of another version is dropped', (await tab.locator('.empty').count()) === 1 && (await tab.locator('.run').count()) === 0);

  // --- holds vs violated
  await send({ type: 'show', model: modelB });
  await tab.waitForSelector('.run.patched');
  await settle();
  const b = await tab.evaluate(() => ({
    badges: [...document.querySelectorAll('.badge')].map((e) => e.textContent),
    noTrace: document.querySelector('.run.patched .no-trace')?.textContent,
    patchedSteps: document.querySelectorAll('#patched-steps').length,
    counters: document.querySelectorAll('.run.patched table.counters tr').length,
  }));
  check('verdicts: VIOLATED baseline next to a patched run that holds, with "no counterexample"', show(b.badges) === show(['VIOLATED', 'holds']) && b.noTrace === 'holds: no counterexample' && b.patchedSteps === 0, show(b));
  check('counters: table per run', b.counters === Object.keys(modelB.runs[1].counters ?? {}).length && b.counters > 0, show(b));
  await tab.focus('#baseline-steps');
  await tab.keyboard.press('Tab');
  check('keys: Tab with no patched steps leaves the baseline listbox normally', (await tab.evaluate(() => document.activeElement?.id)) !== 'patched-steps');
  await tab.screenshot({ path: join(artifacts, '04-violated-vs-holds.png'), fullPage: true });

  // --- narrow panel: runs stack
  await tab.setViewportSize({ width: 700, height: 900 });
  await send({ type: 'show', model: modelA });
  await settle();
  check('layout: a narrow panel stacks the runs', await tab.evaluate(() => document.querySelector('.run.patched').getBoundingClientRect().top > document.querySelector('.run.baseline').getBoundingClientRect().bottom - 1));
  await tab.screenshot({ path: join(artifacts, '05-narrow.png') });

  // --- whole-session checks
  const csp = await tab.evaluate(() => window.__csp);
  check('security: no CSP violations', csp.length === 0 && !consoleErrors.some((t) => /Content Security Policy/i.test(t)), show(csp) + show(consoleErrors));
  check('security: no page errors', pageErrors.length === 0, show(pageErrors));
  check('security: no console errors', consoleErrors.length === 0, show(consoleErrors));
  const allowed = new Set(['/', '/index.html', '/dist/webview.js', '/media/timeline.css']);
  const foreign = requests.filter((u) => !u.startsWith(`${origin}/`) || !allowed.has(new URL(u).pathname));
  check('network: the page requested only the served files', foreign.length === 0 && requests.length > 0, show(foreign));
  check('network: the server saw nothing else', hits.every((p) => allowed.has(p) || p === '/favicon.ico'), show(hits));
  const pwned = await tab.evaluate(() => window.__pwned);
  check('injection: window.__pwned still undefined at the end', pwned === undefined);

  // --- the exported SVG, rendered on its own (a second page, after the network check)
  const svgPage = await context.newPage();
  await svgPage.setContent('<!DOCTYPE html><body style="margin:0;background:#fff"></body>');
  await svgPage.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    document.body.appendChild(document.importNode(doc.documentElement, true));
  }, svg?.content ?? '');
  const svgBox = await svgPage.locator('svg').boundingBox();
  check('export: SVG renders', !!svgBox && svgBox.width > 400 && svgBox.height > 200 && (await svgPage.evaluate(() => window.__pwned)) === undefined, show(svgBox));
  await svgPage.setViewportSize({ width: Math.ceil(svgBox?.width ?? 800), height: Math.ceil(svgBox?.height ?? 600) });
  await svgPage.screenshot({ path: join(artifacts, '06-export-svg.png'), fullPage: true });
} catch (e) {
  check('run completed', false, e?.stack ?? String(e));
} finally {
  await browser.close();
  server.close();
  rmSync(work, { recursive: true, force: true });
}

console.log(failures ? `\n${failures} check(s) failed` : '\nall checks passed');
console.log(`screenshots: ${artifacts}`);
process.exitCode = failures ? 1 : 0;
