// Renders any instrument from its definition: one radio group per item with options, or for an
// item answered on a line (ORS/SRS) a slider with a number box beside it, each labelled for
// screen readers, usable by keyboard (Tab between items, arrow keys within one), with an error
// summary that names each item needing attention and links to it.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Answers, Instrument } from '../types';
import { ApiError } from '../api';
import type { Item } from '../types';
import { isLine, itemPrompt, lineWords, readableItems, riskFlags, stepDecimals, validateAnswers, type ItemProblem } from './validate';

export interface QuestionnaireProps {
  instrument: Instrument;
  onSubmit: (answers: Answers) => Promise<void> | void;
  submitLabel?: string;
  initial?: Answers;
  /**
   * Who sees a risk answer: the therapist of the client's active episode, or, with no active
   * episode, the clinic's team (the server then routes the alert to the coordinators).
   */
  riskSeenBy?: 'therapist' | 'team';
  /**
   * The id of the page's heading that names the questionnaire (its h1): the form is labelled by
   * it and draws no heading of its own, so the page has one h1 and the title is not said twice.
   * Without it the form has its own heading (h2).
   */
  titleId?: string;
}

/** Where to get urgent help, said with every risk note. */
export const CRISIS_HELP = 'If you might act on these thoughts now, call your local emergency number or go to the nearest emergency department.';

/** Who will see a risk answer, as the start of a sentence. */
export function riskReader(seenBy: 'therapist' | 'team'): string {
  return seenBy === 'therapist' ? 'Your therapist' : "The clinic's team";
}

export function Questionnaire({ instrument: given, onSubmit, submitLabel = 'Submit answers', initial, riskSeenBy = 'therapist', titleId }: QuestionnaireProps) {
  const instrument = useMemo(() => readableItems(given), [given]);
  const n = instrument.items.length;
  const [answers, setAnswers] = useState<Answers>(() => initial ?? Array(n).fill(null));
  const [problems, setProblems] = useState<ItemProblem[]>([]);
  const [serverError, setServerError] = useState<string>('');
  const [busy, setBusy] = useState(false);
  const [attempts, setAttempts] = useState(0);
  const summaryRef = useRef<HTMLDivElement>(null);
  const base = `q-${instrument.id}`;

  // focus the summary after a refused submit only, never while the person is answering
  useEffect(() => {
    if (attempts > 0) summaryRef.current?.focus();
  }, [attempts]);

  if (!instrument.administrable) {
    return (
      <div className="notice" role="note">
        <strong>{instrument.title}</strong> cannot be given in this deployment: its licence does
        not cover the declared use. An administrator can see the terms under Instruments.
      </div>
    );
  }

  const problemFor = (i: number) => problems.find((p) => p.index === i);
  const answered = answers.filter((a) => a !== null).length;
  const flags = riskFlags(instrument, answers);

  function choose(i: number, v: number | null) {
    setAnswers((prev) => prev.map((a, j) => (j === i ? v : a)));
    // a fixed item clears its own message at once; the rest stay until the next submit
    setProblems((prev) => prev.filter((p) => p.index !== i));
  }

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setServerError('');
    const found = validateAnswers(instrument, answers);
    setProblems(found);
    if (found.length > 0) { setAttempts((n) => n + 1); return; }
    setBusy(true);
    try {
      await onSubmit(answers);
    } catch (err) {
      setServerError(err instanceof ApiError ? `${err.title}: ${err.detail}` : String(err));
      setAttempts((n) => n + 1);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="questionnaire" noValidate onSubmit={submit} aria-labelledby={titleId ?? `${base}-title`}>
      {!titleId && <h2 id={`${base}-title`}>{instrument.title}</h2>}
      {instrument.instructions && <p id={`${base}-instructions`} className="instructions">{instrument.instructions}</p>}
      {!instrument.item_text_shipped && (
        <p className="notice" role="note">
          The wording of these questions is licensed and not included here; your clinic gives you
          the printed wording. Each question is shown by its number and topic.
        </p>
      )}

      {(problems.length > 0 || serverError) && (
        <div className="error-summary" role="alert" tabIndex={-1} ref={summaryRef} aria-labelledby={`${base}-errtitle`}>
          <h3 id={`${base}-errtitle`}>
            {problems.length > 0
              ? `${problems.length} ${problems.length === 1 ? 'question needs' : 'questions need'} attention`
              : 'Your answers were not saved'}
          </h3>
          <ul>
            {problems.map((p) => (
              <li key={p.itemId}>
                <a href={`#${base}-${p.itemId}-0`} onClick={(e) => {
                  e.preventDefault();
                  document.getElementById(`${base}-${p.itemId}-0`)?.focus();
                }}>{p.message}</a>
              </li>
            ))}
            {serverError && <li>{serverError}</li>}
          </ul>
        </div>
      )}

      <ol className="items">
        {instrument.items.map((item, i) => {
          const problem = problemFor(i);
          const legendId = `${base}-${item.id}-legend`;
          const errId = `${base}-${item.id}-error`;
          return (
            <li key={item.id}>
              <fieldset
                role={isLine(item) ? undefined : 'radiogroup'}
                className={problem ? 'item invalid' : 'item'}
                aria-labelledby={legendId}
                aria-required={item.scored}
                aria-invalid={problem ? true : undefined}
                aria-describedby={problem ? errId : undefined}
                data-item={item.id}
              >
                <legend id={legendId}>
                  <span className="item-number">{i + 1}.</span> {itemPrompt(item)}
                  {!item.scored && <span className="optional"> (optional)</span>}
                </legend>
                {problem && <p id={errId} className="field-error">{problem.message.replace(/ \(“.*”\)/, '')}</p>}
                {isLine(item) ? (
                  <LineAnswer item={item} id={`${base}-${item.id}`} legendId={legendId} value={answers[i]}
                    onChange={(v) => choose(i, v)} />
                ) : (
                <div className="options">
                  {(item.response.options ?? []).map((o, k) => {
                    const id = `${base}-${item.id}-${k}`;
                    return (
                      <label key={o.value} htmlFor={id} className="option">
                        <input
                          type="radio"
                          id={id}
                          name={`${base}-${item.id}`}
                          value={o.value}
                          checked={answers[i] === o.value}
                          onChange={() => choose(i, o.value)}
                        />
                        <span>{o.label}</span>
                      </label>
                    );
                  })}
                </div>
                )}
              </fieldset>
            </li>
          );
        })}
      </ol>

      {flags.length > 0 && (
        <div className="risk-note" role="status">
          You told us about {flags.map((f) => f.risk!.label).join('; ')}. {riskReader(riskSeenBy)} will
          see this{riskSeenBy === 'team' ? ' (you have no current therapist here)' : ''}. {CRISIS_HELP}
        </div>
      )}

      <p className="progress" aria-live="polite">{answered} of {n} answered</p>
      <button type="submit" disabled={busy} aria-busy={busy}>{busy ? 'Saving…' : submitLabel}</button>
    </form>
  );
}

