// A stand-in for `attune serve` with the documented route shapes (see docs/web.md "Routes the
// app uses") and a tiny synthetic clinic, so the browser flows can be exercised before the real
// API lands and independently of it. It serves web/dist like the real server. Synthetic data only.
import http from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

const here = new URL('.', import.meta.url).pathname;
const dist = resolve(here, '../dist');
const fixtures = resolve(here, '../src/fixtures');
const instruments = ['phq9', 'wai_sr', 'cnip'].map((id) => JSON.parse(readFileSync(join(fixtures, `${id}.json`), 'utf8')));

const PASSWORD = 'demo-pass-1';
const users = [
  { id: 1, handle: 'admin', role: 'admin' },
  { id: 2, handle: 'coordinator', role: 'coordinator' },
  { id: 3, handle: 'researcher', role: 'researcher' },
  { id: 4, handle: 'therapist1', role: 'therapist', therapist_id: 1 },
  { id: 5, handle: 'client1', role: 'client', client_id: 1 },
  { id: 6, handle: 'client2', role: 'client', client_id: 2 },
];
const therapists = [
  { id: 1, display_name: 'T. Alder', approaches: ['cbt'], languages: ['en'], modality: 'both', capacity: 3, accepting: true, client_visible: ['approaches'] },
  { id: 2, display_name: 'T. Birch', approaches: ['psychodynamic'], languages: ['en', 'es'], modality: 'video', capacity: 2, accepting: true, client_visible: [] },
];
const clients = [
  { id: 1, pseudonym: 'Client A', concerns: ['depression'], goals: ['sleep better'], preferences: {}, constraints: ['language:en'] },
  { id: 2, pseudonym: 'Client B', concerns: ['anxiety'], goals: ['go to work'], preferences: {}, constraints: [] },
  { id: 3, pseudonym: 'Client C', concerns: ['stress'], goals: ['calm'], preferences: {}, constraints: [] },
  { id: 4, pseudonym: 'Client D', concerns: ['anxiety'], goals: ['sleep better'], preferences: {}, constraints: [] },
  { id: 5, pseudonym: 'Client E', concerns: ['stress'], goals: ['calm'], preferences: {}, constraints: [] },
];
const episodes = [
  { id: 1, client_id: 1, therapist_id: 1, started_on: '2026-09-01', ended_on: '', status: 'active', assigned_by: 'match' },
  { id: 2, client_id: 2, therapist_id: 1, started_on: '2026-09-15', ended_on: '', status: 'active', assigned_by: 'coordinator' },
  // clients' own choices, waiting for the clinic: client D chose therapist1, client E T. Birch
  { id: 3, client_id: 4, therapist_id: 1, started_on: '2026-11-20', ended_on: null, status: 'waiting', assigned_by: 'client_choice', note: '' },
  { id: 4, client_id: 5, therapist_id: 2, started_on: '2026-11-21', ended_on: null, status: 'waiting', assigned_by: 'client_choice', note: '' },
];
const responses = []; // {id, instrument_id, subject_id, episode_id, answered_at, answers, scores, key}
const alerts = [];
const audit = [];
const sessions = new Map(); // token -> user

function sum(ins, scale, answers) {
  const idx = scale.items.map((iid) => ins.items.findIndex((it) => it.id === iid));
  return idx.reduce((s, i) => s + (answers[i] ?? 0), 0);
}
function band(scale, v) { return (scale.bands ?? []).find((b) => v >= b.min && v <= b.max)?.label ?? ''; }

