import { useState } from 'react';
import { api, ApiError } from '../../api';
import { ErrorBox, Loaded, useFocusWhen, useLoad } from '../../components/common';
import type { MonitoringSettings, ThresholdField } from '../../types';

// Each threshold with what it moves, in the clinical lead's words (docs/monitor.md).
interface FieldSpec {
  field: ThresholdField; label: string; help: string; step: string;
  /** Accepted values (docs/monitor.md "Organisation settings"); `orZero`: 0 also accepted (rule off). */
  min: number; max: number; whole?: boolean; orZero?: boolean;
}
export const FIELDS: FieldSpec[] = [
  { field: 'rupture_cutoff', label: 'Rupture cutoff (WAI-SR total)', step: '1', min: 12, max: 60, whole: true, orZero: true,
    help: 'A fall below this total is a rupture. 0 turns the rule off; otherwise 12 to 60.' },
  { field: 'rupture_z', label: 'Drop needed on the total (z)', step: '0.05', min: 0.5, max: 5,
    help: 'Lower catches more ruptures and raises more alerts on ordinary sessions. 0.5 to 5.' },
  { field: 'rupture_subscale_z', label: 'Drop needed on goal, task or bond (z)', step: '0.05', min: 0.5, max: 5,
    help: 'The same for each subscale. 0.5 to 5.' },
  { field: 'rupture_size', label: 'Rupture size the rule is shaped for (SDs)', step: '0.1', min: 0, max: 6,
    help: 'Lets early ruptures, with a short history, count at a smaller drop. 0 is the plain rule; up to 6.' },
  { field: 'repair_window', label: 'Sessions to repair', step: '1', min: 1, max: 12, whole: true,
    help: 'A return to the earlier level within this many sessions marks the rupture repaired. 1 to 12.' },
  { field: 'repair_margin', label: 'Repair margin (SDs)', step: '0.05', min: 0, max: 3,
    help: 'How far below the earlier level a return may stay and still count. 0 to 3.' },
  { field: 'not_on_track_z', label: 'Not-on-track band (z)', step: '0.05', min: 0.5, max: 3,
    help: 'Lower flags more clients as off their expected course. 0.5 to 3.' },
];

/**
 * A typed threshold as a number, or the reason it is not one. A decimal comma ("1,5") is read
 * as a decimal point; anything else that is not a plain number is refused, never guessed.
 */
export function parseThreshold(spec: FieldSpec, text: string): { value: number } | { problem: string } {
  const t = text.trim().replace(/^([+-]?\d*),(\d+)$/, '$1.$2');
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(t)) return { problem: `"${text.trim()}" is not a number; write it with digits, such as ${spec.step === '1' ? '3' : '1.5'}.` };
  const v = Number(t);
  const range = `${spec.orZero ? '0, or ' : ''}${spec.whole ? 'a whole number ' : ''}from ${spec.min} to ${spec.max}`;
  if (spec.whole && !Number.isInteger(v)) return { problem: `${v} is not a whole number; expected ${range}.` };
  if (!(spec.orZero && v === 0) && (v < spec.min || v > spec.max)) return { problem: `${v} is out of range; expected ${range}.` };
  return { value: v };
}

/** A server refusal in the form's words: the field's label instead of its internal name. */
function refusalText(spec: FieldSpec, detail: string): string {
  return detail.replace(/^monitoring settings:\s*/, '').split(spec.field).join(spec.label);
}

