-- A session's grain state moves into its catalog row, so a state change is one statement: the
-- payload, the status the listings read and (through the counting triggers) the counters commit
-- together. Version is the row's optimistic-concurrency tag. Rows written before this migration
-- keep NULL here; their state is still in OrleansStorage and moves over on the session's next
-- activation (SessionStateStorage).
ALTER TABLE SessionCatalog ADD COLUMN Payload BLOB NULL;
ALTER TABLE SessionCatalog ADD COLUMN Version INTEGER NULL;

-- When a row holds a recorded handoff (the intent's time), so the recovery sweep finds unfinished
-- handoffs through an index instead of a reminder per handoff; NULL when none.
ALTER TABLE SessionCatalog ADD COLUMN ResumeTicks INTEGER NULL;
CREATE INDEX IX_SessionCatalog_Resume ON SessionCatalog (ResumeTicks, SessionId) WHERE ResumeTicks IS NOT NULL;
