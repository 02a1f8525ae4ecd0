-- A risk item answered outside an episode (a waitlisted client's intake, a client between
-- episodes) raises an alert too: alerts.episode_id may be NULL when alerts.client_id names the
-- client (docs/monitor.md; client_id has no foreign key: a subject may be recorded before its
-- client row, as imports allow). SQLite cannot drop a NOT NULL, so the table is rebuilt with its rows.
CREATE TABLE alerts_new (
  org_id           BIGINT NOT NULL,
  id               BIGINT NOT NULL,
  episode_id       BIGINT,
  client_id        BIGINT,
  response_id      BIGINT,
  kind             TEXT NOT NULL,
  severity         TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'urgent')),
  detail           TEXT NOT NULL,
  raised_at        TEXT NOT NULL,
  acknowledged_at  TEXT,
  resolved_at      TEXT,
  note             TEXT NOT NULL DEFAULT '',
  evidence         TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (org_id, id),
  CHECK (episode_id IS NOT NULL OR client_id IS NOT NULL),
  FOREIGN KEY (org_id, episode_id) REFERENCES episodes (org_id, id),
  FOREIGN KEY (org_id, response_id) REFERENCES responses (org_id, id)
);
INSERT INTO alerts_new (org_id, id, episode_id, client_id, response_id, kind, severity, detail, raised_at,
                        acknowledged_at, resolved_at, note, evidence)
  SELECT org_id, id, episode_id, NULL, response_id, kind, severity, detail, raised_at, acknowledged_at,
         resolved_at, note, evidence
  FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_new RENAME TO alerts;
CREATE INDEX alerts_by_episode ON alerts (org_id, episode_id);
