// UI check of KVM Race Lens in a real VS Code 1.100 workbench (code-server), driven by headless
// Chromium through playwright-core. demo.sh copies this file next to its playwright-core install
// and runs it as `node check-check.mjs ui` with CS_URL, WORKSPACE and SHOTS set, after installing
// the extension from the .vsix that `npm run package` built.
//
// It asserts, in the workbench DOM:
//   - the lens texts on a fixture patch before a review, and after clicking "Review patch";
//   - the error squiggle and the Problems panel entry (message, pi-delivery code, line);
//   - that the timeline webview renders both runs and the counterexample's steps;
//   - that clicking a step reveals and selects its patch line (the editor's Ln indicator);
//   - the TextMate scopes of a trailer (Developer: Inspect Editor Tokens and Scopes);
//   - the activation time the extension logs (its LogOutputChannel).
// Screenshots go to SHOTS. Every check prints `RESULT <name> ok|FAIL ...`; exit status 1 on any failure.
/* global setTimeout, document, performance, location */
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const CS_URL = (process.env.CS_URL || 'http://127.0.0.1:18080').replace(/\/$/, '');
const WORKSPACE = process.env.WORKSPACE;
const SHOTS = process.env.SHOTS || path.resolve('screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PATCH = 'upstream-irq-after-sync.patch';
if (!WORKSPACE) throw new Error('WORKSPACE is not set');
fs.mkdirSync(SHOTS, { recursive: true });

const t0 = Date.now();
const since = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const log = (...a) => console.log(`[e2e ${since()}]`, ...a);
const norm = (s) => s.replace(/\u00a0/g, ' ').replace(/\s+/g, ' ').trim();

let failures = 0;
function result(name, ok, detail = '') {
  if (!ok) failures++;
  console.log(`RESULT ${name} ${ok ? 'ok' : 'FAIL'}${detail ? ` ${detail}` : ''}`);
  return ok;
}

/** Polls `fn` until it returns a truthy value; returns it, or throws after `timeout` ms. */
async function until(what, fn, timeout = 30000) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
    // nothing but loopback resolves: no traffic leaves 127.0.0.1
    '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1, EXCLUDE localhost',
  ],
});
const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
const page = await context.newPage();
const consoleLines = [];
page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
const shot = (name) => page.screenshot({ path: path.join(SHOTS, name) }).catch((e) => log(`screenshot ${name} failed: ${e.message}`));

