-- A session's grain state moves into its catalog row (see the SQLite variant): one statement per
-- state change, payload, status and counters together. NULL for rows written before this migration.
ALTER TABLE SessionCatalog ADD COLUMN Payload bytea NULL;
ALTER TABLE SessionCatalog ADD COLUMN Version integer NULL;

-- The recorded handoff's time, for the recovery sweep (see the SQLite variant); NULL when none.
ALTER TABLE SessionCatalog ADD COLUMN ResumeTicks bigint NULL;
CREATE INDEX IX_SessionCatalog_Resume ON SessionCatalog (ResumeTicks, SessionId) WHERE ResumeTicks IS NOT NULL;

-- Session writes from many sessions now share transactions (group commit), several at once. The
-- counter shard becomes the session id's first hex digit, so a batch ordered by session id takes
-- the counter rows' locks in one order and concurrent batches cannot deadlock (every change of a
-- row in a shard locks that shard's Active counter first). Counts are read summed over shards, so
-- rows counted under the old hash stay correct in the sums.
CREATE OR REPLACE FUNCTION session_catalog_shard(id varchar) RETURNS integer AS $$
    SELECT CASE WHEN strpos('0123456789abcdef', lower(left(id, 1))) > 0
                THEN strpos('0123456789abcdef', lower(left(id, 1))) - 1
                ELSE abs(hashtext(id)) % 16 END;
$$ LANGUAGE sql IMMUTABLE;

CREATE OR REPLACE FUNCTION session_catalog_count() RETURNS trigger AS $$
DECLARE
    slot integer;
BEGIN
    IF TG_OP = 'DELETE' THEN
        slot := session_catalog_shard(OLD.SessionId);
        UPDATE SessionCounterShards SET Count = Count - 1 WHERE Status = OLD.Status AND Shard = slot;
        RETURN OLD;
    END IF;
    slot := session_catalog_shard(NEW.SessionId);
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
