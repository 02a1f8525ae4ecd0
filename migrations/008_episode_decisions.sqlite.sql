-- A coordinator decides about an episode (docs/api.md "Episodes"): a client's choice (waiting) is
-- confirmed (active) or declined, and therapy ends. `declined` is a new status: a choice that never
-- became therapy (it holds no place and puts the client back on the waitlist). `note` keeps why a
-- choice was declined or therapy ended. SQLite cannot change a CHECK, so the table is rebuilt with
-- its rows; Store::Migrate runs SQLite migrations with foreign keys off and checks them before
-- committing (sessions, responses and alerts refer to episodes by id, which stays the same).
CREATE TABLE episodes_new (
  org_id        BIGINT NOT NULL,
  id            BIGINT NOT NULL,
  client_id     BIGINT NOT NULL,
  therapist_id  BIGINT NOT NULL,
  started_on    TEXT NOT NULL,
  ended_on      TEXT,
  status        TEXT NOT NULL CHECK (status IN ('waiting', 'active', 'ended', 'declined')),
  assigned_by   TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  note          TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, client_id) REFERENCES clients (org_id, id),
  FOREIGN KEY (org_id, therapist_id) REFERENCES therapists (org_id, id)
);
INSERT INTO episodes_new (org_id, id, client_id, therapist_id, started_on, ended_on, status, assigned_by, created_at)
  SELECT org_id, id, client_id, therapist_id, started_on, ended_on, status, assigned_by, created_at FROM episodes;
DROP TABLE episodes;
ALTER TABLE episodes_new RENAME TO episodes;
