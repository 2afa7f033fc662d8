-- The session catalog and its counters (see the SQLite variant). Counters are sharded by a hash of
-- the session id so concurrent transitions on many silos do not queue on one counter row.
CREATE TABLE SessionCatalog
(
    SessionId       varchar(32)  NOT NULL PRIMARY KEY,
    Status          integer      NOT NULL,
    CreatedTicks    bigint       NOT NULL,
    AgentName       varchar(200) NOT NULL,
    AgentId         varchar(200) NULL,
    ParentSessionId varchar(32)  NULL
);

CREATE INDEX IX_SessionCatalog_Status ON SessionCatalog (Status, CreatedTicks DESC, SessionId DESC);
CREATE INDEX IX_SessionCatalog_Created ON SessionCatalog (CreatedTicks DESC, SessionId DESC);
CREATE INDEX IX_SessionCatalog_Agent ON SessionCatalog (AgentId, Status, CreatedTicks DESC, SessionId DESC) WHERE AgentId IS NOT NULL;

CREATE TABLE SessionCounterShards
(
    Status integer NOT NULL,
    Shard  integer NOT NULL,
    Count  bigint  NOT NULL,
    PRIMARY KEY (Status, Shard)
);

INSERT INTO SessionCounterShards (Status, Shard, Count)
SELECT s, h, 0 FROM generate_series(0, 3) AS s, generate_series(0, 15) AS h;

CREATE VIEW SessionCounters AS
SELECT Status, SUM(Count)::bigint AS Count FROM SessionCounterShards GROUP BY Status;

CREATE FUNCTION session_catalog_count() RETURNS trigger AS $$
DECLARE
    slot integer;
BEGIN
    IF TG_OP = 'DELETE' THEN
        slot := abs(hashtext(OLD.SessionId)) % 16;
        UPDATE SessionCounterShards SET Count = Count - 1 WHERE Status = OLD.Status AND Shard = slot;
        RETURN OLD;
    END IF;
    slot := abs(hashtext(NEW.SessionId)) % 16;
    IF TG_OP = 'UPDATE' THEN
        IF OLD.Status = NEW.Status THEN
            RETURN NEW;
        END IF;
        UPDATE SessionCounterShards SET Count = Count - 1 WHERE Status = OLD.Status AND Shard = slot;
    END IF;
    UPDATE SessionCounterShards SET Count = Count + 1 WHERE Status = NEW.Status AND Shard = slot;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER SessionCatalog_Counted AFTER INSERT OR UPDATE OF Status OR DELETE ON SessionCatalog
FOR EACH ROW EXECUTE FUNCTION session_catalog_count();