/**
 * An item answered by a mark on a line from min to max (the ORS/SRS visual-analogue lines): a
 * slider and a number box that move together. It stays unanswered until the person moves the
 * slider or types a number (a slider alone would read as an answer at its minimum).
 */
function LineAnswer({ item, id, legendId, value, onChange }: {
  item: Item; id: string; legendId: string; value: number | null; onChange: (v: number | null) => void;
}) {
  const { min, max, step } = item.response;
  const [typed, setTyped] = useState<string>(value === null ? '' : value.toFixed(stepDecimals(item)));
  const hintId = `${id}-hint`;
  function fromSlider(text: string) {
    const v = Number(text);
    setTyped(v.toFixed(stepDecimals(item)));
    onChange(v);
  }
  function fromBox(text: string) {
    setTyped(text);
    const v = text.trim() === '' ? null : Number(text);
    onChange(v === null || Number.isNaN(v) ? null : v);
  }
  return (
    <div className="line-answer">
      <p id={hintId} className="hint">Mark {lineWords(item)} ({min} at the left end, {max} at the right).</p>
      <div className="line-controls">
        <span aria-hidden="true">{min}</span>
        <input type="range" id={`${id}-slider`} min={min} max={max} step={step || 'any'}
          value={value ?? min} aria-labelledby={legendId} aria-describedby={hintId}
          aria-valuetext={value === null ? 'not answered' : undefined}
          onChange={(e) => fromSlider(e.target.value)} />
        <span aria-hidden="true">{max}</span>
        <label htmlFor={`${id}-0`} className="line-number">
          <span>Your mark</span>
          <input type="number" id={`${id}-0`} inputMode="decimal" min={min} max={max} step={step || 'any'}
            value={typed} aria-describedby={hintId} onChange={(e) => fromBox(e.target.value)} />
        </label>
      </div>
    </div>
  );
}
