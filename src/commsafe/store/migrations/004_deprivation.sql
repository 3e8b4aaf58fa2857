-- commsafe store schema, version 4: Indices of (Multiple) Deprivation per small area.
--
-- One row per (index_name, area_code), written by the reference loader (kind
-- reference:deprivation; see commsafe.reference.deprivation), which keeps the key unique as it
-- does for the other reference tables: a later file replaces the rows it covers. index_name is
-- 'imd<year>-<nation>' ('imd2019-england', 'imd2019-wales', 'imd2025-england'): the year from
-- the file name (or --year), the nation from the code's first letter. Deciles and ranks are
-- within the nation's own index (1 = most deprived); imd_score is NULL when the file has none.

CREATE TABLE deprivation (
    index_name VARCHAR NOT NULL,
    nation     VARCHAR NOT NULL,         -- england | wales
    index_year SMALLINT NOT NULL,
    area_type  VARCHAR NOT NULL,         -- lsoa11 | lsoa21
    area_code  VARCHAR NOT NULL,
    imd_decile SMALLINT NOT NULL,        -- 1 (most deprived 10%) … 10
    imd_rank   INTEGER,                  -- 1 = most deprived
    imd_score  DOUBLE,
    load_id    BIGINT NOT NULL
);