// seed a trajectory: PHQ-9 improving then stalling for client 1; WAI-SR with a planted bond rupture at session 5
const day = (n) => new Date(Date.UTC(2026, 8, 1 + 7 * n)).toISOString().replace('.000', '');
let nextResponse = 1;
function store(instrument_id, subject_id, episode_id, answers, at, key) {
  const ins = instruments.find((i) => i.id === instrument_id);
  const scores = ins.scales.map((s) => { const v = sum(ins, s, answers); return { scale_id: s.id, value: v, band: band(s, v) }; });
  const r = { id: nextResponse++, instrument_id, subject_id, episode_id, answered_at: at, answers, scores, key, session_number: null };
  responses.push(r);
  return r;
}
const phqSeries = [[2,2,2,2,1,2,2,1,0,1],[2,2,1,2,1,2,1,1,0,1],[2,1,1,2,1,1,1,1,0,1],[2,2,1,2,1,2,1,1,0,1],[2,2,2,2,1,2,2,1,0,2],[2,2,2,2,2,2,2,1,0,2]];
phqSeries.forEach((a, k) => store('phq9', 1, 1, a, day(k), `seed-phq-${k}`));
const wai = (g, t, b) => { // wai_sr items by subscale
  const ins = instruments.find((i) => i.id === 'wai_sr');
  return ins.items.map((it) => (it.label.includes('goal') ? g : it.label.includes('task') ? t : b));
};
[[4,4,4],[4,4,5],[5,4,5],[4,4,5],[4,4,2],[4,4,2]].forEach(([g, t, b], k) => store('wai_sr', 1, 1, wai(g, t, b), day(k), `seed-wai-${k}`));
let nextAlert = 1;
alerts.push({ id: nextAlert++, episode_id: 1, client_id: 1, response_id: responses.find((r) => r.key === 'seed-wai-4').id, kind: 'rupture',
  severity: 'warning', detail: 'wai_sr.bond fell to 8 at session 5 from the pair\'s earlier level of 19.0: a drop of 11.0 points, beyond the 4.1 this pair\'s usual movement allows', raised_at: day(4), acknowledged_at: null, resolved_at: null });
// the same answers' drop on the total: a second rupture alert (the monitor raises one per scale);
// the details are in the server's words (src/monitor/monitor.cpp), which start with the scale
alerts.push({ id: nextAlert++, episode_id: 1, client_id: 1, response_id: responses.find((r) => r.key === 'seed-wai-4').id, kind: 'rupture',
  severity: 'warning', detail: 'wai_sr.total fell to 40 at session 5 from the pair\'s earlier level of 52.0: a drop of 12.0 points, beyond the 7.9 this pair\'s usual movement allows', raised_at: day(4), acknowledged_at: null, resolved_at: null });

function log(user, action, entity, entity_id, detail = '') {
  audit.push({ seq: audit.length + 1, at: new Date().toISOString(), actor: `${user?.handle ?? '-'}#${user?.id ?? 0}`, action, entity, entity_id: String(entity_id), detail, hash: randomBytes(8).toString('hex') });
}

function problem(res, status, title, detail, field) {
  res.writeHead(status, { 'Content-Type': 'application/problem+json' });
  res.end(JSON.stringify({ type: 'about:blank', title, status, detail, ...(field ? { field } : {}) }));
}
function json(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(body === undefined ? '' : JSON.stringify(body));
}
function me(u) { return { user_id: u.id, org_id: 1, handle: u.handle, role: u.role, therapist_id: u.therapist_id ?? null, client_id: u.client_id ?? null }; }

// As attune serve (docs/api.md, Authorisation): a therapist reads a client through an episode
// with them that is active or ended; a choice waiting for the clinic gives its episode's row only.
function canSeeClient(u, id) {
  if (u.role === 'coordinator') return true;
  if (u.role === 'client') return u.client_id === id;
  if (u.role === 'therapist') return episodes.some((e) => e.client_id === id && e.therapist_id === u.therapist_id && ['active', 'ended'].includes(e.status));
  return false;
}
// A therapist reads their own episodes, but not a declined choice, which never made the client theirs.
function canSeeEpisode(u, e) {
  if (u.role === 'therapist') return e.therapist_id === u.therapist_id && e.status !== 'declined';
  return canSeeClient(u, e.client_id);
}

const routes = [];
const route = (method, pattern, fn) => routes.push({ method, re: new RegExp(`^${pattern.replace(/:(\w+)/g, '(?<$1>[^/]+)')}$`), fn });

