import { useEffect, useState } from 'react';
import { api } from '../../api';
import { useMe } from '../../auth';
import { ErrorBox, LiveStatus, Loaded, OWN_RECORD_MISSING, useLoad } from '../../components/common';
import type { Client, Instrument, Language } from '../../types';
import { polesOf, preferenceWords, words } from '../../plain';

export { polesOf, preferenceWords };

/** Problem domains the clinic works with (the concern vocabulary of docs/sim.md). */
export const CONCERNS = ['depression', 'anxiety', 'trauma', 'relationships', 'substance_use', 'stress'];
const MODALITIES: [string, string][] = [['either', 'Either is fine'], ['in_person', 'In person'], ['video', 'By video']];

/**
 * A C-NIP preference is stored as the scale's score (the sum of its bipolar -3..+3 items, the
 * metric the matching model reads); the client sets it as one item's strength, -3..+3.
 */
export function strengthOf(stored: number | undefined, items: number): number {
  if (stored === undefined || items <= 0 || stored === 0) return 0;
  // A stored preference is never shown as none: the matching model reads any non-zero score as
  // leaning one way (a score of -2 over five items gives "a non-directive style" in the reasons).
  const s = Math.max(-3, Math.min(3, Math.round(stored / items)));
  return s === 0 ? Math.sign(stored) : s;
}

export function storedOf(strength: number, items: number, range: [number, number]): number {
  return Math.max(range[0], Math.min(range[1], strength * items));
}

function constraintValue(constraints: string[], key: string, fallback: string): string {
  const c = constraints.find((x) => x.startsWith(`${key}:`));
  return c ? c.slice(key.length + 1) : fallback;
}

/**
 * The language choices: the server's list (`GET /languages`, the names its reasons use) by name,
 * and each code the client gave before that the list does not name, as it is (kept, so it can be
 * unticked, and saving keeps it).
 */
export function languageChoices(languages: Language[], given: string[]): Language[] {
  const sorted = [...languages].sort((a, b) => a.name.localeCompare(b.name));
  const unnamed = given.filter((code) => !languages.some((l) => l.code === code)).map((code) => ({ code, name: code }));
  return [...sorted, ...unnamed];
}

/** The languages a client gave (`language:xx`, any of them); none means any language. */
export function languagesOf(constraints: string[]): string[] {
  return constraints.filter((c) => c.startsWith('language:')).map((c) => c.slice('language:'.length));
}

/**
 * The constraints to save: the client's own kinds (languages, modality) as the form has them, and
 * every other entry as it was read. Those are the clinic's (its site, exclusions, risk: see
 * docs/matching.md), which the server refuses to let a client add or remove.
 */
export function constraintsAfter(stored: string[], languages: string[], modality: string): string[] {
  const clinics = stored.filter((c) => !c.startsWith('language:') && !c.startsWith('modality:'));
  return [
    ...clinics,
    ...languages.map((l) => `language:${l}`),
    ...(modality === 'either' ? [] : [`modality:${modality}`]),
  ];
}

export function Intake() {
  const me = useMe();
  const id = me.client_id ?? 0;
  const state = useLoad(async () => {
    const [client, cnip, languages] = await Promise.all([
      api.client(id), api.instrument('cnip').catch(() => null), api.languages(),
    ]);
    return { client, cnip, languages };
  }, [id]);
  return (
    <section>
      <h1 tabIndex={-1}>About you</h1>
      <p>What you tell us here helps us suggest therapists who fit you. You can change it at any time.</p>
      <Loaded state={state} what="your answers" notFound={OWN_RECORD_MISSING}>
        {(d) => <IntakeForm client={d.client} cnip={d.cnip} languages={d.languages} />}
      </Loaded>
    </section>
  );
}

