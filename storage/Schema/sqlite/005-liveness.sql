-- Liveness membership: one row per tracked heartbeat lease, written when a lease starts, changes
-- TTL or ends, never per heartbeat. A liveness shard reads its rows when it activates.
CREATE TABLE Leases
(
    Kind  INTEGER NOT NULL,
    Id    TEXT    NOT NULL,
    Shard INTEGER NOT NULL,
    Epoch INTEGER NOT NULL,
    TtlMs INTEGER NOT NULL,
    PRIMARY KEY (Kind, Id)
);

CREATE INDEX IX_Leases_Shard ON Leases (Shard);

-- Event counters (sessions expired, agents lost, agents killed).
CREATE TABLE MeshCounters
(
    Name  TEXT    NOT NULL PRIMARY KEY,
    Count INTEGER NOT NULL
);
