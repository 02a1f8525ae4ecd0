// The only door to the server: every route the app uses is named here, so a change in
// docs/api.md is a change in this file. Errors arrive as problem+json and become ApiError.
import type {
  Alert, Answers, AssignmentPlan, AuditEntry, Client, Episode, ExpectedPoint, Instrument, Language, Me,
  MindfulnessPoint, MonitoringSettings, Organisation, OutcomeReport, Recommendation, StoredResponse, SubmitResult, Therapist, TrainingRecord,
  TrajectoryPoint, UserRow,
} from './types';

export const BASE = '/api/v1';

export type AnalysisKind = 'replication' | 'therapist-effects' | 'mediation';

export class ApiError extends Error {
  constructor(public status: number, public title: string, public detail: string,
              public field?: string) {
    super(detail || title);
  }
}

// The API sets an HttpOnly session cookie at sign-in and returns the same token and a CSRF token
// in the body. The token is kept in memory only (sent as a Bearer header, which also works where
// the Secure cookie is not stored, e.g. plain http on a LAN address); after a reload the cookie
// carries the session. The CSRF token is kept for the tab (sessionStorage): it is useless without
// the session and is needed for cookie-authenticated writes.
interface SessionState { token?: string; csrf?: string }
const KEY = 'attune.csrf';

let session: SessionState = {};
try { session = { csrf: sessionStorage.getItem(KEY) ?? undefined }; } catch { /* no storage */ }

export function setSession(s: SessionState): void {
  session = s;
  if (s.csrf) sessionStorage.setItem(KEY, s.csrf);
}
export function clearSession(): void {
  session = {};
  sessionStorage.removeItem(KEY);
}

async function request<T>(method: string, path: string, body?: unknown,
                          extra: Record<string, string> = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...extra };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (session.csrf && method !== 'GET') headers['X-CSRF-Token'] = session.csrf;
  const res = await fetch(BASE + path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try { data = JSON.parse(text); } catch { data = text; }
  }
  if (!res.ok) {
    const p = (data && typeof data === 'object' ? data : {}) as Record<string, unknown>;
    throw new ApiError(res.status, String(p.title ?? res.statusText ?? 'Request failed'),
      String(p.detail ?? (typeof data === 'string' ? data : '')),
      typeof p.field === 'string' ? p.field : undefined);
  }
  return data as T;
}

/** The API wraps lists in an object named after them ({"clients": [...]}); bare arrays pass too. */
function list<T>(v: unknown, key: string): T[] {
  if (Array.isArray(v)) return v as T[];
  if (v && typeof v === 'object') {
    const inner = (v as Record<string, unknown>)[key];
    if (Array.isArray(inner)) return inner as T[];
  }
  return [];
}

/** ISO-8601 UTC to the second, as the API stores times ("2026-11-26T20:15:00Z"). */
export function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const enc = encodeURIComponent;

