-- Session logs: the runner's captured output, one row per appended batch. An append inserts a
-- row; past a session's size cap its oldest rows are deleted. No row is ever rewritten.
CREATE TABLE SessionLogChunks
(
    SessionId varchar(36) NOT NULL,
    Chunk     bigint      NOT NULL,
    FirstLine bigint      NOT NULL,
    LineCount integer     NOT NULL,
    Bytes     integer     NOT NULL,
    Lines     text        NOT NULL,
    PRIMARY KEY (SessionId, Chunk)
);
