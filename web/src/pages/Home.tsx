import { useMe } from '../auth';
import { NAV } from '../nav';

const INTRO: Record<string, string> = {
  client: 'Tell us what brings you here and what you hope for, see which therapists seem to fit you and why, answer a few short questionnaires before sessions, and follow your own progress.',
  therapist: 'See your caseload with each client\'s latest alliance and outcome, follow their trajectories against the expected course, and act on alerts when a client seems off track or the alliance dips.',
  coordinator: 'Work the waitlist with ranked recommendations for each client, compare a batch assignment plan with assignment as usual, and commit it.',
  researcher: 'Run the replication of the mindfulness–alliance findings, therapist effects and mediation on de-identified data, and export it.',
  admin: 'Manage users and roles, see which instruments this deployment may use under their licences, and check the audit log.',
};

export function Home() {
  const me = useMe();
  return (
    <section>
      <h1 tabIndex={-1}>Welcome, {me.handle}</h1>
      <div className="explainer">
        <h2>What Attune is doing here</h2>
        <p>Attune puts the <strong>therapeutic alliance</strong> — agreement on goals, agreement on
          tasks, and the bond between client and therapist — at the centre. It learns from this
          organisation's own records how therapists' mindfulness, clients' preferences and the
          alliance relate to outcomes, starting from published findings while data is scarce; it
          ranks therapists with reasons and says how sure it is; and it raises alerts when a
          client seems off track.</p>
      </div>
      <h2>Your work as {me.role}</h2>
      <p>{INTRO[me.role]}</p>
      <ul className="cards">
        {NAV[me.role].filter((n) => n.path !== '/').map((n) => (
          <li key={n.path}><a href={`#${n.path}`}>{n.label}</a></li>
        ))}
      </ul>
    </section>
  );
}
