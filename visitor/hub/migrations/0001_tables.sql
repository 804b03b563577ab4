-- The hub's tables. Every synced record keeps the laptop's JSON as it was (data) beside the columns the
-- agency views query, and a content hash (hash) that push and pull compare to find what changed where.

CREATE TABLE reg44.agency (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    manager_role name NOT NULL,
    visitor_role name NOT NULL
);

CREATE TABLE reg44.homes (
    id text PRIMARY KEY,
    name text NOT NULL,
    provider text NOT NULL DEFAULT '',
    setting_type text NOT NULL,
    data jsonb COMPRESSION lz4 NOT NULL,
    hash text NOT NULL,
    updated_by name NOT NULL DEFAULT current_user,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX homes_provider ON reg44.homes (lower(provider));
CREATE INDEX homes_setting_type ON reg44.homes (setting_type);

-- Which visitor (a PostgreSQL role) visits which home. A home may have several: its usual visitor and
-- a cover visitor. Row-level security on every other table is written in terms of this one.
CREATE TABLE reg44.assignments (
    home_id text NOT NULL REFERENCES reg44.homes (id) ON DELETE CASCADE,
    visitor name NOT NULL,
    since date NOT NULL DEFAULT current_date,
    PRIMARY KEY (home_id, visitor)
);
CREATE INDEX assignments_visitor ON reg44.assignments (visitor, home_id);

-- Children by code only: the laptop never holds a name, and neither does the hub.
CREATE TABLE reg44.children (
    home_id text NOT NULL REFERENCES reg44.homes (id) ON DELETE CASCADE,
    id text NOT NULL,
    code text NOT NULL,
    admitted date NOT NULL,
    left_on date,
    erased boolean NOT NULL DEFAULT false,
    data jsonb COMPRESSION lz4 NOT NULL,
    hash text NOT NULL,
    updated_by name NOT NULL DEFAULT current_user,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (home_id, id)
);

CREATE TABLE reg44.checklists (
    id text NOT NULL,
    version integer NOT NULL,
    raw jsonb NOT NULL,
    PRIMARY KEY (id, version)
);

-- Finalised visits only (drafts never leave the laptop). recipients_due is who must receive the
-- report (reg 44(7)), worked out on the laptop where the rule lives.
CREATE TABLE reg44.visits (
    id text PRIMARY KEY,
    home_id text NOT NULL REFERENCES reg44.homes (id) ON DELETE CASCADE,
    date date NOT NULL,
    checklist_id text NOT NULL,
    checklist_version integer NOT NULL,
    recipients_due jsonb NOT NULL DEFAULT '[]',
    data jsonb COMPRESSION lz4 NOT NULL,
    hash text NOT NULL,
    updated_by name NOT NULL DEFAULT current_user,
    updated_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (checklist_id, checklist_version) REFERENCES reg44.checklists (id, version)
);
CREATE UNIQUE INDEX visits_home_date ON reg44.visits (home_id, date DESC);

-- Pattern flags and their resolutions. theme groups flags across homes: the flag's own theme when
-- the trends engine gives one, else its rule, else its key.
CREATE TABLE reg44.flags (
    home_id text NOT NULL REFERENCES reg44.homes (id) ON DELETE CASCADE,
    key text NOT NULL,
    raised_on text NOT NULL,
    theme text GENERATED ALWAYS AS (coalesce(nullif(data ->> 'theme', ''), nullif(data ->> 'rule', ''), key)) STORED,
    resolved boolean GENERATED ALWAYS AS (coalesce(jsonb_typeof(data -> 'resolved') = 'object', false)) STORED,
    data jsonb COMPRESSION lz4 NOT NULL,
    hash text NOT NULL,
    updated_by name NOT NULL DEFAULT current_user,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (home_id, key, raised_on)
);
CREATE INDEX flags_open ON reg44.flags (home_id, theme) WHERE NOT resolved;

-- An erasure is a fact, never undone: once here, every laptop erases the child at its next pull.
CREATE TABLE reg44.erasures (
    home_id text NOT NULL REFERENCES reg44.homes (id) ON DELETE CASCADE,
    child_id text NOT NULL,
    data jsonb COMPRESSION lz4 NOT NULL,
    erased_by name NOT NULL DEFAULT current_user,
    erased_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (home_id, child_id)
);

-- One row per push: who, when, what was sent and what was refused as a conflict.
CREATE TABLE reg44.pushes (
    id bigserial PRIMARY KEY,
    visitor name NOT NULL DEFAULT current_user,
    at timestamptz NOT NULL DEFAULT now(),
    counts jsonb NOT NULL
);
