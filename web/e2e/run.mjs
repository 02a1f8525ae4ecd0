#!/usr/bin/env node
// Browser tests: playwright-core drives Debian's chromium (headless) against a running server
// that serves web/dist and the API. Exits 0 when every check passes, 1 when any fails, 77 (ctest
// "skipped") when the real server cannot be started because `attune serve` does not exist yet.
//
//   node e2e/run.mjs --mock                  against e2e/mock-api.mjs (the documented route shapes)
//   node e2e/run.mjs [--attune build/attune] against a real `attune serve` on a simulated clinic
//   options: --screens DIR (screenshots; default e2e/screens), --url URL (a server already running)
//
// Real-server commands can be overridden while the API settles (docs/web.md):
//   ATTUNE_E2E_PREPARE  shell command creating the demo database at $DB  (default below)
//   ATTUNE_E2E_SERVE    shell command serving it on $PORT                 (default below)
//   ATTUNE_E2E_LOGINS   JSON {"client": ["handle", "password"], ...}      (default: demo logins)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import net from 'node:net';
import { chromium } from 'playwright-core';

const web = resolve(new URL('..', import.meta.url).pathname);
const repo = resolve(web, '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const mock = args.includes('--mock');
const attune = resolve(repo, opt('--attune', 'build/attune'));
const screens = resolve(opt('--screens', join(web, 'e2e', 'screens', mock ? 'mock' : 'real')));
const DEMO_PASSWORD = mock ? 'demo-pass-1' : (process.env.ATTUNE_DEMO_PASSWORD ?? 'demo-pass-1');
const logins = process.env.ATTUNE_E2E_LOGINS ? JSON.parse(process.env.ATTUNE_E2E_LOGINS) : {
  client: ['client1', DEMO_PASSWORD], therapist: ['therapist1', DEMO_PASSWORD], coordinator: ['coordinator', DEMO_PASSWORD],
  researcher: ['researcher', DEMO_PASSWORD], admin: ['admin', DEMO_PASSWORD],
};

const failures = [];
const missing = [];
let checks = 0;
function check(ok, what) {
  checks++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
}
// A step that needs a route the server does not have yet: when the page shows the API's
// "no route" problem, it is reported as MISSING (and listed at the end) rather than failed.
async function checkOrMissing(page, ok, what) {
  if (ok) return check(true, what);
  const text = await page.locator('.error-box').allTextContents().then((t) => t.join(' '), () => '');
  const m = text.match(/no route (\w+ \S+)/);
  if (m) { checks++; missing.push(`${what} (${m[1]})`); console.log(`MISS ${what}: the API has no route ${m[1]}`); return; }
  check(false, what);
}

async function freePort() {
  return new Promise((ok) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => ok(p)); }); });
}
async function waitFor(url, ms = 30000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try { const r = await fetch(url); if (r.status < 500) return true; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function startServer() {
  if (opt('--url')) return { base: opt('--url'), stop: () => {} };
  if (!existsSync(join(web, 'dist', 'index.html'))) {
    console.error('web/dist/index.html missing: run `npm run build` first');
    process.exit(1);
  }
  if (mock) {
    const { startMock } = await import('./mock-api.mjs');
    const s = await startMock(0);
    return { base: `http://127.0.0.1:${s.address().port}`, stop: () => s.close() };
  }
  const help = spawnSync(attune, ['serve', '--help'], { encoding: 'utf8' });
  if (help.status !== 0) {
    console.log(`SKIP: ${attune} has no working 'serve' command yet (${(help.stderr || help.error || '').toString().split('\n')[0]})`);
    process.exit(77);
  }
  const dir = mkdtempSync(join(tmpdir(), 'attune-web-e2e-'));
  const port = await freePort();
  const env = { ...process.env, DB: join(dir, 'demo.db'), PORT: String(port), ATTUNE: attune, WEB_DIST: join(web, 'dist') };
  const prepare = process.env.ATTUNE_E2E_PREPARE ?? `bash "${join(web, 'e2e', 'prepare-demo.sh')}"`;
  const serve = process.env.ATTUNE_E2E_SERVE ?? '"$ATTUNE" serve --db "$DB" --port "$PORT" --static "$WEB_DIST" --threads 4';
  env.ATTUNE_DEMO_PASSWORD = DEMO_PASSWORD;
  const t0 = Date.now();
  const prep = spawnSync('bash', ['-c', prepare], { env, encoding: 'utf8', cwd: repo });
  if (prep.status !== 0) { console.error(`prepare failed: ${prepare}\n${prep.stdout}\n${prep.stderr}`); process.exit(1); }
  console.log(`${prep.stdout.trim()}\ndemo clinic prepared in ${Date.now() - t0} ms`);
  const ids = prep.stdout.match(/DEMO_IDS therapist=(\d+) client=(\d+)/);
  const child = spawn('bash', ['-c', `exec ${serve}`], { env, cwd: repo, stdio: ['ignore', 'inherit', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  if (!(await waitFor(`${base}/healthz`))) { child.kill(); console.error('attune serve did not come up in 30 s'); process.exit(1); }
  if (ids) {
    await ensureActiveEpisode(base, Number(ids[2]), Number(ids[1]));
    await plantRupture(base, Number(ids[2]));
    await recordSession(base, Number(ids[2]));
  }
  return { base, stop: () => { child.kill('SIGTERM'); rmSync(dir, { recursive: true, force: true }); } };
}

// The headers of a signed-in `role` (a handle of `logins`) for the API set-up below.
async function authOf(base, role) {
  const [handle, password] = logins[role];
  const login = await (await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ handle, password }) })).json();
  return { Authorization: `Bearer ${login.token}`, 'Content-Type': 'application/json' };
}

// The client's active episode as the coordinator (`auth`) lists it, if any.
async function activeEpisodeOf(base, auth, client) {
  const { episodes = [] } = await (await fetch(`${base}/api/v1/episodes`, { headers: auth })).json();
  return episodes.find((e) => e.client_id === client && e.status === 'active');
}

// The client's questionnaires belong to an open course of therapy (risk alerts are raised per
// episode). When the simulated clinic has none open for client1, the coordinator opens one
// through the API (POST /episodes), as a clinic would.
async function ensureActiveEpisode(base, client, therapist) {
  const auth = await authOf(base, 'coordinator');
  if (await activeEpisodeOf(base, auth, client)) return;
  const r = await fetch(`${base}/api/v1/episodes`, { method: 'POST', headers: auth,
    // begun ten days ago: the planted alliance forms below are answered within it (a form of an
    // episode answered before it began is refused)
    body: JSON.stringify({ client_id: client, therapist_id: therapist, started_on: new Date(Date.now() - 10 * 86400000).toISOString().slice(0, 10), status: 'active', assigned_by: 'coordinator' }) });
  console.log(`opened an episode for client ${client} with therapist ${therapist}: HTTP ${r.status}`);
}

// A session held an hour ago in the client's open episode, so that the alliance questionnaire
// about it is due (the client answers WAI-SR from the due list, which names the episode).
async function recordSession(base, client) {
  const auth = await authOf(base, 'coordinator');
  const episode = await activeEpisodeOf(base, auth, client);
  if (!episode) return;
  const { sessions = [] } = await (await fetch(`${base}/api/v1/episodes/${episode.id}/sessions`, { headers: auth })).json();
  const number = sessions.reduce((m, s) => Math.max(m, s.number), 0) + 1;
  const r = await fetch(`${base}/api/v1/episodes/${episode.id}/sessions`, { method: 'POST', headers: auth,
    body: JSON.stringify({ number, held_at: new Date(Date.now() - 3600000).toISOString() }) });
  console.log(`recorded session ${number} of episode ${episode.id}: HTTP ${r.status}`);
}

// Plants an alliance rupture the way a real one reaches Attune: client1 rates the alliance high
// (WAI-SR, all items 5) in three sessions of the open episode, then low (all items 2) in the
// fourth, each through POST /responses; the server's monitor must raise the rupture alert.
async function plantRupture(base, client) {
  const auth = await authOf(base, 'coordinator');
  const episode = await activeEpisodeOf(base, auth, client);
  if (!episode) { console.log(`no active episode for client ${client}: no rupture planted`); return; }
  const clientAuth = await authOf(base, 'client');
  const day = (n) => new Date(Date.now() - (10 - n) * 86400000).toISOString();
  for (const [n, value] of [[1, 5], [2, 5], [3, 5], [4, 2]]) {
    const r = await fetch(`${base}/api/v1/responses`, { method: 'POST',
      headers: { ...clientAuth, 'Idempotency-Key': `e2e-rupture-${client}-${n}` },
      body: JSON.stringify({ instrument_id: 'wai_sr', subject_id: client, episode_id: episode.id, answered_at: day(n),
        answers: Array(12).fill(value) }) });
    const body = await r.json();
    const kinds = (body.alerts ?? []).map((a) => a.kind).join(',');
    console.log(`planted WAI-SR ${n} (all ${value}): HTTP ${r.status}${kinds ? `; alerts: ${kinds}` : ''}`);
  }
}

const { base, stop } = await startServer();
mkdirSync(screens, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), 'attune-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  viewport: { width: 1200, height: 900 },
});
const consoleErrors = [];

