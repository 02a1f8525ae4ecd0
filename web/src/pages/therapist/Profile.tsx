import { useState } from 'react';
import { api } from '../../api';
import { useMe } from '../../auth';
import { ErrorBox, LiveStatus, Loaded, useLoad } from '../../components/common';
import { words } from '../../plain';
import type { Therapist } from '../../types';
import { MindfulnessOverTime, TrainingLog } from './TrainingLog';

/** Profile fields a therapist may show to clients. */
const FIELDS = ['approaches', 'languages', 'modality', 'location', 'style'];

export function Profile() {
  const me = useMe();
  const id = me.therapist_id ?? 0;
  const state = useLoad(async () => {
    const [t, instruments] = await Promise.all([api.therapist(id), api.instruments()]);
    return { t, ffmq: instruments.find((i) => i.id === 'ffmq39') };
  }, [id]);
  return (
    <section>
      <h1 tabIndex={-1}>My profile</h1>
      <Loaded state={state} what="your profile">
        {({ t, ffmq }) => (
          <>
            <Visibility t={t} />
            <h2>Mindfulness inventory</h2>
            {ffmq?.administrable
              ? <p><a className="button" href="#/questionnaires/ffmq39">Fill in the FFMQ-39</a> — about ten minutes; repeat every few months to see your profile over time.</p>
              : <p>The mindfulness inventory (FFMQ-39) is not permitted under this deployment's licence terms; an administrator can see why under Instruments.</p>}
            <MindfulnessOverTime therapistId={t.id} />
            <TrainingLog therapistId={t.id} />
          </>
        )}
      </Loaded>
    </section>
  );
}

export function Visibility({ t }: { t: Therapist }) {
  const [visible, setVisible] = useState<string[]>(t.client_visible ?? []);
  const [msg, setMsg] = useState('');
  const [error, setError] = useState<unknown>(null);
  return (
    <form onSubmit={async (e) => {
      e.preventDefault();
      setError(null); setMsg('');
      try { await api.updateTherapistVisibility(t.id, visible); setMsg('Saved.'); } catch (err) { setError(err); }
    }}>
      <fieldset>
        <legend>What clients may see of your profile</legend>
        {FIELDS.map((f) => (
          <label key={f} className="option">
            <input type="checkbox" checked={visible.includes(f)}
              onChange={(e) => setVisible(e.target.checked ? [...visible, f] : visible.filter((x) => x !== f))} />
            <span>{words(f)}</span>
          </label>
        ))}
      </fieldset>
      {error != null && <ErrorBox error={error} />}
      <LiveStatus text={msg} />
      <button type="submit">Save visibility</button>
    </form>
  );
}
