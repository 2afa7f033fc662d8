-- A session's grain state moves into its catalog row (see the SQLite variant): one statement per
-- state change, payload, status and counters together. NULL for rows written before this migration.
ALTER TABLE SessionCatalog ADD COLUMN Payload bytea NULL;
ALTER TABLE SessionCatalog ADD COLUMN Version integer NULL;

-- The recorded handoff's time, for the recovery sweep (see the SQLite variant); NULL when none.
ALTER TABLE SessionCatalog ADD COLUMN ResumeTicks bigint NULL;
CREATE INDEX IX_SessionCatalog_Resume ON SessionCatalog (ResumeTicks, SessionId) WHERE ResumeTicks IS NOT NULL;
