-- Sign-in for the HTTP API (module api, docs/api.md). Portable SQL (SQLite 3.40, PostgreSQL 15).
-- Users get an Argon2id password hash (libsodium's encoded string; NULL = cannot sign in) and the
-- therapist or client row they are, so authorisation can tell "own" from "other".
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN therapist_id BIGINT;
ALTER TABLE users ADD COLUMN client_id BIGINT;
CREATE INDEX users_by_handle ON users (handle);

-- Server-side sessions: only a hash (BLAKE2b-256) of the 256-bit token is stored. Looked up by
-- token hash alone (the token does not name its organisation), so the hash is the key.
CREATE TABLE auth_sessions (
  token_hash  TEXT NOT NULL PRIMARY KEY,
  org_id      BIGINT NOT NULL,
  user_id     BIGINT NOT NULL,
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);
CREATE INDEX auth_sessions_by_user ON auth_sessions (org_id, user_id);

-- Alerts are acknowledged, then resolved.
ALTER TABLE alerts ADD COLUMN resolved_at TEXT;