/** The organisation's alert thresholds: the coordinator (clinical lead) sets them. */
export function AlertSettings() {
  const state = useLoad(() => api.monitoringSettings(), []);
  const [shown, setShown] = useState<MonitoringSettings | null>(null);
  const [draft, setDraft] = useState<Partial<Record<ThresholdField, string>>>({});
  const [error, setError] = useState<unknown>(null);
  const [problems, setProblems] = useState<Partial<Record<ThresholdField, string>>>({});
  // what a save did takes focus: "Use default" goes with the change it undoes, and a status
  // added beside a button that keeps focus is easily missed
  const [ok, setOkState] = useState<{ text: string } | null>(null);
  const setOk = (text: string) => setOkState(text ? { text } : null);
  const okRef = useFocusWhen<HTMLParagraphElement>(ok);
  const send = async (patch: Record<string, number | null>, done: string) => {
    setError(null); setOk(''); setProblems({});
    try {
      setShown(await api.setMonitoringSettings(patch));
      setDraft({});
      setOk(done);
    } catch (err) {
      // a refusal naming a threshold is shown at its input; anything else above the form
      const spec = err instanceof ApiError ? FIELDS.find((f) => f.field === err.field || err.detail.includes(`${f.field} `)) : undefined;
      if (spec && err instanceof ApiError) {
        setProblems({ [spec.field]: `Not saved: ${refusalText(spec, err.detail)}` });
        document.getElementById(`t-${spec.field}`)?.focus();  // as for a refusal by the form: the message describes it
      } else setError(err);
    }
  };
  return (
    <section>
      <h1 tabIndex={-1}>Alert settings</h1>
      <p>These thresholds decide when Attune raises rupture and not-on-track alerts for this
        organisation. A change applies from the next questionnaire a client answers and is kept in
        the audit log; alerts already raised stay as they were.</p>
      <Loaded state={state} what="the alert settings">
        {(loaded) => {
          const s = shown ?? loaded;
          return (
            <form data-testid="alert-settings" onSubmit={(e) => {
              e.preventDefault();
              const patch: Record<string, number | null> = {};
              const found: Partial<Record<ThresholdField, string>> = {};
              for (const spec of FIELDS) {
                const text = draft[spec.field];
                if (text === undefined || text.trim() === '') continue;
                const r = parseThreshold(spec, text);
                if ('value' in r) patch[spec.field] = r.value; else found[spec.field] = r.problem;
              }
              setProblems(found); setOk(''); setError(null);
              if (Object.keys(found).length > 0) {
                document.getElementById(`t-${Object.keys(found)[0]}`)?.focus();
                return;
              }
              if (Object.keys(patch).length === 0) { setOk('Nothing to save: type a new value beside a threshold first.'); return; }
              void send(patch, 'Saved. New questionnaires are checked with these thresholds.');
            }}>
              <div className="table-scroll">
              <table className="data" data-testid="alert-settings-table">
                <caption>Monitoring thresholds: the value in force, Attune's default, and a new value</caption>
                <thead><tr><th scope="col">Threshold</th><th scope="col">In force</th><th scope="col">Default</th>
                  <th scope="col">New value</th><th scope="col"><span className="sr-only">Reset</span></th></tr></thead>
                <tbody>{FIELDS.map(({ field, label, help, step }) => (
                  <tr key={field}>
                    <th scope="row"><label htmlFor={`t-${field}`}>{label}</label><div className="meta" id={`h-${field}`}>{help}</div></th>
                    <td data-testid={`effective-${field}`}>{s.effective[field]}{field in s.settings ? ' (changed)' : ''}</td>
                    <td>{s.defaults[field]}</td>
                    <td>
                      {problems[field] && <p id={`e-${field}`} className="field-error" data-testid={`error-${field}`}>{problems[field]}</p>}
                      <input id={`t-${field}`} type="text" inputMode="decimal" data-step={step}
                        aria-describedby={problems[field] ? `e-${field} h-${field}` : `h-${field}`}
                        aria-invalid={problems[field] ? true : undefined}
                        value={draft[field] ?? ''} onChange={(e) => {
                          setDraft({ ...draft, [field]: e.target.value });
                          if (problems[field]) setProblems({ ...problems, [field]: undefined });
                        }} /></td>
                    <td>{field in s.settings &&
                      <button type="button" aria-label={`Use default for ${label}`}
                        onClick={() => void send({ [field]: null }, `${label}: back to the default.`)}>
                        Use default</button>}</td>
                  </tr>
                ))}</tbody>
              </table>
              </div>
              <button type="submit">Save</button>
            </form>
          );
        }}
      </Loaded>
      {error != null && <ErrorBox error={error} />}
      {ok && <p className="ok" role="status" tabIndex={-1} ref={okRef}>{ok.text}</p>}
    </section>
  );
}