async function shot(page, name) {
  await page.screenshot({ path: join(screens, `${name}.png`), fullPage: true });
}

async function signIn(role, viewport) {
  await context.clearCookies(); // one browser profile for all roles: start each without a session
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  page.on('pageerror', (e) => consoleErrors.push(`${role}: ${e.message}`));
  await page.goto(`${base}/#/`);
  const [handle, password] = logins[role];
  await page.getByLabel('User name').fill(handle);
  if (role === 'researcher') {
    // a refused sign-in: the message, with focus still on Sign in (it was disabled while busy and dropped focus)
    await page.getByLabel('Password').fill(`${password}-wrong`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor({ timeout: 10000 }).catch(() => {});
    check(await page.getByRole('button', { name: 'Sign in' }).evaluate((el) => el === document.activeElement),
      'researcher: after a refused sign-in, focus stays on Sign in');
  }
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const ok = await page.getByRole('heading', { level: 1, name: /Welcome/ }).waitFor({ timeout: 10000 }).then(() => true, () => false);
  check(ok, `${role}: signs in as ${handle}`);
  const who = ok ? await page.getByTestId('who').textContent() : '';
  check(who.includes(role), `${role}: header names the role (${who})`);
  await shot(page, `${role}-home`);
  return page;
}

async function answerAll(page, instrumentId, choose) {
  const groups = page.getByRole('radiogroup');
  const n = await groups.count();
  for (let i = 0; i < n; i++) {
    const radios = groups.nth(i).getByRole('radio');
    const k = choose(i, await radios.count());
    if (k !== null) await radios.nth(k).check();
  }
  return n;
}

/** True when `locator` appears; false as soon as an error box appears instead (or on timeout). */
async function appears(page, locator, timeout = 15000, state = 'visible') {
  return Promise.race([
    locator.first().waitFor({ timeout, state }).then(() => true, () => false),
    page.locator('.error-box').first().waitFor({ timeout }).then(() => false, () => false),
  ]);
}

// Requests to the API as `role` from `page`, signed in afresh (Bearer): each [method, path, body?,
// headers?] in turn, answered as {status, body}.
async function apiAs(page, role, requests) {
  return page.evaluate(async ([[handle, password], requests]) => {
    const signIn = await fetch('/api/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ handle, password }) });
    const { token } = await signIn.json();
    const out = [];
    for (const [method, path, body, headers = {}] of requests) {
      const r = await fetch(`/api/v1${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body),
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers } });
      const text = await r.text();
      out.push({ status: r.status, body: text ? JSON.parse(text) : null });
    }
    return out;
  }, [logins[role], requests]);
}

async function step(name, fn) {
  try { await fn(); } catch (e) { check(false, `${name}: ${e.message.split('\n')[0]}`); }
}

const t0 = Date.now();
let client1Id = 1;
try {
  // ---- client: intake, fit, PHQ-9 (with validation and keyboard), WAI-SR, progress; no other client's page
  await step('client', async () => {
    const page = await signIn('client', { width: 390, height: 844 }); // a phone
    await page.goto(`${base}/#/intake`);
    await page.getByRole('heading', { level: 1, name: 'About you' }).waitFor();
    const depression = page.getByRole('checkbox', { name: 'depression' });
    if (!(await depression.isChecked())) await depression.check();
    await page.getByLabel(/What would you like to be different/).fill('sleep through the night\nsee friends again');
    await page.getByRole('button', { name: 'Save' }).click();
    await checkOrMissing(page, await appears(page, page.getByText(/^Saved\./)), 'client: intake saved');
    await shot(page, 'client-intake');

    await page.goto(`${base}/#/therapists`);
    const recs = page.getByTestId('recommendation');
    await recs.first().waitFor({ timeout: 15000 });
    const text = await recs.first().textContent();
    check((await recs.count()) >= 1 && /fit/.test(text) && /How sure:/.test(text) && /(sure|guess|too uncertain)/.test(text), 'client: therapists who fit, with reasons and uncertainty in words');
    // client1 is in therapy: the page says with whom and offers no choice (the server would
    // refuse it with 409); a client without a therapist gets a Choose button on each suggestion.
    const current = page.getByTestId('current-choice');
    if (await appears(page, current, 5000)) {
      check(/You are seeing|You chose/.test(await current.textContent()) && (await recs.first().getByRole('button', { name: /^Choose / }).count()) === 0,
        'client: in therapy or with a pending choice, the page says so and offers no second choice');
    } else {
      await checkOrMissing(page, await appears(page, recs.first().getByRole('button', { name: /^Choose / })), 'client: may choose a suggested therapist where the clinic allows it');
    }
    await shot(page, 'client-therapists');

    await page.goto(`${base}/#/questionnaires`);
    const due = await appears(page, page.getByTestId('due'));
    await checkOrMissing(page, due && /before session \d+/.test(await page.getByTestId('due').textContent()),
      'client: questionnaires due for the next session listed, with the reason');
    await shot(page, 'client-questionnaires-due');
    await page.getByRole('link', { name: /Patient Health Questionnaire-9/ }).click();
    await page.getByRole('radiogroup').first().waitFor();
    await page.getByRole('button', { name: 'Submit answers' }).click();
    const summary = page.getByRole('alert');
    const msg = await summary.textContent();
    check(/9 questions need attention/.test(msg) && /Question 1 \(“Little interest or pleasure in doing things”\) needs an answer\./.test(msg),
      'client: empty PHQ-9 refused with messages naming the items');
    check(await summary.evaluate((el) => el === document.activeElement), 'client: the error summary takes focus');
    await shot(page, 'client-phq9-errors');
    // keyboard: from the summary's first link to item 1, Space selects, arrows move, Tab goes on
    await summary.getByRole('link').first().click();
    await page.keyboard.press('Space');
    await page.keyboard.press('ArrowRight');
    const first = page.getByRole('radiogroup').first().getByRole('radio');
    check(await first.nth(1).isChecked(), 'client: keyboard selects within an item (Space, ArrowRight)');
    await answerAll(page, 'phq9', (i) => (i === 0 ? null : i === 8 ? 1 : i === 9 ? 2 : 2)); // item 9 endorsed: a risk alert
    check(await page.getByText(/Your therapist will see this/).isVisible(), 'client: risk item shows the supportive note');
    await page.getByRole('button', { name: 'Submit answers' }).click();
    check(await page.getByTestId('submitted').waitFor({ timeout: 10000 }).then(() => true, () => false), 'client: PHQ-9 saved');
    check(await page.getByTestId('submitted').evaluate((el) => el === document.activeElement), 'client: focus moves to the saved confirmation');
    await shot(page, 'client-phq9-done');

    await page.goto(`${base}/#/questionnaires`);
    await page.getByRole('link', { name: /Working Alliance Inventory/ }).click();
    await page.getByRole('radiogroup').first().waitFor();
    await answerAll(page, 'wai_sr', (_i, n) => n - 2);
    await page.getByRole('button', { name: 'Submit answers' }).click();
    check(await page.getByTestId('submitted').waitFor({ timeout: 10000 }).then(() => true, () => false), 'client: WAI-SR saved');

    // an unknown questionnaire: a plain sentence, not the server's list of instrument ids
    await page.goto(`${base}/#/questionnaires/no_such_form`);
    check(await appears(page, page.getByText('This questionnaire is not available.')) &&
      !/phq9|wai_srt/.test(await page.locator('main').textContent()), 'client: an unknown questionnaire is "not available", without internal ids');
    // alliance forms need the episode the due list names: not among the others
    await page.goto(`${base}/#/questionnaires`);
    await appears(page, page.getByTestId('due'));
    const others = page.getByTestId('others');
    check((await others.count()) === 0 || !/Working Alliance/.test(await others.textContent()), 'client: no alliance questionnaire among the other questionnaires');

    await page.goto(`${base}/#/progress`);
    await page.getByRole('heading', { level: 1, name: 'My progress' }).waitFor();
    check(await page.locator('figure.plot svg').first().waitFor({ timeout: 10000 }).then(() => true, () => false), 'client: progress chart drawn');
    await shot(page, 'client-progress');

    // another client's record: the app refuses, and so does the server
    await page.goto(`${base}/#/clients/2`);
    check(await page.getByRole('heading', { level: 1, name: 'Not available' }).isVisible(), 'client: cannot open another client\'s page');
    await shot(page, 'client-other-refused');
    const [h, pw] = logins.client;
    const status = await page.evaluate(async ([handle, password]) => {
      const j = (r) => r.json();
      const login = await j(await fetch('/api/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ handle, password }) }));
      const auth = { Authorization: `Bearer ${login.token}` };
      const me = login.user ?? await j(await fetch('/api/v1/auth/me', { headers: auth }));
      const other = me.client_id === 1 ? 2 : 1;
      return { status: (await fetch(`/api/v1/clients/${other}`, { headers: auth })).status, me: me.client_id };
    }, [h, pw]).then((r) => { client1Id = r.me; return r.status; });
    check(status === 403 || status === 404, `client: the API refuses another client's record (HTTP ${status})`);
    await page.close();
  });

  // ---- therapist: caseload, the risk alert and the planted rupture, acknowledge/resolve, trajectories
  await step('therapist', async () => {
    const page = await signIn('therapist');
    await page.goto(`${base}/#/caseload`);
    await page.getByTestId('caseload').waitFor({ timeout: 15000 });
    check((await page.getByTestId('caseload').locator('tbody tr').count()) >= 1, 'therapist: caseload lists clients');
    // the Outcome column (the fourth cell after the row's header) dates each score it shows
    const scores = (await page.getByTestId('caseload').locator('tbody tr td:nth-of-type(4)').allTextContents()).filter((t) => t !== '—');
    check(scores.length > 0 && scores.every((t) => /^\S+ [\d.]+( \([^)]*\))?, .*\d{4}/.test(t)), 'therapist: each caseload outcome score is dated');
    // the alliance too: an old WAI-SR total is not taken for a recent one
    const alliances = (await page.getByTestId('caseload').locator('tbody tr td:nth-of-type(3)').allTextContents()).filter((t) => t !== '—');
    check(alliances.length > 0 && alliances.every((t) => /^[\d.]+, .*\d{4}/.test(t)), 'therapist: each caseload alliance score is dated');
    if (mock) {
      // client D (id 4) chose therapist1 and waits for the clinic: listed apart, not as ended, by
      // the episode alone (the server gives nothing of the client until the clinic confirms)
      const chose = page.getByTestId('caseload-chose');
      const endedList = page.getByTestId('caseload-ended');
      const endedText = (await endedList.count()) ? await endedList.textContent() : '';
      check(await appears(page, chose) && /Client 4/.test(await chose.textContent()) && !/Client 4/.test(endedText ?? '')
        && (await chose.getByRole('link').count()) === 0,
        'therapist: a client who chose them is listed as waiting for the clinic, not as ended');
      // no access to a client through a waiting choice: the client's row is 403 and not listed
      const [own, list, waiting] = await apiAs(page, 'therapist', [['GET', '/clients/1'], ['GET', '/clients'], ['GET', '/clients/4']]);
      check(own.status === 200 && waiting.status === 403 && !list.body.clients.some((c) => c.id === 4),
        `therapist: the API refuses a client whose choice of them waits for the clinic (HTTP ${waiting.status})`);
    }
    await shot(page, 'therapist-caseload');
    // a client's questionnaire opened without the client: said plainly, and no form to submit
    await page.goto(`${base}/#/questionnaires/phq9`);
    check(await appears(page, page.getByText(/Open this questionnaire from a client's page/)) &&
      (await page.getByRole('button', { name: 'Submit answers' }).count()) === 0, 'therapist: a questionnaire without ?client= asks to be opened from a client\'s page');
    await page.goto(`${base}/#/caseload`);
    await page.getByTestId('caseload').waitFor({ timeout: 15000 });
    // on a phone (375 px) each table's caption wraps within the screen, not clipped in the table's scroll box
    await page.setViewportSize({ width: 375, height: 812 });
    const captions = await page.locator('table.data caption').evaluateAll((els) => els.map((el) => {
      const r = el.getBoundingClientRect();
      return r.left >= 0 && r.right <= document.documentElement.clientWidth;
    }));
    check(captions.length > 0 && captions.every(Boolean), `therapist: at 375 px the caseload's ${captions.length} table captions fit the screen`);
    await shot(page, 'therapist-caseload-375');
    await page.setViewportSize({ width: 1200, height: 900 });

    await page.goto(`${base}/#/alerts`);
    await page.getByRole('heading', { level: 2, name: /^Open/ }).waitFor({ timeout: 15000 });
    const risk = page.getByTestId('alert').filter({ has: page.locator('[data-testid=alert-state]', { hasText: 'open' }) }).and(page.locator('[data-kind=risk_item]'));
    check(await risk.count() >= 1, 'therapist: the client\'s PHQ-9 item 9 raised a risk alert');
    const rupture = page.locator('[data-testid=alert][data-kind=rupture]');
    check(await rupture.count() >= 1, 'therapist: the planted rupture\'s alert appears');
    await shot(page, 'therapist-alerts');
    // acknowledge the rupture (or, where the server raised none, the risk alert) with a note
    const kind = (await rupture.count()) ? 'rupture' : 'risk_item';
    const target = page.locator(`[data-testid=alert][data-kind=${kind}]`).first();
    // every note box is named by its alert (kind, date, client) and described by its detail
    const noteNames = await page.getByTestId('alert').getByRole('textbox').evaluateAll((els) => els.map((el) => el.labels[0].textContent));
    check(noteNames.length > 0 && noteNames.every((n) => /^Note: .* about the .+ alert (on the .+ scale )?raised /.test(n)),
      'therapist: each alert\'s note box is named by its alert');
    // the rupture alerts one set of answers raised (one per scale that fell) are told apart by their scale:
    // no two rupture alerts' note boxes or buttons share a name
    const ruptureNames = await rupture.evaluateAll((rows) => rows.flatMap((row) =>
      [...row.querySelectorAll('textarea, button')].map((el) => (el.labels?.[0] ?? el).textContent.trim())));
    check(ruptureNames.length > 0 && new Set(ruptureNames).size === ruptureNames.length &&
      ruptureNames.every((n) => / alert on the .+ scale raised /.test(n)),
      'therapist: each rupture alert\'s note box and buttons are named by its scale, unlike its siblings\'');
    await target.getByRole('textbox').fill('Discussed the bond in session; agreed to revisit goals.');
    const siblingLabel = target.locator('label.option', { has: page.getByTestId('alert-siblings') });
    const siblings = (await siblingLabel.count()) ? Number((await siblingLabel.textContent()).match(/the (\d+) other/)?.[1] ?? 0) : 0;
    await target.getByRole('button', { name: 'Acknowledge' }).click();
    check(await page.locator(`[data-testid=alert][data-kind=${kind}] [data-testid=alert-state]`, { hasText: 'acknowledged' }).first()
      .waitFor({ timeout: 10000 }).then(() => true, () => false), `therapist: ${kind} alert acknowledged with a note`);
    // the heading counts the acknowledged apart from the open (the list holds both)
    const counts = page.getByRole('heading', { level: 2, name: /^Open \(\d+\) and acknowledged \([1-9]\d*\)$/ });
    const acknowledged = await appears(page, counts) ? Number((await counts.textContent()).match(/acknowledged \((\d+)\)/)[1]) : 0;
    check(acknowledged >= siblings + 1, 'therapist: the Alerts heading counts open and acknowledged alerts apart');
    check(await page.getByTestId('alert-done').evaluate((el) => el === document.activeElement && /^Acknowledged the /.test(el.textContent)),
      'therapist: focus moves to the status saying the alert was acknowledged');
    if (kind === 'rupture') {
      // the planted rupture fell on more than one scale: one note acknowledges its alerts together
      const ackedRuptures = page.locator('[data-testid=alert][data-kind=rupture] [data-testid=alert-state]', { hasText: 'acknowledged' });
      check(siblings > 0 && await ackedRuptures.nth(siblings).waitFor({ timeout: 10000 }).then(() => true, () => false),
        `therapist: the ${siblings} other rupture alert(s) raised by the same answers acknowledged with it`);
    }
    // then resolve it: refused without a note, done with one
    const acked = page.locator(`[data-testid=alert][data-kind=${kind}]`).filter({ has: page.locator('[data-testid=alert-state]', { hasText: 'acknowledged' }) }).first();
    await acked.getByRole('button', { name: 'Resolve' }).click();
    check(await acked.getByText('Write a note saying how this alert was resolved.').isVisible(), 'therapist: resolving without a note is refused with a message');
    check(await acked.getByRole('textbox').evaluate((el) => el === document.activeElement && el.getAttribute('aria-invalid') === 'true'),
      'therapist: focus moves to the note that is needed');
    await acked.getByRole('textbox').fill('Bond repaired: WAI-SR bond back to its usual range.');
    await acked.getByRole('button', { name: 'Resolve' }).click();
    await checkOrMissing(page, await appears(page, page.locator(`[data-testid=alert][data-kind=${kind}] [data-testid=alert-state]`, { hasText: 'resolved' }), 15000, 'attached'),
      `therapist: ${kind} alert resolved with a note`);
    await shot(page, 'therapist-alert-resolved');

    await page.goto(`${base}/#/caseload`);
    await page.getByTestId('caseload').locator('tbody tr a').first().click();
    check(await page.getByRole('heading', { level: 2, name: /^Alliance by goal/ }).waitFor({ timeout: 15000 }).then(() => true, () => false), 'therapist: a caseload row opens the client\'s page');
    await page.goto(`${base}/#/clients/${client1Id}`); // the client who just answered
    check(await page.getByTestId('alliance-plot').locator('svg').first().waitFor({ timeout: 15000 }).then(() => true, () => false), 'therapist: alliance by goal/task/bond drawn');
    check(await page.getByTestId('outcome-plot').locator('svg').first().isVisible(), 'therapist: outcome trajectory drawn');
    check(/band of expected response/.test(await page.getByTestId('outcome-plot').locator('figcaption').textContent()),
      'therapist: outcome chart shows the expected-response band');
    await shot(page, 'therapist-client');
    await step('therapist: record a session', async () => {
      const form = page.getByRole('form', { name: 'Record a session' });
      const number = await form.getByLabel('Session number').inputValue();
      await form.getByRole('button', { name: 'Record session' }).click();
      const status = page.getByRole('status').filter({ hasText: /^Recorded session / });
      check(await appears(page, status) && new RegExp(`^Recorded session ${number}, held `).test(await status.textContent())
        && await appears(page, page.getByTestId('sessions').locator('tbody tr', { hasText: new RegExp(`^${number}`) }).first()),
        `therapist: records session ${number} on the client's page, said in a status and listed`);
    });

    await page.goto(`${base}/#/profile`);
    await page.getByRole('heading', { level: 2, name: 'Mindfulness training log' }).waitFor({ timeout: 15000 });
    // 1e3 is a number to the browser, but not minutes written as digits: refused, focus on the field
    await page.getByLabel('Minutes').fill('1e3');
    await page.getByRole('button', { name: 'Log practice' }).click();
    check(await page.getByText(/whole number from 1 to 1440, in digits/).isVisible()
      && await page.getByLabel('Minutes').evaluate((el) => el === document.activeElement && el.getAttribute('aria-invalid') === 'true'),
      'therapist: minutes "1e3" refused, with focus on the field');
    await page.getByLabel('Minutes').fill('25');
    await page.getByRole('button', { name: 'Log practice' }).click();
    await checkOrMissing(page, await appears(page, page.getByText(/^Logged 25 minutes/)), 'therapist: mindfulness practice logged');
    check(await page.getByTestId('training-log').locator('tbody tr').first().waitFor({ timeout: 10000 }).then(() => true, () => false),
      'therapist: training log lists the practice');
    check(await page.getByLabel('Minutes').inputValue() === '' && await page.getByLabel('Date (YYYY-MM-DD)').inputValue() === '',
      'therapist: the log form is emptied after logging, so a second press logs no duplicate');
    check(await page.getByRole('group', { name: 'What clients may see of your profile' }).isVisible(), 'therapist: profile visibility choices shown');
    const facets = page.getByTestId('mindfulness');
    if (await appears(page, facets.locator('svg'), 5000)) {
      check(!/\u26a0/.test(await facets.textContent()), 'therapist: the facet chart carries no bare warning glyph');
    }
    // Saving as it is (PATCH /therapists/{id} with the current choice) changes nothing for later steps.
    await page.getByRole('button', { name: 'Save visibility' }).click();
    await checkOrMissing(page, await appears(page, page.getByText('Saved.', { exact: true })), 'therapist: profile visibility saved');
    await shot(page, 'therapist-profile');
    await page.goto(`${base}/#/outcomes`);
    const mine = await appears(page, page.getByTestId('outcomes'));
    await checkOrMissing(page, mine && (await page.getByTestId('outcomes').locator('tbody tr').count()) === 2,
      'therapist: own outcome rates beside the organisation\'s');
    await page.close();
  });

  // ---- coordinator: waitlist, plan vs as usual, commit
  await step('coordinator', async () => {
    const page = await signIn('coordinator');
    await page.goto(`${base}/#/waitlist`);
    await page.getByRole('heading', { level: 1, name: 'Waitlist' }).waitFor();
    const show = page.getByRole('button', { name: 'Show recommendations' }).first();
    if (await appears(page, show)) {
      // one such button per waiting client, each named by its client
      const names = await page.getByRole('button', { name: 'Show recommendations' }).evaluateAll((els) => els.map((el) => el.textContent.trim()));
      check(names.every((n) => /^Show recommendations for \S/.test(n)) && new Set(names).size === names.length,
        'coordinator: each "Show recommendations" button is named by its client');
      await show.click();
      const ranked = page.getByRole('heading', { level: 3, name: /^Recommended therapists for / }).first();
      check(await appears(page, ranked) && await ranked.evaluate((el) => el === document.activeElement),
        'coordinator: "Show recommendations" moves focus to the ranking');
    }
    // a client's own choice of therapist: the coordinator confirms it (the mock seeds two choices;
    // the demo clinic has none unless a client chose)
    const choice = page.getByTestId('choice').filter({ hasText: mock ? 'Client E' : /./ }).first();
    if (await appears(page, choice, mock ? 15000 : 3000)) {
      await choice.getByRole('button', { name: /^Confirm choice of / }).click();
      const confirmed = choice.getByRole('status');
      check(await appears(page, confirmed) && /^Confirmed: .* is in therapy with .* from (?!\d{4}-\d{2}-\d{2})[^.]*\d{4}\.$/.test(await confirmed.textContent()),
        'coordinator: a client\'s choice of therapist is confirmed (the date written as the app writes dates)');
    } else if (mock) {
      check(false, 'coordinator: a client\'s choice of therapist is listed with Confirm and Decline');
    }
    await shot(page, 'coordinator-waitlist');
    if (mock) {
      // a response naming a choice the clinic has not confirmed (client D's, episode 3), or one it
      // declined, is refused with 409 naming episode_id, whoever answers
      const answer = (key) => ['POST', '/responses', { instrument_id: 'phq9', subject_id: 4, episode_id: 3,
        answered_at: '2026-11-27', answers: Array(10).fill(0) }, { 'Idempotency-Key': key }];
      const [waiting, declined, onDeclined] = await apiAs(page, 'coordinator',
        [answer('e2e-on-waiting'), ['POST', '/episodes/3/decline', { note: 'the client asked to wait' }], answer('e2e-on-declined')]);
      check(waiting.status === 409 && waiting.body.field === 'episode_id',
        `coordinator: the API refuses a response naming a waiting episode (HTTP ${waiting.status}, field ${waiting.body?.field})`);
      check(declined.status === 200 && onDeclined.status === 409 && onDeclined.body.field === 'episode_id',
        `coordinator: the API refuses a response naming a declined episode (HTTP ${onDeclined.status}, field ${onDeclined.body?.field})`);
    }
    await page.goto(`${base}/#/assign`);
    await page.getByRole('button', { name: 'Preview a plan' }).click();
    const planned = await appears(page, page.getByTestId('plan'), 60000);
    await shot(page, 'coordinator-plan');
    await checkOrMissing(page, planned, 'coordinator: batch plan previewed');
    if (planned) {
      check(/with the plan, .* as usual/.test(await page.getByTestId('plan-summary').textContent()), 'coordinator: plan compared with assignment as usual');
      await page.getByRole('button', { name: /^Commit \d+ assignments?$/ }).click();
      const committed = await appears(page, page.getByTestId('committed'), 30000);
      await checkOrMissing(page, committed, 'coordinator: plan committed');
      // the plan and its Commit button are gone: focus is on the status saying what was committed
      if (committed) check(await page.getByTestId('committed').evaluate((el) => el === document.activeElement),
        'coordinator: focus moves to the status saying the plan was committed');
    }
    await page.goto(`${base}/#/capacity`);
    await page.locator('figure.plot svg').first().waitFor({ timeout: 10000 });
    await shot(page, 'coordinator-capacity');
    // the end of therapy, for a client other than the one the later steps follow
    await page.goto(`${base}/#/in-therapy`);
    await page.getByRole('heading', { level: 1, name: 'In therapy' }).waitFor();
    const inTherapy = page.locator(`[data-testid=episode]:not([data-client-id="${client1Id}"])`);
    if (await appears(page, inTherapy.last())) {
      const row = inTherapy.last();
      await row.getByRole('button', { name: /^End therapy… for / }).click();
      // the button goes as the form opens: focus is on the last day's field, not the page
      check(await row.getByLabel(/Last day of therapy/).evaluate((el) => el === document.activeElement),
        'coordinator: "End therapy…" moves focus to the last day\'s field');
      await row.getByLabel(/Why it ended/).fill('Goals met; agreed to end.');
      await row.getByRole('button', { name: 'End therapy' }).click();
      const ended = row.getByRole('status');
      check(await appears(page, ended) && /^Ended: .* ended on (?!\d{4}-\d{2}-\d{2})[^.]*\d{4}\.$/.test(await ended.textContent()),
        'coordinator: therapy ended with its last day and a note');
    } else {
      check(false, 'coordinator: the clients in therapy are listed, each with "End therapy"');
    }
    await shot(page, 'coordinator-in-therapy');
    await page.goto(`${base}/#/outcomes`);
    const outcomes = await appears(page, page.getByTestId('outcomes'));
    await checkOrMissing(page, outcomes && (await page.getByTestId('outcomes').locator('tbody tr').count()) >= 2
      && /%\s*\(\d+–\d+%\)/.test(await page.getByTestId('outcomes').textContent()),
      'coordinator: outcome rates for the organisation and each therapist, with intervals');
    if (outcomes && mock) check(/adjusted 0% \(clamped from −1\.4%\)/.test(await page.getByTestId('outcomes').textContent()),
      'coordinator: a clamped adjusted rate shows the value before the clamp');
    await shot(page, 'coordinator-outcomes');
    // Alert thresholds: a refusal in the server's words, a change, and back to the default.
    await page.goto(`${base}/#/alert-settings`);
    const settings = await appears(page, page.getByTestId('alert-settings'));
    await checkOrMissing(page, settings, 'coordinator: alert settings shown');
    if (settings) check(await page.getByRole('table', { name: /^Monitoring thresholds/ }).isVisible(), 'coordinator: the thresholds table is named by its caption');
    if (settings) {
      const z = page.getByLabel('Drop needed on the total (z)');
      await z.fill('9');
      await page.getByRole('button', { name: 'Save' }).click();
      // refused by the form at the field, before anything is sent (the server checks again)
      const refusal = page.getByTestId('error-rupture_z');
      await refusal.waitFor({ timeout: 10000 });
      check(/9 is out of range; expected from 0\.5 to 5/.test(await refusal.textContent()) && (await z.getAttribute('aria-invalid')) === 'true',
        'coordinator: an out-of-range threshold is refused at its field');
      await z.fill('1.6');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByText('Saved.').waitFor({ timeout: 10000 });
      check((await page.getByTestId('effective-rupture_z').textContent()) === '1.6 (changed)', 'coordinator: a threshold changed');
      await shot(page, 'coordinator-alert-settings');
      await page.getByRole('button', { name: 'Use default for Drop needed on the total (z)' }).click();
      await page.getByText(/back to the default/).waitFor({ timeout: 10000 });
      check((await page.getByTestId('effective-rupture_z').textContent()) === '1.4', 'coordinator: the threshold back to its default');
      // "Use default" went with the change it undid: focus is on the status saying what was done
      check(await page.getByRole('status').filter({ hasText: /back to the default/ }).evaluate((el) => el === document.activeElement),
        'coordinator: focus moves to the status after "Use default"');
    }
    await page.close();
  });

  // ---- researcher: replication, therapist effects, export
  await step('researcher', async () => {
    const page = await signIn('researcher');
    await page.goto(`${base}/#/analyses`);
    const rep = page.getByTestId('analysis-replication');
    await rep.getByRole('button', { name: 'Run the replication' }).click();
    const ran = await appears(page, rep.getByTestId('analysis-result'), 120000);
    await checkOrMissing(page, ran, 'researcher: replication analysis ran');
    if (ran) check(/R² = /.test(await rep.getByTestId('analysis-result').textContent()), 'researcher: replication shows R²');
    if (ran) check(await rep.getByTestId('analysis-result').getByRole('heading', { level: 3 }).evaluate((el) => el === document.activeElement),
      'researcher: focus moves to the result heading');
    const te = page.getByTestId('analysis-therapist-effects');
    await te.getByRole('button', { name: 'Run therapist effects' }).click();
    await checkOrMissing(page, await appears(page, te.getByTestId('caterpillar').locator('svg'), 120000), 'researcher: caterpillar plot drawn');
    const med = page.getByTestId('analysis-mediation');
    await med.getByRole('button', { name: 'Run the mediation analysis' }).click();
    const mediated = await appears(page, med.getByTestId('analysis-result'), 120000);
    await checkOrMissing(page, mediated, 'researcher: mediation ran');
    if (mediated) check(/Indirect effect/.test(await med.getByTestId('analysis-result').textContent()), 'researcher: mediation shows the indirect effect and its interval');
    await shot(page, 'researcher-analyses');
    await page.goto(`${base}/#/exports`);
    await page.getByRole('button', { name: 'Download scale scores' }).click();
    await checkOrMissing(page, await appears(page, page.getByText(/^Downloaded .* \((\d+ bytes|[\d.]+ [KM]B)\)\.$/), 30000), 'researcher: de-identified export downloaded');
    check(await page.getByRole('button', { name: 'Download scale scores' }).evaluate((el) => el === document.activeElement),
      'researcher: focus stays on the download button (aria-disabled while downloading, not disabled)');
    await page.goto(`${base}/#/caseload`);
    check(await page.getByRole('heading', { level: 1, name: 'Not available' }).isVisible(), 'researcher: no caseload');
    await page.close();
  });

  // ---- admin: users, instruments and licences, audit log
  await step('admin', async () => {
    const page = await signIn('admin');
    for (const [path, id, name] of [['users', 'users', 'users'], ['instruments', 'instruments', 'instruments'], ['audit', 'audit', 'audit log']]) {
      await page.goto(`${base}/#/${path}`);
      check(await page.getByTestId(id).waitFor({ timeout: 15000 }).then(() => true, () => false), `admin: ${name} shown`);
      await shot(page, `admin-${path}`);
    }
    check((await page.getByTestId('audit').locator('tbody tr').count()) > 0, 'admin: audit log has entries');
    // on a phone-sized screen the wide tables scroll inside their box, not the whole page
    const size = page.viewportSize();
    await page.setViewportSize({ width: 390, height: 844 });
    let fits = true;
    for (const [path, id] of [['users', 'users'], ['audit', 'audit']]) {
      await page.goto(`${base}/#/${path}`);
      await page.getByTestId(id).waitFor({ timeout: 15000 });
      fits = fits && await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
    }
    check(fits, 'admin: at 390 px the users and audit pages do not overflow (tables scroll in their box)');
    if (size) await page.setViewportSize(size);
    // the token lives in memory only: after a reload the HttpOnly cookie carries the session,
    // and a cookie-authenticated write needs the CSRF token (creating a user)
    await page.goto(`${base}/#/users`);
    await page.reload();
    check(await page.getByTestId('users').waitFor({ timeout: 15000 }).then(() => true, () => false), 'admin: still signed in after a reload (session cookie)');
    await page.getByLabel('User name').fill(`coordinator${Date.now() % 100000}`);
    await page.getByLabel('Initial password').fill('another-pass-2');
    await page.getByRole('button', { name: 'Add user' }).click();
    await checkOrMissing(page, await appears(page, page.getByText(/^Added /)), 'admin: adds a user after the reload (cookie + X-CSRF-Token)');
    await shot(page, 'admin-user-added');
    // The organisation's setting: the clinic assigns, then clients may choose again.
    const choice = page.getByTestId('client-choice');
    await checkOrMissing(page, await appears(page, choice), 'admin: the client-choice setting shown');
    if (await choice.isVisible().catch(() => false)) {
      check(await choice.isChecked(), 'admin: clients may choose by default');
      await choice.uncheck();
      await checkOrMissing(page, await appears(page, page.getByText(/^The clinic now assigns therapists/)), 'admin: turns client choice off');
      await choice.check();
      await checkOrMissing(page, await appears(page, page.getByText(/^Clients may now choose/)), 'admin: turns client choice back on');
    }
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.reload();
    check(await page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: 10000 }).then(() => true, () => false), 'admin: signed out stays signed out after a reload');
    await page.close();
  });
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  stop();
}

check(consoleErrors.length === 0, `no uncaught page errors${consoleErrors.length ? `: ${consoleErrors.join('; ')}` : ''}`);
if (missing.length) console.log(`\nroutes the web app uses that this server lacks:\n  ${missing.join('\n  ')}`);
console.log(`\n${checks - failures.length - missing.length}/${checks} checks passed (${missing.length} missing routes) in ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in ${screens}`);
process.exit(failures.length ? 1 : 0);
