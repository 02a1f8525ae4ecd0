-- Alert lifecycle notes (resolved_at comes from 003) and the evidence behind each
-- alert (docs/monitor.md); fitted models such as expected treatment response curves, one row per
-- organisation and model name. Portable SQL: SQLite 3.40 and PostgreSQL 15.
ALTER TABLE alerts ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN evidence TEXT NOT NULL DEFAULT '{}';
CREATE INDEX alerts_by_episode ON alerts (org_id, episode_id);

CREATE TABLE fitted_models (
  org_id     BIGINT NOT NULL REFERENCES organisations (org_id),
  name       TEXT NOT NULL,
  fitted_at  TEXT NOT NULL,
  body       TEXT NOT NULL,
  PRIMARY KEY (org_id, name)
);
CREATE INDEX responses_by_episode ON responses (org_id, episode_id);