route('POST', '/auth/login', (req, res, { body }) => {
  const u = users.find((x) => x.handle === body?.handle);
  if (!u || body?.password !== PASSWORD) return problem(res, 401, 'Unauthenticated', 'handle or password not recognised');
  const token = randomBytes(32).toString('hex');
  sessions.set(token, u);
  log(u, 'auth.sign_in', 'user', u.id);
  res.setHeader('Set-Cookie', `attune_session=${token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=28800`);
  json(res, 200, { token, csrf_token: `csrf-${token.slice(0, 16)}`, expires_at: '2099-01-01T00:00:00Z', user: me(u) });
});
route('POST', '/auth/logout', (req, res, { token }) => { sessions.delete(token); res.setHeader('Set-Cookie', 'attune_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0'); json(res, 204); });
route('GET', '/auth/me', (req, res, { user }) => json(res, 200, me(user)));
const summary = (i) => ({ id: i.id, version: i.version, title: i.title, respondent: i.respondent, item_count: i.items.length, scale_count: i.scales.length, item_text_shipped: i.item_text_shipped, administrable: i.administrable, declared_use: 'clinical' });
route('GET', '/instruments', (req, res) => json(res, 200, { instruments: instruments.map(summary) }));
route('GET', '/instruments/:id', (req, res, { p }) => {
  const i = instruments.find((x) => x.id === p.id);
  return i ? json(res, 200, i) : problem(res, 404, 'Not found', `no instrument '${p.id}'`);
});
// A few of the server's languages (attune/core/languages.hpp), ordered by code as it sends them.
const languages = [{ code: 'en', name: 'English' }, { code: 'es', name: 'Spanish' }, { code: 'pl', name: 'Polish' }];
route('GET', '/languages', (req, res) => json(res, 200, { languages }));
route('GET', '/therapists', (req, res) => json(res, 200, { therapists }));
route('GET', '/therapists/:id', (req, res, { p }) => json(res, 200, therapists.find((t) => t.id === +p.id)));
route('PATCH', '/therapists/:id', (req, res, { p, body, user }) => {
  if (user.therapist_id !== +p.id) return problem(res, 403, 'Not permitted', 'only the therapist may change their profile');
  const t = therapists.find((x) => x.id === +p.id); t.client_visible = body.client_visible; json(res, 200, t);
});
const training = [];
route('GET', '/therapists/:id/training', (req, res, { p, user }) => {
  if (user.therapist_id !== +p.id) return problem(res, 403, 'Not permitted', 'therapist may read only their own training log');
  json(res, 200, { therapist_id: +p.id, training: training.filter((r) => r.therapist_id === +p.id) });
});
route('POST', '/therapists/:id/training', (req, res, { p, user, body }) => {
  if (user.therapist_id !== +p.id) return problem(res, 403, 'Not permitted', 'therapist may add only to their own training log');
  const r = { id: training.length + 1, therapist_id: +p.id, kind: body.kind, minutes: body.minutes, completed_on: body.completed_on, note: body.note ?? '' };
  training.push(r); json(res, 201, r);
});
route('GET', '/therapists/:id/mindfulness', (req, res, { p, user }) => {
  if (user.therapist_id !== +p.id) return problem(res, 403, 'Not permitted', 'not yours');
  const facets = ['observe', 'describe', 'act_aware', 'nonjudge', 'nonreact'];
  json(res, 200, { therapist_id: +p.id, instrument: 'ffmq39', points: [0, 1].map((k) => ({ response_id: 100 + k, answered_at: day(4 * k),
    // the later inventory left an observe and a describe item unanswered: those facets are not scorable (value null)
    scores: facets.map((f, i) => ({ scale_id: f, value: k === 1 && i < 2 ? null : 24 + i + 2 * k, band: '' })) })) });
});
route('GET', '/clients', (req, res, { user }) => json(res, 200, { clients: clients.filter((c) => canSeeClient(user, c.id)) }));
route('GET', '/clients/:id', (req, res, { p, user }) => {
  if (!canSeeClient(user, +p.id)) return problem(res, 403, 'Not permitted', `client ${p.id} is not yours to see`);
  json(res, 200, clients.find((c) => c.id === +p.id));
});
route('PUT', '/clients/:id/intake', (req, res, { p, user, body }) => {
  if (!canSeeClient(user, +p.id)) return problem(res, 403, 'Not permitted', `client ${p.id} is not yours to change`);
  if (!Array.isArray(body.concerns) || body.concerns.length === 0) return problem(res, 422, 'Invalid argument', 'concerns: at least one expected');
  const c = clients.find((x) => x.id === +p.id); Object.assign(c, body); log(user, 'client.intake', 'client', c.id); json(res, 200, c);
});
route('GET', '/clients/:id/recommendations', (req, res, { p, user }) => {
  if (!canSeeClient(user, +p.id)) return problem(res, 403, 'Not permitted', 'not yours');
  json(res, 200, { client_id: +p.id, recommendations: therapists.map((t, k) => ({ therapist: t, score: k ? -0.05 : 0.46, uncertainty: 0.19,
    reasons: k ? ['offers video sessions', 'speaks Spanish'] : ['works with depression and has a good record with it', 'high non-judging score, which goes with stronger alliances'] })) });
});
route('POST', '/clients/:id/choice', (req, res, { p, body }) => {
  if (!organisation.client_choice) return problem(res, 403, 'Not permitted', 'this organisation assigns therapists itself; clients may not choose');
  const open = episodes.find((e) => e.client_id === +p.id && (e.status === 'active' || e.status === 'waiting'));
  if (open) return problem(res, 409, 'Conflict', `client ${p.id} already has episode ${open.id} (${open.status})`);
  const e = { id: episodes.length + 1, client_id: +p.id, therapist_id: body.therapist_id, started_on: '2026-11-27', ended_on: null, status: 'waiting', assigned_by: 'client_choice' };
  episodes.push(e); json(res, 201, e);
});
const organisation = { id: 1, name: 'Synthetic clinic', created_at: '2026-01-05T00:00:00Z', client_choice: true, clients_may_choose: true };
route('GET', '/organisation', (req, res) => json(res, 200, organisation));
route('PATCH', '/organisation', (req, res, { user, body }) => {
  if (user.role !== 'admin') return problem(res, 403, 'Not permitted', 'admins only');
  if (typeof body.client_choice !== 'boolean') return problem(res, 400, 'Invalid argument', `client_choice is ${JSON.stringify(body.client_choice)}; expected true or false`);
  organisation.client_choice = organisation.clients_may_choose = body.client_choice;
  json(res, 200, organisation);
});
// Monitoring thresholds (docs/monitor.md "Organisation settings"): the coordinator sets them.
const thresholdDefaults = { rupture_cutoff: 36, rupture_z: 1.4, rupture_subscale_z: 2.3, rupture_size: 2.5,
  repair_window: 3, repair_margin: 0, not_on_track_z: 1.2816 };
