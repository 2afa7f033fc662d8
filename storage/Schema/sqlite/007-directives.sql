-- Directives in their own rows, keyed (agent, sequence): a steer inserts one row instead of
-- rewriting the agent's whole directive list. Acknowledged rows beyond a retained window are deleted.
CREATE TABLE Directives
(
    AgentId      TEXT    NOT NULL,
    Sequence     INTEGER NOT NULL,
    Kind         INTEGER NOT NULL,
    Direction    TEXT    NOT NULL,
    Message      TEXT    NULL,
    IssuedTicks  INTEGER NOT NULL,
    PRIMARY KEY (AgentId, Sequence)
);
