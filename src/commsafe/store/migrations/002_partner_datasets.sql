-- commsafe store schema, version 2: partner data sets read through a declared column mapping
-- (local police extracts, ED assaults, ambulance call-outs, NRM referrals, …). See
-- docs/datasets.md. Personal columns named by a mapping are never stored.

-- One row per partner data set: which mapping read it and the load that holds its rows.
CREATE TABLE datasets (
    dataset          VARCHAR PRIMARY KEY,  -- name given by the mapping
    kind             VARCHAR NOT NULL,     -- police_extract | asb_incidents | ed_assaults | …
    title            VARCHAR,
    mapping_path     VARCHAR NOT NULL,
    mapping_sha256   VARCHAR NOT NULL,
    synthetic        BOOLEAN NOT NULL,     -- made up by commsafe (never real data)
    personal_columns VARCHAR[],            -- headers declared personal (never stored)
    load_id          BIGINT NOT NULL       -- the load whose rows are current
);

-- One row per record of any partner data set.
CREATE TABLE records (
    dataset       VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,
    record_id     VARCHAR,                 -- the partner's reference, when mapped
    row_number    BIGINT NOT NULL,         -- position of the row in its file (first is 1)
    occurred_at   TIMESTAMP,
    occurred_to   TIMESTAMP,
    month         DATE,                    -- first of the month (of occurred_at or the period)
    period_label  VARCHAR,                 -- for data given by quarter, year or academic year
    category      VARCHAR,
    offence_code  VARCHAR,
    longitude     DOUBLE,
    latitude      DOUBLE,
    location      VARCHAR,
    lsoa_code     VARCHAR,
    ward_code     VARCHAR,
    district_code VARCHAR,
    school        VARCHAR,
    premises_id   VARCHAR,
    premises_name VARCHAR,
    victim_age    SMALLINT,
    victim_sex    VARCHAR,
    offender_age  SMALLINT,
    offender_sex  VARCHAR,
    value         DOUBLE,                  -- count, needles, a percentage …
    flags         VARCHAR[],               -- markers and yes/no fields that are true
    attributes    JSON,                    -- every other mapped field
    load_id       BIGINT NOT NULL
);
