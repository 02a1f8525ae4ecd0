import { useState } from 'react';
import { api, download } from '../../api';
import { ErrorBox, LiveStatus, Loaded, useLoad } from '../../components/common';
import { sizeWords } from '../../plain';

export function Exports() {
  const state = useLoad(() => api.instruments(), []);
  const [instrument, setInstrument] = useState('phq9');
  const [format, setFormat] = useState<'csv' | 'json'>('csv');
  const [busy, setBusy] = useState('');
  const [msg, setMsg] = useState('');
  const [error, setError] = useState<unknown>(null);

  async function get(what: 'responses' | 'scores') {
    if (busy) return;  // the buttons stay focusable while a download runs (aria-disabled)
    setBusy(what); setError(null); setMsg('');
    try {
      const bytes = await download(api.exportUrl(what, format, instrument), `${instrument}-${what}.${format}`);
      setMsg(`Downloaded ${instrument}-${what}.${format} (${sizeWords(bytes)}).`);
    } catch (e) { setError(e); } finally { setBusy(''); }
  }

  return (
    <section>
      <h1 tabIndex={-1}>Exports</h1>
      <p data-testid="export-privacy">Research exports are always de-identified: respondents are replaced by pseudonyms, and
        times are coarsened to the date. A pseudonym links one person's rows within one export only:
        exports made with different salts give the same person different pseudonyms. Treat an export as
        sensitive all the same, and keep it only as long as the research needs it.</p>
      <Loaded state={state} what="instruments">
        {(instruments) => (
          <form onSubmit={(e) => e.preventDefault()}>
            <label htmlFor="exp-instrument">Instrument</label>
            <select id="exp-instrument" value={instrument} onChange={(e) => setInstrument(e.target.value)}>
              {instruments.map((i) => <option key={i.id} value={i.id}>{i.title}</option>)}
            </select>
            <label htmlFor="exp-format">Format</label>
            <select id="exp-format" value={format} onChange={(e) => setFormat(e.target.value as 'csv' | 'json')}>
              <option value="csv">CSV</option><option value="json">JSON</option>
            </select>
            <p>
              {/* aria-disabled, not disabled: a disabled button drops focus to the page while it downloads */}
              <button type="button" aria-disabled={busy !== ''} aria-busy={busy === 'responses'} onClick={() => get('responses')}>Download item responses</button>{' '}
              <button type="button" aria-disabled={busy !== ''} aria-busy={busy === 'scores'} onClick={() => get('scores')}>Download scale scores</button>
            </p>
            <LiveStatus text={msg} />
            {error != null && <ErrorBox error={error} />}
          </form>
        )}
      </Loaded>
    </section>
  );
}
