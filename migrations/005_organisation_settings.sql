-- Organisation settings (docs/api.md "Organisation"): whether clients may choose their own
-- therapist (1) or the clinic assigns (0). Portable SQL: SQLite 3.40 and PostgreSQL 15.
ALTER TABLE organisations ADD COLUMN client_choice INTEGER NOT NULL DEFAULT 1;
