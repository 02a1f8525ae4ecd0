-- Attune schema, version 1. Portable SQL: runs unchanged on SQLite 3.40 and PostgreSQL 15.
-- Every table leads with org_id (tenant isolation now, a shard key later); ids are per
-- organisation and allocated from `counters`; timestamps are ISO-8601 UTC text.

CREATE TABLE organisations (
  org_id      BIGINT NOT NULL PRIMARY KEY,
  name        TEXT NOT NULL,
  created_at  TEXT NOT NULL
);

-- Per-organisation id allocation (portable: no AUTOINCREMENT / SERIAL differences).
CREATE TABLE counters (
  org_id      BIGINT NOT NULL REFERENCES organisations (org_id),
  name        TEXT NOT NULL,
  next_value  BIGINT NOT NULL,
  PRIMARY KEY (org_id, name)
);

CREATE TABLE users (
  org_id      BIGINT NOT NULL REFERENCES organisations (org_id),
  id          BIGINT NOT NULL,
  handle      TEXT NOT NULL,
  role        TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'therapist', 'researcher', 'client')),
  created_at  TEXT NOT NULL,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, handle)
);

CREATE TABLE therapists (
  org_id          BIGINT NOT NULL REFERENCES organisations (org_id),
  id              BIGINT NOT NULL,
  external_id     TEXT NOT NULL,
  display_name    TEXT NOT NULL,
  approaches      TEXT NOT NULL,   -- JSON array of strings
  style           TEXT NOT NULL,   -- JSON object: C-NIP dimension -> position
  languages       TEXT NOT NULL,   -- JSON array
  modality        TEXT NOT NULL,
  location        TEXT NOT NULL,
  capacity        INTEGER NOT NULL CHECK (capacity >= 0),
  accepting       SMALLINT NOT NULL CHECK (accepting IN (0, 1)),
  client_visible  TEXT NOT NULL,   -- JSON array of profile field names
  created_at      TEXT NOT NULL,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, external_id)
);

CREATE TABLE clients (
  org_id       BIGINT NOT NULL REFERENCES organisations (org_id),
  id           BIGINT NOT NULL,
  external_id  TEXT NOT NULL,
  pseudonym    TEXT NOT NULL,
  concerns     TEXT NOT NULL,      -- JSON array
  goals        TEXT NOT NULL,      -- JSON array
  preferences  TEXT NOT NULL,      -- JSON object
  constraints  TEXT NOT NULL,      -- JSON array
  created_at   TEXT NOT NULL,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, external_id)
);

CREATE TABLE episodes (
  org_id        BIGINT NOT NULL,
  id            BIGINT NOT NULL,
  client_id     BIGINT NOT NULL,
  therapist_id  BIGINT NOT NULL,
  started_on    TEXT NOT NULL,
  ended_on      TEXT,
  status        TEXT NOT NULL CHECK (status IN ('waiting', 'active', 'ended')),
  assigned_by   TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, client_id) REFERENCES clients (org_id, id),
  FOREIGN KEY (org_id, therapist_id) REFERENCES therapists (org_id, id)
);

CREATE TABLE sessions (
  org_id      BIGINT NOT NULL,
  id          BIGINT NOT NULL,
  episode_id  BIGINT NOT NULL,
  number      INTEGER NOT NULL,
  held_at     TEXT NOT NULL,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, episode_id, number),
  FOREIGN KEY (org_id, episode_id) REFERENCES episodes (org_id, id)
);

CREATE TABLE responses (
  org_id              BIGINT NOT NULL REFERENCES organisations (org_id),
  id                  BIGINT NOT NULL,
  instrument_id       TEXT NOT NULL,
  instrument_version  TEXT NOT NULL,
  respondent          TEXT NOT NULL CHECK (respondent IN ('client', 'therapist')),
  respondent_id       BIGINT NOT NULL,
  subject_id          BIGINT NOT NULL,
  episode_id          BIGINT,
  session_id          BIGINT,
  answered_at         TEXT NOT NULL,
  answers             TEXT NOT NULL,   -- "v1,v2,,v4": item order, empty = not answered
  idempotency_key     TEXT NOT NULL,
  created_at          TEXT NOT NULL,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, idempotency_key),
  FOREIGN KEY (org_id, episode_id) REFERENCES episodes (org_id, id),
  FOREIGN KEY (org_id, session_id) REFERENCES sessions (org_id, id)
);
CREATE INDEX responses_by_subject ON responses (org_id, subject_id, instrument_id, answered_at);

CREATE TABLE scores (
  org_id       BIGINT NOT NULL,
  response_id  BIGINT NOT NULL,
  scale_id     TEXT NOT NULL,
  value        DOUBLE PRECISION,       -- NULL = not scorable (never 0)
  band         TEXT NOT NULL,
  caseness     SMALLINT CHECK (caseness IN (0, 1)),
  answered     INTEGER NOT NULL,
  prorated     SMALLINT NOT NULL CHECK (prorated IN (0, 1)),
  PRIMARY KEY (org_id, response_id, scale_id),
  FOREIGN KEY (org_id, response_id) REFERENCES responses (org_id, id)
);

CREATE TABLE alerts (
  org_id           BIGINT NOT NULL,
  id               BIGINT NOT NULL,
  episode_id       BIGINT NOT NULL,
  response_id      BIGINT,
  kind             TEXT NOT NULL,
  severity         TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'urgent')),
  detail           TEXT NOT NULL,
  raised_at        TEXT NOT NULL,
  acknowledged_at  TEXT,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, episode_id) REFERENCES episodes (org_id, id),
  FOREIGN KEY (org_id, response_id) REFERENCES responses (org_id, id)
);

CREATE TABLE training_records (
  org_id        BIGINT NOT NULL,
  id            BIGINT NOT NULL,
  therapist_id  BIGINT NOT NULL,
  kind          TEXT NOT NULL,
  minutes       INTEGER NOT NULL CHECK (minutes >= 0),
  completed_on  TEXT NOT NULL,
  note          TEXT NOT NULL,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, therapist_id) REFERENCES therapists (org_id, id)
);

-- Append-only, hash-chained: hash = SHA-256(canonical fields || prev_hash). See docs/storage.md.
CREATE TABLE audit_log (
  org_id     BIGINT NOT NULL REFERENCES organisations (org_id),
  seq        BIGINT NOT NULL,
  at         TEXT NOT NULL,
  actor      TEXT NOT NULL,
  action     TEXT NOT NULL,
  entity     TEXT NOT NULL,
  entity_id  TEXT NOT NULL,
  detail     TEXT NOT NULL,
  prev_hash  TEXT NOT NULL,
  hash       TEXT NOT NULL,
  PRIMARY KEY (org_id, seq)
);

-- The chain's head, written in the same transaction as each entry, so deleting the newest
-- entries is detected too.
CREATE TABLE audit_head (
  org_id    BIGINT NOT NULL PRIMARY KEY REFERENCES organisations (org_id),
  last_seq  BIGINT NOT NULL,
  last_hash TEXT NOT NULL
);
