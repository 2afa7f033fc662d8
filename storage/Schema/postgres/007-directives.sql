-- Directives in their own rows, keyed (agent, sequence): a steer inserts one row instead of
-- rewriting the agent's whole directive list. Acknowledged rows beyond a retained window are deleted.
CREATE TABLE Directives
(
    AgentId      varchar(200)  NOT NULL,
    Sequence     bigint        NOT NULL,
    Kind         integer       NOT NULL,
    Direction    varchar(200)  NOT NULL,
    Message      varchar(4000) NULL,
    IssuedTicks  bigint        NOT NULL,
    PRIMARY KEY (AgentId, Sequence)
);
