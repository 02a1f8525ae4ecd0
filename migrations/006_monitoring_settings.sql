-- An organisation's own monitoring thresholds (docs/monitor.md "Organisation settings"): a JSON
-- object of the fields it has changed; '{}' keeps every default. Portable SQL: SQLite 3.40 and
-- PostgreSQL 15.
ALTER TABLE organisations ADD COLUMN monitor_settings TEXT NOT NULL DEFAULT '{}';
