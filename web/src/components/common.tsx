import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api';
import { dateAndTime, shortDate } from '../plain';

/** Loads data once (and again on `reload`), tracking loading and error state. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const run = useCallback(() => {
    setLoading(true);
    setError(undefined);
    load().then((d) => setData(d)).catch((e) => setError(e)).finally(() => setLoading(false));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  useEffect(() => { run(); }, [run]);
  return { data, error, loading, reload: run };
}

/**
 * Focus for an element that appears after an action (a status, a result), given tabIndex={-1}:
 * it moves there each time `trigger` changes to a truthy value, so focus is not lost to the page
 * when the control that had it is disabled or removed.
 */
export function useFocusWhen<T extends HTMLElement>(trigger: unknown) {
  const ref = useRef<T>(null);
  useEffect(() => {
    if (trigger) ref.current?.focus();
  }, [trigger]);
  return ref;
}

/**
 * An error in words. `forbidden` is a page's own plain sentence for a 403 ("You do not have
 * access to this client's record."), in place of the server's words, which name its rule;
 * `notFound` the same for a 404 ("This questionnaire is not available."), in place of the
 * server's detail, which may list internal ids.
 */
export function errorText(e: unknown, forbidden?: string, notFound?: string): string {
  if (e instanceof ApiError) {
    if (e.status === 403 && forbidden) return forbidden;
    if (e.status === 404 && notFound) return notFound;
    if (e.status === 404) return `Not available: ${e.detail || e.title}`;
    if (e.status === 403) return `You do not have access to this: ${e.detail || e.title}`;
    return `${e.title}${e.detail ? `: ${e.detail}` : ''}`;
  }
  return String(e);
}

/** A date (or, with `time`, a date and time) as the app writes them, machine-readable in `<time dateTime>`. */
export function When({ iso, time }: { iso: string; time?: boolean }) {
  return <time dateTime={iso}>{time ? dateAndTime(iso) : shortDate(iso)}</time>;
}

/**
 * A client's own pages read their record by its id: a 404 there means the sign-in is not linked
 * to a record the server has, which the client can only ask the clinic about (the server's
 * detail, "Not available: no client 3", told them nothing they could act on).
 */
export const OWN_RECORD_MISSING = 'Your record could not be found. Please ask the clinic to check your account.';

export function Loading({ what }: { what: string }) {
  return <p className="loading" role="status" aria-live="polite"><span className="spinner" aria-hidden="true" /> Loading {what}…</p>;
}

/**
 * A polite live region for what an action did ("Saved."). It is in the page before there is
 * anything to say, so screen readers announce the text when it appears: a region inserted
 * together with its text is often not announced. Empty text clears it for the next message.
 */
export function LiveStatus({ text }: { text: string }) {
  return <div role="status" aria-live="polite">{text && <p className="ok">{text}</p>}</div>;
}

export function ErrorBox({ error, forbidden, notFound }: { error: unknown; forbidden?: string; notFound?: string }) {
  return <div className="error-box" role="alert">{errorText(error, forbidden, notFound)}</div>;
}

/** Standard wrapper: spinner, error, or the content. */
export function Loaded<T>({ state, what, forbidden, notFound, children }: {
  state: { data: T | undefined; error: unknown; loading: boolean };
  what: string;
  /** the page's sentence for a 403 (see errorText) */
  forbidden?: string;
  /** the page's sentence for a 404 (see errorText) */
  notFound?: string;
  children: (d: T) => React.ReactNode;
}) {
  if (state.loading && state.data === undefined) return <Loading what={what} />;
  if (state.error) return <ErrorBox error={state.error} forbidden={forbidden} notFound={notFound} />;
  if (state.data === undefined) return null;
  return <>{children(state.data)}</>;
}
