-- 256 counter shards instead of 16: the session id's first two hex digits. With group commit on
-- several connections per silo, most of a PostgreSQL run's writers were found waiting on another
-- transaction's row lock (pg_stat_activity: 8 to 11 of 12 in Lock:transactionid), the counter rows
-- of 16 shards being held until each commit's log flush; with 256, two concurrent batches seldom
-- share one. A batch ordered by session id still takes the counter rows' locks in one order (the
-- shard is the id's prefix), so concurrent batches cannot deadlock. Rows counted under the old
-- shard are decremented under the new one: counts are read summed over shards, so the sums stay
-- right while single shards may go below zero. The new shards' rows are seeded for every status
-- right after the migrations, in the same transaction (SchemaMigrator.SeedCountersAsync).

CREATE OR REPLACE FUNCTION session_catalog_shard(id varchar) RETURNS integer AS $$
    SELECT CASE WHEN lower(left(id, 2)) ~ '^[0-9a-f]{2}$'
                THEN ('x' || lower(left(id, 2)))::bit(8)::integer
                ELSE abs(hashtext(id)) % 256 END;
$$ LANGUAGE sql IMMUTABLE;
