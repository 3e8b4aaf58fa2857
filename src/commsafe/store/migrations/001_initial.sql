-- commsafe store schema, version 1. Column names are a contract: see docs/store.md.

CREATE TABLE meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);

CREATE SEQUENCE load_id_seq START 1;

-- One row per file (or zip member) read, whatever became of it.
CREATE TABLE loads (
    load_id        BIGINT PRIMARY KEY,
    path           VARCHAR NOT NULL,     -- file path; zip members as archive.zip!member
    sha256         VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,     -- street | outcomes | stop_search | reference:<what>
    force          VARCHAR,              -- police.uk force slug, e.g. cambridgeshire
    months         VARCHAR[],            -- YYYY-MM months the file holds
    rows_read      BIGINT NOT NULL,
    rows_loaded    BIGINT NOT NULL,
    rows_rejected  BIGINT NOT NULL,
    rows_duplicate BIGINT NOT NULL,
    status         VARCHAR NOT NULL,     -- loaded | revised | duplicate | failed
    note           VARCHAR,              -- e.g. which earlier loads a revision replaced
    replaced_by    BIGINT,               -- set when a later revised file replaced this load
    started_at     TIMESTAMP NOT NULL,
    finished_at    TIMESTAMP NOT NULL,
    tool_version   VARCHAR NOT NULL
);

-- Rows that could not be loaded, with the reason and the raw text.
CREATE TABLE rejects (
    load_id     BIGINT NOT NULL,
    line_number BIGINT,                  -- physical line in the file (header is line 1)
    row_number  BIGINT,                  -- data row position (first data row is 1)
    reason      VARCHAR NOT NULL,        -- short code, e.g. bad_month
    detail      VARCHAR NOT NULL,        -- what, where, how to fix
    raw         VARCHAR
);

-- police.uk street-level crime and ASB: one row per published record.
CREATE TABLE events (
    source        VARCHAR NOT NULL,      -- police_uk
    force         VARCHAR NOT NULL,
    event_id      VARCHAR,               -- Crime ID; NULL for ASB
    row_number    BIGINT NOT NULL,       -- position of the row in its file
    month         DATE NOT NULL,         -- first of month
    category      VARCHAR NOT NULL,      -- crime type as published
    crime_type    VARCHAR NOT NULL,      -- current police.uk name (taxonomy)
    is_asb        BOOLEAN NOT NULL,
    reported_by   VARCHAR,
    falls_within  VARCHAR,
    longitude     DOUBLE,
    latitude      DOUBLE,
    location      VARCHAR,
    lsoa_code     VARCHAR,               -- as published
    lsoa_name     VARCHAR,
    lsoa_vintage  SMALLINT,              -- 2011 | 2021 | NULL
    lsoa21_code   VARCHAR,               -- resolved
    ward_code     VARCHAR,
    district_code VARCHAR,
    csp_code      VARCHAR,
    pfa_code      VARCHAR,
    resolution    VARCHAR NOT NULL,      -- code | lookup | split-by-point | split-by-population | point-in-polygon | unresolved
    outcome       VARCHAR,
    context       VARCHAR,
    load_id       BIGINT NOT NULL
);

CREATE TABLE outcomes (
    source        VARCHAR NOT NULL,
    force         VARCHAR NOT NULL,
    event_id      VARCHAR,
    row_number    BIGINT NOT NULL,
    month         DATE NOT NULL,
    reported_by   VARCHAR,
    falls_within  VARCHAR,
    longitude     DOUBLE,
    latitude      DOUBLE,
    location      VARCHAR,
    lsoa_code     VARCHAR,
    lsoa_name     VARCHAR,
    outcome_type  VARCHAR,
    load_id       BIGINT NOT NULL
);

CREATE TABLE stop_search (
    source                     VARCHAR NOT NULL,
    force                      VARCHAR NOT NULL,
    row_number                 BIGINT NOT NULL,
    month                      DATE NOT NULL,
    search_type                VARCHAR,
    searched_at                VARCHAR,   -- as published (ISO 8601 with offset)
    part_of_operation          VARCHAR,
    policing_operation         VARCHAR,
    latitude                   DOUBLE,
    longitude                  DOUBLE,
    gender                     VARCHAR,
    age_range                  VARCHAR,
    self_defined_ethnicity     VARCHAR,
    officer_defined_ethnicity  VARCHAR,
    legislation                VARCHAR,
    object_of_search           VARCHAR,
    outcome                    VARCHAR,
    outcome_linked_to_object   VARCHAR,
    removal_of_outer_clothing  VARCHAR,
    load_id                    BIGINT NOT NULL
);

-- Reference data ----------------------------------------------------------------------

-- Every named area: area_type is lsoa11 | lsoa21 | msoa11 | ward | district | csp | pfa.
CREATE TABLE areas (
    area_type VARCHAR NOT NULL,
    area_code VARCHAR NOT NULL,
    area_name VARCHAR,
    vintage   SMALLINT,                  -- boundary year of the code list it came from
    load_id   BIGINT NOT NULL,
    PRIMARY KEY (area_type, area_code)
);

-- Parent/child and successor links between areas (lsoa11→lsoa21, lsoa21→ward, district→csp …).
CREATE TABLE area_links (
    from_type   VARCHAR NOT NULL,
    from_code   VARCHAR NOT NULL,
    to_type     VARCHAR NOT NULL,
    to_code     VARCHAR NOT NULL,
    change_code VARCHAR,                 -- ONS LSOA change: U unchanged, S split, M merged, X irregular
    vintage     SMALLINT,
    load_id     BIGINT NOT NULL,
    PRIMARY KEY (from_type, from_code, to_type, to_code)
);

-- Boundaries in WGS84 as WKB, with bounding boxes for quick filtering.
CREATE TABLE boundaries (
    area_type VARCHAR NOT NULL,
    area_code VARCHAR NOT NULL,
    area_name VARCHAR,
    vintage   SMALLINT,
    geometry  BLOB NOT NULL,
    min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
    load_id   BIGINT NOT NULL,
    PRIMARY KEY (area_type, area_code)
);

-- Population per area and year; sex persons|male|female; age_band 'all', '0'…'89', '90+' or 'a-b'.
CREATE TABLE population (
    area_type  VARCHAR NOT NULL,
    area_code  VARCHAR NOT NULL,
    year       SMALLINT NOT NULL,
    sex        VARCHAR NOT NULL,
    age_band   VARCHAR NOT NULL,
    age_from   SMALLINT,
    age_to     SMALLINT,                 -- NULL: open-ended (all ages, 90+)
    population DOUBLE NOT NULL,
    source     VARCHAR NOT NULL,         -- e.g. census2021, mid2019
    load_id    BIGINT NOT NULL,
    PRIMARY KEY (area_type, area_code, year, sex, age_band)
);