const thresholds = {};
const monitoring = () => ({ settings: { ...thresholds }, effective: { ...thresholdDefaults, ...thresholds }, defaults: thresholdDefaults });
route('GET', '/organisation/monitoring', (req, res) => json(res, 200, monitoring()));
route('PATCH', '/organisation/monitoring', (req, res, { user, body }) => {
  if (user.role !== 'coordinator') return problem(res, 403, 'Not permitted', 'coordinators only');
  for (const [k, v] of Object.entries(body)) {
    if (!(k in thresholdDefaults)) return problem(res, 400, 'Invalid argument', `monitoring settings: ${k} = ${JSON.stringify(v)} is not accepted`);
    if (k === 'rupture_z' && v !== null && (v < 0.5 || v > 5)) {
      return problem(res, 400, 'Invalid argument', `monitoring settings: rupture_z = ${v} is not accepted; expected a number from 0.5 to 5`);
    }
  }
  for (const [k, v] of Object.entries(body)) { if (v === null) delete thresholds[k]; else thresholds[k] = v; }
  json(res, 200, monitoring());
});
route('GET', '/episodes', (req, res, { user }) => json(res, 200, { episodes: episodes.filter((e) => canSeeEpisode(user, e)) }));
// A coordinator's decisions (docs/api.md "Episodes"): waiting -> active | declined, active -> ended.
const today = () => new Date().toISOString().slice(0, 10);
for (const [move, from, to] of [['confirm', 'waiting', 'active'], ['decline', 'waiting', 'declined'], ['end', 'active', 'ended']]) {
  route('POST', `/episodes/:id/${move}`, (req, res, { p, user, body }) => {
    if (user.role !== 'coordinator') return problem(res, 403, 'Not permitted', 'coordinators only');
    const e = episodes.find((x) => x.id === +p.id);
    if (!e) return problem(res, 404, 'Not found', `episode ${p.id} not found in organisation 1`);
    if (e.status !== from) return problem(res, 409, 'Conflict', `episode ${e.id} is ${e.status}; only a ${from} episode can be ${move === 'end' ? 'ended' : `${move}d`}`);
    if (move === 'decline' && !String(body?.note ?? '').trim()) return problem(res, 400, 'Invalid argument', 'note is empty; expected why the choice is declined or withdrawn (the client is told)');
    const day = (move === 'confirm' ? body?.started_on : body?.ended_on) || today();
    if (day > today()) return problem(res, 400, 'Invalid argument', `${move === 'confirm' ? 'started_on' : 'ended_on'} is ${day}, in the future; expected a date on or before today`);
    if (move === 'end' && day < e.started_on) return problem(res, 400, 'Invalid argument', `ended_on is ${day}, before started_on ${e.started_on}; expected a date on or after it`);
    e.status = to;
    if (move === 'confirm') e.started_on = day; else e.ended_on = day;
    if (body?.note) e.note = body.note;
    log(user, `episode.${move}`, 'episode', e.id, body?.note ?? '');
    json(res, 200, e);
  });
}
// Sessions of an episode (docs/api.md "Sessions"): recorded once held, by the episode's therapist or a coordinator.
const episodeSessions = []; // {id, episode_id, number, held_at}
route('GET', '/episodes/:id/sessions', (req, res, { p, user }) => {
  const e = episodes.find((x) => x.id === +p.id);
  if (!e || !canSeeEpisode(user, e)) return problem(res, 404, 'Not found', `episode ${p.id} not found in organisation 1`);
  json(res, 200, { sessions: episodeSessions.filter((x) => x.episode_id === e.id).sort((a, b) => a.number - b.number) });
});
route('POST', '/episodes/:id/sessions', (req, res, { p, user, body }) => {
  const e = episodes.find((x) => x.id === +p.id);
  if (!e) return problem(res, 404, 'Not found', `episode ${p.id} not found in organisation 1`);
  if (!(user.role === 'coordinator' || (user.role === 'therapist' && e.therapist_id === user.therapist_id))) return problem(res, 403, 'Not permitted', 'only the episode\'s therapist or a coordinator records its sessions');
  if (['waiting', 'declined'].includes(e.status)) return problem(res, 409, 'Conflict', `episode_id ${e.id} is ${e.status}; expected an active or ended episode`, 'episode_id');
  const n = body?.number;
  if (!Number.isInteger(n) || n < 1 || n > 10000) return problem(res, 400, 'Invalid argument', `number is ${n}; expected a whole number from 1 to 10000`, 'number');
  const held = new Date(body?.held_at ?? '');
  if (Number.isNaN(held.getTime())) return problem(res, 400, 'Invalid argument', `held_at is "${body?.held_at}"; expected an ISO-8601 time`, 'held_at');
  if (held.getTime() > Date.now() + 5 * 60000) return problem(res, 400, 'Invalid argument', `held_at is "${body.held_at}", in the future; expected a time on or before now`, 'held_at');
  if (body.held_at.slice(0, 10) < e.started_on) return problem(res, 400, 'Invalid argument', `held_at is "${body.held_at}", before started_on ${e.started_on}; expected a time on or after it`, 'held_at');
  const mine = episodeSessions.filter((x) => x.episode_id === e.id);
  const clash = mine.find((x) => (x.number < n && new Date(x.held_at) > held) || (x.number > n && new Date(x.held_at) < held));
  if (clash) return problem(res, 400, 'Invalid argument', `held_at is "${body.held_at}", out of order with session ${clash.number} held ${clash.held_at}`, 'held_at');
  const s = { id: episodeSessions.length + 1, episode_id: e.id, number: n, held_at: body.held_at };
  episodeSessions.push(s);
  log(user, 'session.create', 'session', s.id, '');
  json(res, 201, { id: s.id });
});
route('POST', '/responses', (req, res, { user, body }) => {
  const ins = instruments.find((i) => i.id === body.instrument_id);
  if (!ins) return problem(res, 422, 'Invalid argument', `instrument_id: '${body.instrument_id}' unknown`);
  const subject = body.subject_id ?? user.client_id;
  if (!canSeeClient(user, subject)) return problem(res, 403, 'Not permitted', 'not yours');
  if (!Array.isArray(body.answers) || body.answers.length !== ins.items.length) return problem(res, 422, 'Invalid argument', `answers: expected ${ins.items.length} values`);
  const key = req.headers['idempotency-key'];
  if (!key) return problem(res, 400, 'Invalid argument', 'Idempotency-Key header is missing');
  if (!body.answered_at) return problem(res, 400, 'Invalid argument', 'answered_at is missing; expected a string');
  // whoever answers: a choice the clinic has not confirmed, or declined, is no therapy to answer in
  const episode = episodes.find((e) => e.id === body.episode_id);
  if (episode && ['waiting', 'declined'].includes(episode.status)) {
    return problem(res, 409, 'Conflict', `episode_id ${episode.id} is ${episode.status}; expected an active or ended episode`, 'episode_id');
  }
  const replay = responses.find((r) => r.key === key);
  if (replay) return json(res, 200, { response_id: replay.id, replayed: true, scores: replay.scores, alerts: [] });
  // outside an episode (a waitlisted client) a risk alert is on the client, for the coordinators
  const r = store(ins.id, subject, body.episode_id ?? null, body.answers, body.answered_at, key);
  const raised = [];
  ins.items.forEach((it, i) => {
    if (it.risk && body.answers[i] !== null && body.answers[i] > it.risk.above) {
      const a = { id: nextAlert++, episode_id: r.episode_id, client_id: subject, response_id: r.id, kind: 'risk_item', severity: 'urgent',
        detail: `${it.risk.label}: answered ${body.answers[i]} on ${it.id}`, raised_at: r.answered_at, acknowledged_at: null, resolved_at: null };
      alerts.push(a); raised.push(a);
    }
  });
  log(user, 'response.create', 'response', r.id, ins.id);
  json(res, 201, { response_id: r.id, scores: r.scores, alerts: raised });
});
route('GET', '/clients/:id/trajectory', (req, res, { p, user, q }) => {
  if (!canSeeClient(user, +p.id)) return problem(res, 403, 'Not permitted', 'not yours');
  json(res, 200, { client_id: +p.id, instrument: q.get('instrument'), points: responses.filter((r) => r.subject_id === +p.id && r.instrument_id === q.get('instrument')).map((r) => {
    const s = r.scores.find((x) => x.scale_id === q.get('scale'));
    return { response_id: r.id, answered_at: r.answered_at, value: s?.value ?? null, band: s?.band ?? '', session_id: null };
  }) });
});
route('GET', '/clients/:id/expected', (req, res, { p, user }) => {
  if (!canSeeClient(user, +p.id)) return problem(res, 403, 'Not permitted', 'not yours');
  json(res, 200, { points: Array.from({ length: 12 }, (_, k) => { const e = 16 * Math.exp(-0.12 * k); return { session: k + 1, expected: e, lower: e - 4, upper: e + 4 }; }) });
});
route('GET', '/clients/:id/due', (req, res, { p, user }) => {
  if (!canSeeClient(user, +p.id)) return problem(res, 403, 'Not permitted', 'not yours');
  json(res, 200, { due: [{ instrument_id: 'phq9', reason: 'before session 7', episode_id: 1 }, { instrument_id: 'wai_sr', reason: 'after session 6', episode_id: 1 }] });
});
// Synthetic rates in the documented shape (GET /reports/outcomes; docs/monitor.md "Aggregates").
// `adjusted` is given unclamped here and sent clamped to [0, 1] beside the value before the clamp.
const clamp01 = (x) => Math.min(1, Math.max(0, x));
const rate = (events, n, adjusted) => ({ events, n, rate: events / n, ci_low: Math.max(0, events / n - 0.2), ci_high: Math.min(1, events / n + 0.2),
  ...(adjusted === undefined ? {} : { adjusted: clamp01(adjusted), adjusted_unclamped: adjusted, adjusted_clamped: clamp01(adjusted) !== adjusted }) });
