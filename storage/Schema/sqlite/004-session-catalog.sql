-- The session catalog: one row per session, written only by that session's grain, so listings by
-- status (newest first) and stats never touch the grains or scan the table.
CREATE TABLE SessionCatalog
(
    SessionId       TEXT    NOT NULL PRIMARY KEY,
    Status          INTEGER NOT NULL,
    CreatedTicks    INTEGER NOT NULL,
    AgentName       TEXT    NOT NULL,
    AgentId         TEXT    NULL,
    ParentSessionId TEXT    NULL
);

CREATE INDEX IX_SessionCatalog_Status ON SessionCatalog (Status, CreatedTicks DESC, SessionId DESC);
CREATE INDEX IX_SessionCatalog_Created ON SessionCatalog (CreatedTicks DESC, SessionId DESC);
CREATE INDEX IX_SessionCatalog_Agent ON SessionCatalog (AgentId, Status, CreatedTicks DESC, SessionId DESC) WHERE AgentId IS NOT NULL;

-- Counters by status, kept in step with the catalog by triggers inside the same statement, so
-- an upsert that is replayed (idempotent) can never count a session twice.
CREATE TABLE SessionCounters
(
    Status INTEGER NOT NULL PRIMARY KEY,
    Count  INTEGER NOT NULL
);

INSERT INTO SessionCounters (Status, Count) VALUES (0, 0), (1, 0), (2, 0), (3, 0);

CREATE TRIGGER SessionCatalog_Counted_Insert AFTER INSERT ON SessionCatalog
BEGIN
    UPDATE SessionCounters SET Count = Count + 1 WHERE Status = NEW.Status;
END;

CREATE TRIGGER SessionCatalog_Counted_Update AFTER UPDATE OF Status ON SessionCatalog
WHEN OLD.Status <> NEW.Status
BEGIN
    UPDATE SessionCounters SET Count = Count - 1 WHERE Status = OLD.Status;
    UPDATE SessionCounters SET Count = Count + 1 WHERE Status = NEW.Status;
END;

CREATE TRIGGER SessionCatalog_Counted_Delete AFTER DELETE ON SessionCatalog
BEGIN
    UPDATE SessionCounters SET Count = Count - 1 WHERE Status = OLD.Status;
END;
