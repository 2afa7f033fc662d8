CREATE TABLE Leases
(
    Kind  integer      NOT NULL,
    Id    varchar(200) NOT NULL,
    Shard integer      NOT NULL,
    Epoch bigint       NOT NULL,
    TtlMs bigint       NOT NULL,
    PRIMARY KEY (Kind, Id)
);

CREATE INDEX IX_Leases_Shard ON Leases (Shard);

CREATE TABLE MeshCounters
(
    Name  varchar(100) NOT NULL PRIMARY KEY,
    Count bigint       NOT NULL
);