const groupRates = (group, therapistId, k) => ({ group, ...(therapistId ? { therapist_id: therapistId } : {}), episodes: 10 * k, with_outcome: 9 * k,
  reliable_improvement: rate(4 * k, 9 * k, therapistId ? 0.42 : undefined), recovery: rate(3 * k, 8 * k), reliable_recovery: rate(2 * k, 8 * k),
  deterioration: rate(1, 9 * k, therapistId ? (k === 1 ? -0.014 : 0.05) : undefined), mean_alliance: 44.5, ruptures_per_episode: 0.4, repair: rate(2 * k, 4 * k) });
route('GET', '/reports/outcomes', (req, res, { user }) => {
  if (!['therapist', 'coordinator'].includes(user.role)) return problem(res, 403, 'Not permitted', 'rates are for clinicians');
  const all = therapists.map((t, i) => groupRates(`therapist ${t.id}`, t.id, i + 1));
  json(res, 200, { organisation: groupRates('organisation', 0, 3), adjustment: 'indirect standardisation on intake severity',
    therapists: user.role === 'coordinator' ? all : all.filter((g) => g.therapist_id === user.therapist_id) });
});
route('GET', '/alerts', (req, res, { user }) => {
  if (!['therapist', 'coordinator'].includes(user.role)) return problem(res, 403, 'Not permitted', 'alerts are for clinicians');
  json(res, 200, { alerts: alerts.filter((a) => user.role === 'coordinator' || episodes.some((e) => e.id === a.episode_id && e.therapist_id === user.therapist_id)) });
});
for (const act of ['acknowledge', 'resolve']) {
  route('POST', `/alerts/:id/${act}`, (req, res, { p, body, user }) => {
    const a = alerts.find((x) => x.id === +p.id);
    if (!a) return problem(res, 404, 'Not found', `no alert ${p.id}`);
    if (act === 'acknowledge' && !String(body?.note ?? '').trim()) {
      return problem(res, 400, 'Invalid argument', `alert ${a.id}: note is empty; expected what was done or decided`);
    }
    if (act === 'acknowledge' && a.acknowledged_at) return problem(res, 409, 'Conflict', `alert ${a.id} is already acknowledged`);
    if (act === 'resolve' && !a.acknowledged_at) return problem(res, 409, 'Conflict', `alert ${a.id} is not acknowledged; acknowledge it first`);
    a[act === 'acknowledge' ? 'acknowledged_at' : 'resolved_at'] = new Date().toISOString();
    if (body?.note) a.note = body.note;
    log(user, `alert.${act}`, 'alert', a.id, body?.note ?? '');
    json(res, 200, a);
  });
}
route('POST', '/assignments/plan', (req, res, { user }) => {
  if (user.role !== 'coordinator') return problem(res, 403, 'Not permitted', 'coordinators only');
  json(res, 200, { plan: [{ client_id: 3, therapist_id: 2, score: 0.64, reasons: ['room with T. Birch', 'style fits preferences'] }],
    as_usual: [{ client_id: 3, therapist_id: 1, score: 0.48 }], summary: { plan_mean: 0.64, as_usual_mean: 0.48, unassigned: 0 } });
});
route('POST', '/assignments/commit', (req, res, { user, body }) => {
  if (user.role !== 'coordinator') return problem(res, 403, 'Not permitted', 'coordinators only');
  for (const r of body.plan) episodes.push({ id: episodes.length + 1, client_id: r.client_id, therapist_id: r.therapist_id, started_on: '2026-11-26', ended_on: '', status: 'active', assigned_by: 'match' });
  json(res, 200, { created: body.plan.length });
});
route('POST', '/analyses/:kind', (req, res, { p, user }) => {
  if (!['researcher', 'coordinator'].includes(user.role)) return problem(res, 403, 'Not permitted', 'researchers only');
  const facets = ['observe', 'describe', 'act_aware', 'nonjudge', 'nonreact'];
  if (p.kind === 'replication') return json(res, 200, { source: 'synthetic demo', n: 30,
    correlations: facets.map((f, i) => ({ x: f, y: 'alliance', r: [0.13, 0.26, 0.27, 0.44, 0.41][i], p: [0.5, 0.16, 0.15, 0.01, 0.02][i] })),
    regression: { r2: 0.31, adj_r2: 0.17, f: 2.2, df1: 5, df2: 24, f_p: 0.09, std_betas: facets.map((f, i) => ({ facet: f, std_beta: [0.05, 0.1, 0.08, 0.33, 0.3][i], t: 1, p: [0.8, 0.6, 0.7, 0.06, 0.09][i], significant: false })) },
    published: { n: 76, r2: 0.324 }, caution: 'Cross-sectional data cannot show that mindfulness causes a stronger alliance.' });
  if (p.kind === 'therapist-effects') return json(res, 200, { nobs: 360, icc_therapist: 0.05, converged: true, singular: false,
    effects: Array.from({ length: 12 }, (_, k) => ({ therapist: `T${k + 1}`, effect: -1.2 + 0.2 * k, se: 0.5, ci95: [-2.2 + 0.2 * k, -0.2 + 0.2 * k] })) });
  if (p.kind === 'mediation') return json(res, 200, { n: 300, a: { estimate: 0.3, se: 0.1, p: 0.01 }, b: { estimate: -0.4, se: 0.1, p: 0.001 },
    c: { estimate: -0.2, se: 0.1, p: 0.04 }, c_prime: { estimate: -0.08, se: 0.1, p: 0.4 }, ab: -0.12, ab_ci: [-0.22, -0.04], level: 0.95, resamples: 2000, cluster: 'therapist', clusters: 30 });
  problem(res, 404, 'Not found', `no analysis '${p.kind}'`);
});
route('GET', '/exports/:what', (req, res, { user }) => {
  if (!['researcher', 'coordinator'].includes(user.role)) return problem(res, 403, 'Not permitted', 'researchers only');
  res.writeHead(200, { 'Content-Type': 'text/csv' }); res.end('respondent,answered_on,item_1\np1,2026-09-01,2\n');
});
route('GET', '/users', (req, res, { user }) => user.role === 'admin' ? json(res, 200, { users }) : problem(res, 403, 'Not permitted', 'admins only'));
route('POST', '/users', (req, res, { user, body }) => {
  if (user.role !== 'admin') return problem(res, 403, 'Not permitted', 'admins only');
  // as attune serve: a therapist or client user signs in as one record, named by its id
  for (const [role, key] of [['therapist', 'therapist_id'], ['client', 'client_id']]) {
    if (body.role === role && !(Number.isInteger(body[key]) && body[key] > 0)) return problem(res, 400, 'Invalid argument', `a ${role} user needs ${key}`);
  }
  const u = { id: users.length + 1, handle: body.handle, role: body.role, ...(body.therapist_id ? { therapist_id: body.therapist_id } : {}),
    ...(body.client_id ? { client_id: body.client_id } : {}) };
  users.push(u); json(res, 201, u);
});
route('GET', '/audit', (req, res, { user }) => user.role === 'admin' ? json(res, 200, { entries: audit }) : problem(res, 403, 'Not permitted', 'admins only'));
route('GET', '/audit/verify', (req, res) => json(res, 200, { ok: true, entries: audit.length }));

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.svg': 'image/svg+xml' };

