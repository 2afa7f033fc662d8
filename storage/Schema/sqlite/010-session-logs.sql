-- Session logs: the runner's captured output, one row per appended batch. An append inserts a
-- row; past a session's size cap its oldest rows are deleted. No row is ever rewritten.
CREATE TABLE SessionLogChunks
(
    SessionId TEXT    NOT NULL,
    Chunk     INTEGER NOT NULL,
    FirstLine INTEGER NOT NULL,
    LineCount INTEGER NOT NULL,
    Bytes     INTEGER NOT NULL,
    Lines     TEXT    NOT NULL,
    PRIMARY KEY (SessionId, Chunk)
);
