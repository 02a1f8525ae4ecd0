// Wire shapes of the HTTP API (docs/api.md, docs/openapi.yaml). Instrument definitions are the
// shape of `attune instruments show <id> --json` (docs/cli.md).

export type Role = 'admin' | 'coordinator' | 'therapist' | 'researcher' | 'client';

export interface Me {
  user_id: number;
  org_id: number;
  handle: string;
  role: Role;
  therapist_id?: number | null;
  client_id?: number | null;
}

export interface ResponseOption {
  value: number;
  label: string;
}

export interface Item {
  id: string;
  label: string;
  text: string | null; // null when the licence does not let the wording ship
  loinc?: string | null;
  /**
   * A choice of options, or a line from min to max in steps of `step` (ORS/SRS: 0-10 by 0.1;
   * step 0 = any value), which has no options.
   */
  response: { min: number; max: number; options?: ResponseOption[]; step?: number };
  reverse: boolean;
  scored: boolean;
  risk: { above: number; label: string } | null;
}

export interface Band {
  label: string;
  min: number;
  max: number;
}

export interface Scale {
  id: string;
  title: string;
  items: string[];
  method: string;
  range: [number, number];
  higher_is: 'better' | 'worse';
  bands: Band[];
  caseness: { at_or_above: number; source?: string } | null;
  min_answered?: number;
}

export interface Licence {
  holder: string;
  item_text_may_ship: boolean;
  permitted_uses: { clinical: boolean | null; commercial: boolean | null; research: boolean | null };
  terms: string;
  url: string;
  reference?: string;
}

/** A language Attune names (`GET /languages`): ISO 639-1 code and English name. */
export interface Language {
  code: string;
  name: string;
}

export interface Instrument {
  id: string;
  version: string;
  title: string;
  instructions: string | null;
  respondent: 'client' | 'therapist';
  administrable: boolean;
  declared_use?: string;
  item_text_shipped: boolean;
  item_count: number;
  items: Item[];
  scales: Scale[];
  licence: Licence;
  citation: string;
  scoring_source?: string;
}

/** One answer per item in item order; null = not answered. */
export type Answers = (number | null)[];

export interface Therapist {
  id: number;
  external_id?: string;
  display_name: string;
  approaches?: string[];
  style?: Record<string, number>;
  languages?: string[];
  modality?: string;
  location?: string;
  capacity?: number;
  caseload?: number;
  accepting?: boolean;
  client_visible?: string[];
}

export interface Client {
  id: number;
  external_id?: string;
  pseudonym: string;
  concerns: string[];
  goals: string[];
  preferences: Record<string, number>;
  constraints: string[];
}

// GET /reports/outcomes (docs/monitor.md "Aggregates"): a rate with its 95% Wilson interval.
/**
 * A rate with its 95% interval; for therapists, the case-mix adjusted rate, clamped to [0, 1]
 * (`adjusted`), the value before the clamp and whether the clamp changed it (docs/monitor.md).
 */
export interface Rate {
  events: number; n: number; rate: number; ci_low: number; ci_high: number;
  adjusted?: number; adjusted_unclamped?: number; adjusted_clamped?: boolean;
}
export interface GroupRates {
  group: string;
  therapist_id?: number;
  episodes: number;
  with_outcome: number;
  reliable_improvement: Rate;
  recovery: Rate;
  reliable_recovery: Rate;
  deterioration: Rate;
  mean_alliance: number | null;
  ruptures_per_episode: number;
  repair: Rate;
}
export interface OutcomeReport { organisation: GroupRates; therapists: GroupRates[]; adjustment: string }

// GET /organisation: the setting, and whether clients may choose now (the deployment can refuse).
export interface Organisation {
  id: number;
  name: string;
  created_at: string;
  client_choice: boolean;
  clients_may_choose: boolean;
}

/** The monitoring thresholds an organisation may change (docs/monitor.md "Organisation settings"). */
export type ThresholdField = 'rupture_cutoff' | 'rupture_z' | 'rupture_subscale_z' | 'rupture_size'
  | 'repair_window' | 'repair_margin' | 'not_on_track_z';
export type Thresholds = Record<ThresholdField, number>;
export interface MonitoringSettings {
  settings: Partial<Thresholds>;
  effective: Thresholds;
  defaults: Thresholds;
}

export interface Episode {
  id: number;
  client_id: number;
  therapist_id: number;
  started_on: string;
  ended_on: string | null;
  /** waiting: a client's choice for the clinic to confirm or decline; declined: a choice that never became therapy. */
  status: 'waiting' | 'active' | 'ended' | 'declined';
  assigned_by: string;
  /** Why a choice was declined or therapy ended ("" when none). */
  note?: string;
}

export interface Recommendation {
  therapist: Therapist;
  /** Predicted early alliance in SD units of the clinic's pairings: 0 = its average, higher is better. */
  score: number;
  /** SD of the score (docs/api.md "Recommendations"). */
  uncertainty?: number | null;
  /** Optional: how much data the prediction rests on ("literature prior only", n clients, ...). */
  evidence?: string | null;
  reasons: string[];
}

export interface Score {
  scale_id: string;
  value: number | null;
  band: string;
  caseness?: boolean | null;
  answered?: number;
  prorated?: boolean;
}

export interface StoredResponse {
  id: number;
  instrument_id: string;
  answered_at: string;
  episode_id?: number | null;
  session_id?: number | null;
  scores?: Score[];
}

export interface TrajectoryPoint {
  response_id: number;
  answered_at: string;
  session_id?: number | null;
  episode_id?: number | null;
  session_number?: number | null;
  value: number | null;
  band: string;
}

export interface ExpectedPoint {
  session: number;
  expected: number;
  lower: number;
  upper: number;
}

export interface Alert {
  id: number;
  episode_id: number | null; // null: a risk item answered outside an episode (then client_id is set)
  client_id?: number | null;
  response_id?: number | null;
  kind: string;
  severity: 'info' | 'warning' | 'urgent';
  detail: string;
  raised_at: string;
  acknowledged_at: string | null; // null (or empty) until acknowledged
  resolved_at: string | null;
  /** The server's word for the state (open, acknowledged, resolved); older servers leave it out. */
  status?: 'open' | 'acknowledged' | 'resolved';
  note?: string;
  /** What the rule compared (docs/monitor.md); `attune monitor alerts --json` has it, the API's alert JSON may not. */
  evidence?: { scale?: string; [key: string]: unknown } | null;
}

export interface SubmitResult {
  response_id: number;
  replayed?: boolean;
  scores?: Score[];
  alerts?: Alert[];
}

export interface UserRow {
  id: number;
  handle: string;
  role: Role;
  therapist_id?: number | null;
  client_id?: number | null;
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  entity: string;
  entity_id: string;
  detail: string;
  hash: string;
}

export interface PlanRow {
  client_id: number;
  therapist_id: number;
  score: number;
  reasons?: string[];
}

export interface AssignmentPlan {
  plan: PlanRow[];
  as_usual: PlanRow[];
  summary?: { plan_mean: number; as_usual_mean: number; unassigned: number; waitlist?: number; chose_own?: number; model?: string };
}

export interface TrainingRecord {
  id: number;
  therapist_id: number;
  kind: string;
  minutes: number;
  completed_on: string; // YYYY-MM-DD
  note: string;
}

/** One FFMQ-39 self-report: its facet and total scores. */
export interface MindfulnessPoint {
  response_id: number;
  answered_at: string;
  scores: Score[];
}
