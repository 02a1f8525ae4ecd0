-- A risk item answered outside an episode (a waitlisted client's intake, a client between
-- episodes) raises an alert too: alerts.episode_id may be NULL when alerts.client_id names the
-- client (docs/monitor.md).
ALTER TABLE alerts ALTER COLUMN episode_id DROP NOT NULL;
ALTER TABLE alerts ADD COLUMN client_id BIGINT;
ALTER TABLE alerts ADD CONSTRAINT alerts_episode_or_client CHECK (episode_id IS NOT NULL OR client_id IS NOT NULL);
