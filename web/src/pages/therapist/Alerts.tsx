import { api } from '../../api';
import { CurrentAndResolved, splitAlerts } from '../../components/AlertList';
import { Loaded, useLoad } from '../../components/common';
import type { Alert, Client, Episode } from '../../types';

export function Alerts() {
  const state = useLoad(async () => {
    const [alerts, episodes, clients] = await Promise.all([
      api.alerts(), api.episodes().catch(() => [] as Episode[]), api.clients().catch(() => [] as Client[])]);
    return { alerts, episodes, clients };
  }, []);
  return (
    <section>
      <h1 tabIndex={-1}>Alerts</h1>
      <p>Urgent alerts (risk items) first, then open before acknowledged, newest first. Acknowledge an alert with a note saying what you will do; resolve it with a note saying what you did.</p>
      <Loaded state={state} what="alerts">
        {({ alerts, episodes, clients }) => {
          const name = (a: Alert) => {
            const cid = a.client_id ?? episodes.find((e) => e.id === a.episode_id)?.client_id;
            const c = clients.find((x) => x.id === cid);
            return c ? c.pseudonym : cid ? `client ${cid}` : `episode ${a.episode_id}`;
          };
          // the list still to work through holds open and acknowledged alerts: the heading counts each
          const { current, acknowledged } = splitAlerts(alerts);
          return (
            <>
              <h2>Open ({current.length - acknowledged}) and acknowledged ({acknowledged})</h2>
              <CurrentAndResolved alerts={alerts} onChange={state.reload} clientName={name} />
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