export const api = {
  // sign-in
  async login(handle: string, password: string): Promise<Me> {
    const r = await request<{ token?: string; csrf_token?: string; csrf?: string; user?: Me }>(
      'POST', '/auth/login', { handle, password });
    setSession({ token: r.token, csrf: r.csrf_token ?? r.csrf });
    return r.user ?? (await api.me());
  },
  async me(): Promise<Me> {
    // The answer carries the session's CSRF token: a tab that restored the session from the cookie
    // (a new tab) has no sign-in answer to take it from, and could not sign out without it.
    const { csrf_token: csrf, ...me } = await request<Me & { csrf_token?: string }>('GET', '/auth/me');
    if (csrf) setSession({ ...session, csrf });
    return me;
  },
  /** Ends the session; throws (and keeps it) when the server did not end it, unless it had already ended (401). */
  async logout(): Promise<void> {
    try {
      await request('POST', '/auth/logout');
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) throw e;
    }
    clearSession();
  },

  // instruments (definitions as `attune instruments show --json`)
  instruments: async () => list<Instrument>(await request('GET', '/instruments'), 'instruments'),
  instrument: (id: string) => request<Instrument>('GET', `/instruments/${enc(id)}`),
  // the languages the server names (the intake's choices; the same names as "speaks German")
  languages: async () => list<Language>(await request('GET', '/languages'), 'languages'),

  // people
  therapists: async () => list<Therapist>(await request('GET', '/therapists'), 'therapists'),
  therapist: (id: number) => request<Therapist>('GET', `/therapists/${id}`),
  updateTherapistVisibility: (id: number, client_visible: string[]) =>
    request<Therapist>('PATCH', `/therapists/${id}`, { client_visible }),
  training: async (therapistId: number) =>
    list<TrainingRecord>(await request('GET', `/therapists/${therapistId}/training`), 'training'),
  addTraining: (therapistId: number, r: Omit<TrainingRecord, 'id' | 'therapist_id'>) =>
    request<TrainingRecord>('POST', `/therapists/${therapistId}/training`, r),
  mindfulness: async (therapistId: number) =>
    list<MindfulnessPoint>(await request('GET', `/therapists/${therapistId}/mindfulness`), 'points'),
  clients: async () => list<Client>(await request('GET', '/clients'), 'clients'),
  client: (id: number) => request<Client>('GET', `/clients/${id}`),
  saveIntake: (id: number, intake: Omit<Client, 'id' | 'pseudonym' | 'external_id'>) =>
    request<Client>('PUT', `/clients/${id}/intake`, intake),
  episodes: async () => list<Episode>(await request('GET', '/episodes'), 'episodes'),
  /** A coordinator's decisions (docs/api.md "Episodes"): waiting -> active, waiting -> declined, active -> ended. */
  confirmEpisode: (id: number, started_on?: string) =>
    request<Episode>('POST', `/episodes/${id}/confirm`, started_on ? { started_on } : {}),
  declineEpisode: (id: number, note: string) => request<Episode>('POST', `/episodes/${id}/decline`, { note }),
  endEpisode: (id: number, ended_on: string, note: string) =>
    request<Episode>('POST', `/episodes/${id}/end`, { ended_on, ...(note.trim() ? { note } : {}) }),
  sessions: async (episodeId: number) =>
    list<{ id: number; episode_id: number; number: number; held_at: string }>(
      await request('GET', `/episodes/${episodeId}/sessions`), 'sessions'),
  /** Records a session once held (the episode's therapist or a coordinator); `held_at` ISO-8601 UTC. */
  recordSession: (episodeId: number, s: { number: number; held_at: string }) =>
    request<{ id: number }>('POST', `/episodes/${episodeId}/sessions`, s),

  // matching
  recommendations: async (clientId: number, limit = 5) =>
    list<Recommendation>(await request('GET', `/clients/${clientId}/recommendations?limit=${limit}`), 'recommendations'),
  /** The ranking with, when it is empty, the server's reason (the therapists each filter removed). */
  ranking: async (clientId: number, limit = 5) => {
    const body = await request('GET', `/clients/${clientId}/recommendations?limit=${limit}`);
    const unmatched = (body as { unmatched?: unknown } | null)?.unmatched;
    return { recommendations: list<Recommendation>(body, 'recommendations'),
      unmatched: typeof unmatched === 'string' ? unmatched : null };
  },
  outcomes: () => request<OutcomeReport>('GET', '/reports/outcomes'),
  organisation: () => request<Organisation>('GET', '/organisation'),
  setClientChoice: (allow: boolean) => request<Organisation>('PATCH', '/organisation', { client_choice: allow }),
  monitoringSettings: () => request<MonitoringSettings>('GET', '/organisation/monitoring'),
  /** A number sets a threshold, null returns it to the default. */
  setMonitoringSettings: (patch: Record<string, number | null>) =>
    request<MonitoringSettings>('PATCH', '/organisation/monitoring', patch),
  chooseTherapist: (clientId: number, therapistId: number) =>
    request<Episode>('POST', `/clients/${clientId}/choice`, { therapist_id: therapistId }),
  planAssignments: () => request<AssignmentPlan>('POST', '/assignments/plan', {}),
  commitAssignments: (plan: { client_id: number; therapist_id: number }[]) =>
    request<{ created: number }>('POST', '/assignments/commit', { plan }),

  // questionnaires
  due: async (clientId: number) =>
    list<{ instrument_id: string; reason?: string; session_id?: number | null; episode_id?: number | null }>(
      await request('GET', `/clients/${clientId}/due`), 'due'),
  /** The idempotency key travels as the Idempotency-Key header: a retried submit stores once. */
  submit: ({ idempotency_key, ...body }: {
    instrument_id: string; subject_id?: number; episode_id?: number | null; session_id?: number | null;
    answers: Answers; idempotency_key: string;
  }) => request<SubmitResult>('POST', '/responses', { answered_at: nowIso(), ...body },
    { 'Idempotency-Key': idempotency_key }),
  responses: async (clientId: number) =>
    list<StoredResponse>(await request('GET', `/clients/${clientId}/responses`), 'responses'),
  trajectory: async (clientId: number, instrument: string, scale: string) =>
    list<TrajectoryPoint>(await request('GET',
      `/clients/${clientId}/trajectory?instrument=${enc(instrument)}&scale=${enc(scale)}`), 'points'),
  expected: async (clientId: number, instrument: string) =>
    list<ExpectedPoint>(await request('GET', `/clients/${clientId}/expected?instrument=${enc(instrument)}`), 'points'),

  // alerts
  alerts: async () => list<Alert>(await request('GET', '/alerts'), 'alerts'),
  acknowledge: (id: number, note: string) => request<Alert>('POST', `/alerts/${id}/acknowledge`, { note }),
  resolve: (id: number, note: string) => request<Alert>('POST', `/alerts/${id}/resolve`, { note }),

  // research
  analysis: (kind: AnalysisKind, params: Record<string, unknown> = {}) =>
    request<Record<string, unknown>>('POST', `/analyses/${kind}`, params),
  exportUrl: (what: 'responses' | 'scores', format: 'csv' | 'json', instrument?: string) =>
    `${BASE}/exports/${what}?format=${format}&deidentify=true` + (instrument ? `&instrument=${enc(instrument)}` : ''),

  // admin
  users: async () => list<UserRow>(await request('GET', '/users'), 'users'),
  createUser: (u: { handle: string; role: string; password: string; therapist_id?: number; client_id?: number }) => request<{ id: number }>('POST', '/users', u),
  audit: async () => list<AuditEntry>(await request('GET', '/audit'), 'entries'),
  verifyAudit: () => request<{ ok: boolean; entries?: number; first_bad_seq?: number; problem?: string }>('GET', '/audit/verify'),
};

/** Downloads an export with the session's credentials and hands it to the browser as a file. */
export async function download(url: string, filename: string): Promise<number> {
  const headers: Record<string, string> = {};
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  const res = await fetch(url, { headers, credentials: 'same-origin' });
  if (!res.ok) {
    let p: Record<string, unknown> = {};
    try { p = await res.json(); } catch { /* not problem+json */ }
    throw new ApiError(res.status, String(p.title ?? res.statusText), String(p.detail ?? ''));
  }
  const blob = await res.blob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  return blob.size;
}

/** A fresh idempotency key per questionnaire attempt (so a double click never stores twice). */
export function newKey(prefix: string): string {
  const r = typeof crypto !== 'undefined' && 'randomUUID' in crypto
    ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
  return `${prefix}-${r}`;
}