/** Runs a command from the palette; `label` is (part of) its title as the palette shows it. */
async function palette(label) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 10000 });
  await input.fill(`>${label}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ timeout: 10000 });
  await row.click();
}

const lensLocator = (text) => page.locator('.monaco-editor .codelens-decoration a', { hasText: text });

/**
 * Clicks the lens `text` until `done` resolves. VS Code fetches lenses again whenever it likes
 * (the provider fired, the layout changed), and the extension host forgets the old lenses'
 * commands then: a click that lands on a lens in that moment fails in the workbench ("Actual
 * command not found") and does nothing, as it would for a user, who clicks again. So the check
 * clicks at most `tries` times, says how many it took, and fails if none worked.
 */
async function clickLensUntil(text, done, tries = 3) {
  for (let i = 1; ; i++) {
    await lensLocator(text).first().click();
    try {
      return await done();
    } catch (e) {
      if (i >= tries) throw e;
      log(`lens "${text}": click ${i} did nothing (${e.message}); clicking again`);
    }
  }
}

async function lensTexts() {
  return (await page.locator('.monaco-editor .codelens-decoration a').allInnerTexts()).map(norm).filter(Boolean);
}

let code = 0;
try {
  await page.goto(`${CS_URL}/?folder=${encodeURIComponent(WORKSPACE)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 90000 });
  const item = page.locator('.explorer-folders-view .monaco-list-row', { hasText: PATCH });
  await item.first().waitFor({ timeout: 90000 });
  log('workbench ready');
  await shot('01-workbench.png');

  // ---------------------------------------------------------------- lenses before a review
  await item.first().click();
  await lensLocator('Simulate this hunk').first().waitFor({ timeout: 60000 });
  await until('three lenses', async () => (await lensTexts()).length >= 3, 15000).catch(() => {});
  const before = await lensTexts();
  log('lenses before review:', JSON.stringify(before));
  result('lenses-before-review', JSON.stringify(before) === JSON.stringify(['Review patch (2 hunks)', 'Simulate this hunk', 'Simulate this hunk']), JSON.stringify(before));
  const mode = norm(await page.locator('[id="status.editor.mode"]').innerText().catch(() => ''));
  result('language-mode', mode === 'KVM Patch', JSON.stringify(mode));
  await shot('02-lenses-before-review.png');

  // ---------------------------------------------------------------- review from the lens
  await clickLensUntil('Review patch (2 hunks)', () => lensLocator('introduces pi-delivery').first().waitFor({ timeout: 45000 }));
  const after = await until('the lenses after the review', async () => {
    const t = await lensTexts();
    return t.some((x) => x.startsWith('Review patch (2 hunks) · 1 introduced')) ? t : undefined;
  });
  log('lenses after review:', JSON.stringify(after));
  result(
    'lenses-after-review',
    JSON.stringify(after) === JSON.stringify(['Review patch (2 hunks) · 1 introduced · profile 6.17', 'introduces pi-delivery', 'no finding of its own (see hunk 0)']),
    JSON.stringify(after),
  );
  const squiggles = await until('an error squiggle', async () => (await page.locator('.monaco-editor .squiggly-error').count()) || undefined, 30000).catch(() => 0);
  result('error-squiggle', squiggles > 0, `${squiggles} in the editor`);
  await shot('03-lenses-after-review.png');

  // ---------------------------------------------------------------- Problems panel
  try {
    await palette('Focus on Problems View');
    const row = page.locator('.markers-panel .monaco-list-row', { hasText: 'introduces a violation of pi-delivery' }).first();
    await row.waitFor({ timeout: 20000 });
    const text = norm(await row.innerText());
    log('problems row:', text);
    result('problems-panel', /pi-delivery/.test(text) && /KVM Race Lens/.test(text) && /\[Ln 25, Col 3\]/.test(text), JSON.stringify(text));
  } catch (e) {
    result('problems-panel', false, e.message);
  }
  await shot('04-problems.png');

  // ---------------------------------------------------------------- the timeline
  const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  await clickLensUntil('introduces pi-delivery', () => frame.locator('.run.patched .step-row').first().waitFor({ timeout: 20000 }));
  const patchedRows = await frame.locator('.run.patched .step-row').count();
  const baselineBadge = norm(await frame.locator('.run.baseline .badge').innerText());
  const patchedBadge = norm(await frame.locator('.run.patched .badge').innerText());
  const cards = (await frame.locator('.run.patched .step-card .label').allInnerTexts()).map(norm);
  const violating = await frame.locator('.run.patched .step-row.violating').count();
  const heading = norm(await frame.locator('h1').innerText());
  log('timeline:', JSON.stringify({ heading, patchedRows, baselineBadge, patchedBadge, violating, steps: cards.length }));
  result('timeline-renders', patchedRows === cards.length + 1 && cards.length > 5 && baselineBadge === 'holds' && patchedBadge === 'VIOLATED' && violating === 1, JSON.stringify({ heading, patchedRows, baselineBadge, patchedBadge, violating }));
  result('timeline-steps', cards.includes('local_irq_disable()') && cards.some((c) => /IOMMU posts vector/.test(c)), `${cards.length} steps: ${JSON.stringify(cards.slice(-5))}`);
  await shot('05-timeline.png');

  // ---------------------------------------------------------------- security, read back from the panel
  // The CSP as the rendered webview document carries it, every script nonce'd with that nonce,
  // no inline event handler or javascript: URL anywhere in the DOM, and nothing loaded from
  // outside the webview's own resource origin.
  try {
    const sec = await frame.locator('html').evaluate(() => {
      const meta = document.querySelector('meta[http-equiv="Content-Security-Policy"]');
      const all = [...document.querySelectorAll('*')];
      return {
        csp: meta ? meta.getAttribute('content') : null,
        scripts: [...document.scripts].map((s) => ({ nonce: s.nonce || s.getAttribute('nonce') || '', src: s.src, inline: !s.src, text: (s.textContent || '').slice(0, 4000) })),
        handlers: all.flatMap((el) => [...el.attributes].filter((a) => /^on/i.test(a.name) || /^\s*javascript:/i.test(a.value)).map((a) => `${el.tagName}[${a.name}]`)),
        resources: performance.getEntriesByType('resource').map((e) => e.name),
        origin: location.origin,
      };
    });
    const d = Object.fromEntries((sec.csp ?? '').split(';').map((p) => p.trim().split(/\s+/)).filter((p) => p[0]).map(([k, ...v]) => [k, v]));
    const nonce = /^'nonce-([A-Za-z0-9+/=]+)'$/.exec((d['script-src'] ?? [])[0] ?? '')?.[1];
    // Sources other than the nonce are the webview's own resource origin (its cspSource, which
    // depends on the host), never a wildcard, a bare scheme or an unsafe-* keyword.
    const loose = Object.entries(d).flatMap(([k, vs]) => vs.filter((v) => /unsafe-|^\*$|^(https?|ws|wss|blob):$/.test(v) || (v === 'data:' && k !== 'img-src')).map((v) => `${k} ${v}`));
    const cspOk = d['default-src']?.join(' ') === "'none'" && d['script-src']?.length === 1 && !!nonce && !d['connect-src'] && loose.length === 0;
    result('security-csp-read-back', cspOk, `${JSON.stringify(sec.csp)}${loose.length ? ` loose: ${loose.join(', ')}` : ''}`);
    // Ours: one external module script with the CSP's nonce. VS Code injects its own inline
    // bootstrap (acquireVsCodeApi) into every webview document; any other script fails.
    const ours = sec.scripts.filter((s) => !(s.inline && /acquireVsCodeApi/.test(s.text)));
    const shown = sec.scripts.map(({ text, ...s }) => ({ ...s, text: text.slice(0, 60) }));
    result('security-scripts-nonced', ours.length === 1 && !ours[0].inline && ours[0].nonce === nonce && /\/dist\/webview\.js$/.test(ours[0].src), JSON.stringify(shown));
    result('security-no-inline-handlers', sec.handlers.length === 0, JSON.stringify(sec.handlers.slice(0, 5)));
    const remote = sec.resources.filter((u) => !u.startsWith(sec.origin) && !/vscode-resource|vscode-cdn|^data:/.test(u));
    result('security-no-remote-loads', remote.length === 0, `${sec.resources.length} resources; outside the webview origin: ${JSON.stringify(remote)}`);
  } catch (e) {
    result('security-csp-read-back', false, e.message);
  }

  // ---------------------------------------------------------------- click a step: reveal its line
  const row = frame.locator('.run.patched .step-row.has-line', { hasText: 'local_irq_disable()' }).first();
  const label = (await row.getAttribute('aria-label')) ?? '';
  const line = Number(/patch line (\d+)/.exec(label)?.[1]);
  await row.click();
  // The patch editor's cursor line (its active line number) and the selection on that line.
  // (The webview is not a Monaco editor: the only one in the editor area is the patch's.)
  const editor = page.locator('.part.editor .monaco-editor').first();
  try {
    const active = await until(`the patch editor's cursor on line ${line}`, async () => {
      const t = norm(await editor.locator('.line-numbers.active-line-number').first().innerText());
      return t === String(line) ? t : undefined;
    }, 20000);
    const lineBox = await editor.locator('.line-numbers.active-line-number').first().boundingBox();
    const selected = await editor.locator('.selected-text').evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => ({ y: r.y, h: r.height, w: r.width })));
    const onLine = selected.some((r) => lineBox && Math.abs(r.y - lineBox.y) < lineBox.height && r.w > 20);
    result('reveal-step-line', Number.isInteger(line) && onLine, `step "${label}" -> cursor on line ${active}, selection on that line: ${onLine}`);
  } catch (e) {
    result('reveal-step-line', false, `${label}: ${e.message}`);
  }
  await shot('06-step-revealed.png');

  // ---------------------------------------------------------------- grammar scopes of a trailer
  try {
    // Go to line 9, column 3 (inside `Signed-off-by`), then ask the workbench for the scopes there.
    await editor.locator('.view-lines').click();
    await page.keyboard.press('Control+G');
    const goto = page.locator('.quick-input-widget input');
    await goto.waitFor({ timeout: 10000 });
    await goto.fill(':9:3');
    await page.keyboard.press('Enter');
    await until('the cursor on line 9', async () => norm(await editor.locator('.line-numbers.active-line-number').first().innerText()) === '9', 10000);
    await palette('Developer: Inspect Editor Tokens and Scopes');
    const widget = page.locator('.token-inspect-widget');
    await widget.waitFor({ timeout: 15000 });
    const text = norm(await widget.innerText());
    result('grammar-trailer-scope', text.includes('keyword.other.trailer.kvm-patch') || text.includes('string.unquoted.trailer-value.kvm-patch'), JSON.stringify(text.slice(0, 300)));
    await shot('07-token-scopes.png');
    await page.keyboard.press('Escape');
  } catch (e) {
    result('grammar-trailer-scope', false, e.message);
  }

  // ---------------------------------------------------------------- activation time from the log
  try {
    await palette('KVM Race Lens: Show Log');
    const logLine = page.locator('.view-line', { hasText: 'activated in' }).first();
    await logLine.waitFor({ timeout: 20000 });
    const text = norm(await logLine.innerText());
    const ms = /activated in ([\d.]+) ms/.exec(text)?.[1];
    result('activation-logged', !!ms, `activation ${ms} ms`);
    console.log(`ACTIVATION_MS ${ms}`);
    await shot('08-log.png');
  } catch (e) {
    result('activation-logged', false, e.message);
  }
  // ---------------------------------------------------------------- reload: the serializer restores the panel
  // Through the workbench's own Reload Window, which persists editor and webview state on the way
  // out (a bare page.reload() can beat that flush).
  try {
    const navigated = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout: 60000 });
    await palette('Developer: Reload Window');
    await navigated;
    await page.locator('.monaco-workbench').waitFor({ timeout: 90000 });
    const restored = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    await restored.locator('.run.patched .step-row').first().waitFor({ timeout: 60000 });
    const rows = await restored.locator('.run.patched .step-row').count();
    const selectedRow = norm(await restored.locator('.run.patched .step-row.selected .step-n').innerText().catch(() => ''));
    result('timeline-restored-after-reload', rows === patchedRows, `${rows} rows, selected step ${selectedRow}`);
    await shot('09-timeline-restored.png');
  } catch (e) {
    result('timeline-restored-after-reload', false, e.message);
    await shot('09-timeline-restored-error.png');
  }
  code = failures ? 1 : 0;
} catch (e) {
  console.error(e);
  result('ui-check', false, e.message);
  await shot('error-ui.png');
  code = 2;
} finally {
  fs.writeFileSync(path.join(SHOTS, 'console-e2e.log'), consoleLines.join('\n') + '\n');
  log(failures ? `UI CHECK FAILED (${failures})` : 'UI CHECK PASSED');
  await browser.close();
}
process.exit(code);
