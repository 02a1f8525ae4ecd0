import { useState } from 'react';
import { api } from '../../api';
import { ErrorBox, Loaded, useLoad } from '../../components/common';
import type { MonitoringSettings, ThresholdField } from '../../types';

// Each threshold with what it moves, in the clinical lead's words (docs/monitor.md).
const FIELDS: { field: ThresholdField; label: string; help: string; step: string }[] = [
  { field: 'rupture_cutoff', label: 'Rupture cutoff (WAI-SR total)', step: '1',
    help: 'A fall below this total is a rupture. 0 turns the rule off; otherwise 12 to 60.' },
  { field: 'rupture_z', label: 'Drop needed on the total (z)', step: '0.05',
    help: 'Lower catches more ruptures and raises more alerts on ordinary sessions. 0.5 to 5.' },
  { field: 'rupture_subscale_z', label: 'Drop needed on goal, task or bond (z)', step: '0.05',
    help: 'The same for each subscale. 0.5 to 5.' },
  { field: 'rupture_size', label: 'Rupture size the rule is shaped for (SDs)', step: '0.1',
    help: 'Lets early ruptures, with a short history, count at a smaller drop. 0 is the plain rule; up to 6.' },
  { field: 'repair_window', label: 'Sessions to repair', step: '1',
    help: 'A return to the earlier level within this many sessions marks the rupture repaired. 1 to 12.' },
  { field: 'repair_margin', label: 'Repair margin (SDs)', step: '0.05',
    help: 'How far below the earlier level a return may stay and still count. 0 to 3.' },
  { field: 'not_on_track_z', label: 'Not-on-track band (z)', step: '0.05',
    help: 'Lower flags more clients as off their expected course. 0.5 to 3.' },
];

/** The organisation's alert thresholds: the coordinator (clinical lead) sets them. */
export function AlertSettings() {
  const state = useLoad(() => api.monitoringSettings(), []);
  const [shown, setShown] = useState<MonitoringSettings | null>(null);
  const [draft, setDraft] = useState<Partial<Record<ThresholdField, string>>>({});
  const [error, setError] = useState<unknown>(null);
  const [ok, setOk] = useState('');
  const send = async (patch: Record<string, number | null>, done: string) => {
    setError(null); setOk('');
    try {
      setShown(await api.setMonitoringSettings(patch));
      setDraft({});
      setOk(done);
    } catch (err) { setError(err); }
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
              for (const [field, text] of Object.entries(draft)) {
                if (text !== undefined && text.trim() !== '') patch[field] = Number(text);
              }
              if (Object.keys(patch).length === 0) { setOk('Nothing to save.'); return; }
              void send(patch, 'Saved. New questionnaires are checked with these thresholds.');
            }}>
              <table className="data">
                <thead><tr><th scope="col">Threshold</th><th scope="col">In force</th><th scope="col">Default</th>
                  <th scope="col">New value</th><th scope="col"><span className="sr-only">Reset</span></th></tr></thead>
                <tbody>{FIELDS.map(({ field, label, help, step }) => (
                  <tr key={field}>
                    <th scope="row"><label htmlFor={`t-${field}`}>{label}</label><div className="meta" id={`h-${field}`}>{help}</div></th>
                    <td data-testid={`effective-${field}`}>{s.effective[field]}{field in s.settings ? ' (changed)' : ''}</td>
                    <td>{s.defaults[field]}</td>
                    <td><input id={`t-${field}`} type="number" step={step} inputMode="decimal" aria-describedby={`h-${field}`}
                      value={draft[field] ?? ''} onChange={(e) => setDraft({ ...draft, [field]: e.target.value })} /></td>
                    <td>{field in s.settings &&
                      <button type="button" aria-label={`Use the default: ${label}`}
                        onClick={() => void send({ [field]: null }, `${label}: back to the default.`)}>
                        Use default</button>}</td>
                  </tr>
                ))}</tbody>
              </table>
              <button type="submit">Save</button>
            </form>
          );
        }}
      </Loaded>
      {error != null && <ErrorBox error={error} />}
      {ok && <p className="ok" role="status">{ok}</p>}
    </section>
  );
}