export function startMock(port = 0) {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    // the same Content-Security-Policy as attune serve (src/api/server.cpp)
    res.setHeader('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
    if (url.pathname.startsWith('/api/v1/')) {
      const path = url.pathname.slice(7);
      let body;
      const chunks = [];
      for await (const c of req) chunks.push(c);
      if (chunks.length) { try { body = JSON.parse(Buffer.concat(chunks).toString()); } catch { return problem(res, 400, 'Bad request', 'body: not JSON'); } }
      // as attune serve: Bearer token, else the session cookie, which needs X-CSRF-Token on writes
      const bearer = (req.headers.authorization ?? '').match(/^Bearer (.+)$/)?.[1];
      const token = bearer ?? (req.headers.cookie ?? '').match(/(?:^|; *)attune_session=([^;]+)/)?.[1] ?? '';
      const user = sessions.get(token);
      if (!bearer && path !== '/auth/login' && req.method !== 'GET' && user && req.headers['x-csrf-token'] !== `csrf-${token.slice(0, 16)}`) return problem(res, 403, 'Forbidden', 'X-CSRF-Token missing or wrong');
      for (const r of routes) {
        const m = r.method === req.method && path.match(r.re);
        if (!m) continue;
        if (!user && path !== '/auth/login') return problem(res, 401, 'Unauthenticated', 'sign in first');
        return r.fn(req, res, { p: m.groups ?? {}, body, user, token, q: url.searchParams });
      }
      return problem(res, 404, 'Not found', `no route ${req.method} ${path}`);
    }
    const file = join(dist, url.pathname === '/' ? 'index.html' : url.pathname);
    if (!file.startsWith(dist) || !existsSync(file)) { res.writeHead(404); return res.end('not found'); }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(port, '127.0.0.1', () => ok(server)));
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const s = await startMock(Number(process.env.PORT ?? 5174));
  console.log(`mock API and web app at http://127.0.0.1:${s.address().port}/ (logins: ${users.map((u) => u.handle).join(', ')}; password ${PASSWORD})`);
}
