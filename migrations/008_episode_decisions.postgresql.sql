-- A coordinator decides about an episode (docs/api.md "Episodes"): a client's choice (waiting) is
-- confirmed (active) or declined, and therapy ends. `declined` is a new status: a choice that never
-- became therapy (it holds no place and puts the client back on the waitlist). `note` keeps why a
-- choice was declined or therapy ended.
ALTER TABLE episodes DROP CONSTRAINT episodes_status_check;
ALTER TABLE episodes ADD CONSTRAINT episodes_status_check
  CHECK (status IN ('waiting', 'active', 'ended', 'declined'));
ALTER TABLE episodes ADD COLUMN note TEXT NOT NULL DEFAULT '';