function IntakeForm({ client, cnip, languages }: { client: Client; cnip: Instrument | null; languages: Language[] }) {
  const [concerns, setConcerns] = useState<string[]>(client.concerns ?? []);
  const [goals, setGoals] = useState((client.goals ?? []).join('\n'));
  const [prefs, setPrefs] = useState<Record<string, number>>(client.preferences ?? {});
  const [chosen, setChosen] = useState<string[]>(languagesOf(client.constraints ?? []));
  const [modality, setModality] = useState(constraintValue(client.constraints ?? [], 'modality', 'either'));
  const [errors, setErrors] = useState<string[]>([]);
  const [saved, setSaved] = useState('');
  const [serverError, setServerError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const dims = (cnip?.scales ?? []).map((s) => s.id);

  const languageOptions = languageChoices(languages, languagesOf(client.constraints ?? []));

  useEffect(() => { setSaved(''); }, [concerns, goals, prefs, chosen, modality]);

  async function save(e: React.FormEvent) {
    e.preventDefault();
    const problems: string[] = [];
    if (concerns.length === 0) problems.push('Choose at least one thing that brings you here.');
    const goalList = goals.split('\n').map((g) => g.trim()).filter(Boolean);
    if (goalList.length === 0) problems.push('Write at least one goal, one per line.');
    setErrors(problems);
    if (problems.length || busy) return;
    setBusy(true);
    setServerError(null);
    setSaved('');
    try {
      const constraints = constraintsAfter(client.constraints ?? [], chosen, modality);
      await api.saveIntake(client.id, { concerns, goals: goalList, preferences: prefs, constraints });
      setSaved('Saved. Your suggested therapists are updated.');
    } catch (err) {
      setServerError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={save} noValidate className="intake">
      {errors.length > 0 && (
        <div className="error-summary" role="alert"><h2>Please check</h2><ul>{errors.map((e) => <li key={e}>{e}</li>)}</ul></div>
      )}
      <fieldset aria-describedby="concerns-hint">
        <legend>What brings you here?</legend>
        <p id="concerns-hint" className="hint">Choose all that apply.</p>
        {CONCERNS.map((c) => (
          <label key={c} className="option">
            <input type="checkbox" name="concern" value={c} checked={concerns.includes(c)}
              onChange={(e) => setConcerns(e.target.checked ? [...concerns, c] : concerns.filter((x) => x !== c))} />
            <span>{words(c)}</span>
          </label>
        ))}
      </fieldset>

      <label htmlFor="goals">What would you like to be different? <span className="hint">(one goal per line)</span></label>
      <textarea id="goals" rows={4} value={goals} onChange={(e) => setGoals(e.target.value)} />

      <fieldset>
        <legend>How would you like therapy to feel?</legend>
        {dims.length === 0 && <p className="hint">The preference questionnaire is not available in this deployment.</p>}
        {dims.map((d) => {
          const scale = cnip!.scales.find((s) => s.id === d)!;
          const v = strengthOf(prefs[d], scale.items.length);
          const poles = polesOf(scale.title ?? '', d);
          const said = preferenceWords(v, poles);
          return (
            <div key={d} className="slider">
              <label htmlFor={`pref-${d}`}>{scale.title || words(d)}</label>
              <div className="slider-track">
                <span className="pole" aria-hidden="true">{poles[0]}</span>
                <input id={`pref-${d}`} type="range" min={-3} max={3} step={1} value={v} aria-valuetext={said}
                  onChange={(e) => setPrefs({ ...prefs, [d]: storedOf(Number(e.target.value), scale.items.length, scale.range) })} />
                <span className="pole" aria-hidden="true">{poles[1]}</span>
              </div>
              <output htmlFor={`pref-${d}`} data-testid={`pref-${d}-said`}>{said}</output>
            </div>
          );
        })}
      </fieldset>

      <fieldset>
        <legend>Practical needs</legend>
        <fieldset aria-describedby="languages-hint">
          <legend>Languages you can have therapy in</legend>
          <p id="languages-hint" className="hint">Choose all that apply: a therapist who speaks any of them fits. Leave all unticked if any language will do.</p>
          {languageOptions.map(({ code, name }) => (
            <label key={code} className="option">
              <input type="checkbox" name="language" value={code} checked={chosen.includes(code)}
                onChange={(e) => setChosen(e.target.checked ? [...chosen, code] : chosen.filter((x) => x !== code))} />
              <span>{name}</span>
            </label>
          ))}
        </fieldset>
        <label htmlFor="modality">How to meet</label>
        <select id="modality" value={modality} onChange={(e) => setModality(e.target.value)}>
          {MODALITIES.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
        </select>
      </fieldset>

      {serverError != null && <ErrorBox error={serverError} />}
      <LiveStatus text={saved} />
      {/* aria-disabled, not disabled: a disabled button loses focus to the page while saving */}
      <button type="submit" aria-disabled={busy} aria-busy={busy}>{busy ? 'Saving…' : 'Save'}</button>
    </form>
  );
}
