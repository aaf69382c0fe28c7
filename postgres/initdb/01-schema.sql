-- Schema of the original benchmark's telephony tables (only the columns the
-- agents query and a plausible agent record need). Runs in the database the
-- connection points at: the official image creates it from POSTGRES_DB.
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;

CREATE TABLE agentfeatures (
    id          SERIAL PRIMARY KEY,
    numgroup    INTEGER      NOT NULL,
    firstname   VARCHAR(128) NOT NULL DEFAULT '',
    lastname    VARCHAR(128) NOT NULL DEFAULT '',
    number      VARCHAR(40)  NOT NULL UNIQUE,
    passwd      VARCHAR(128) NOT NULL DEFAULT '',
    context     VARCHAR(39)  NOT NULL,
    language    VARCHAR(20)  NOT NULL DEFAULT '',
    autologoff  INTEGER,
    "group"     VARCHAR(255),
    description TEXT         NOT NULL DEFAULT ''
);

CREATE TABLE agent_login_status (
    agent_id        INTEGER PRIMARY KEY REFERENCES agentfeatures (id),
    agent_number    VARCHAR(40)  NOT NULL,
    extension       VARCHAR(40)  NOT NULL,
    context         VARCHAR(80)  NOT NULL,
    interface       VARCHAR(128) NOT NULL,
    state_interface VARCHAR(128) NOT NULL,
    login_at        TIMESTAMP    NOT NULL DEFAULT now()
);
