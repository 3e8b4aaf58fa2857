-- commsafe store schema, version 3: reference tables without PRIMARY KEY constraints.
--
-- The ART indexes behind the primary keys of areas, area_links, boundaries and population were
-- most of the store (population's spans 5 VARCHAR columns × ~10M rows: >1 GB of 1.28 GB).
-- Uniqueness of those keys is enforced by the reference loader instead (it stages one row per
-- key and merges it: update the rows whose key exists, insert the others); `commsafe.store.
-- check_reference_keys` finds any row breaking them. Columns, names and types are unchanged.
-- Rows are rewritten in key order (population: see below), which compresses well and keeps
-- zone maps useful for `WHERE area_code = ...`. A store migrated to this version is rewritten
-- into a new file (`commsafe.store.compact_store`): DuckDB does not give freed blocks back.

CREATE TABLE _v3_areas (
    area_type VARCHAR NOT NULL,
    area_code VARCHAR NOT NULL,
    area_name VARCHAR,
    vintage   SMALLINT,
    load_id   BIGINT NOT NULL
);
INSERT INTO _v3_areas SELECT area_type, area_code, area_name, vintage, load_id
    FROM areas ORDER BY area_type, area_code;
DROP TABLE areas;
ALTER TABLE _v3_areas RENAME TO areas;

CREATE TABLE _v3_area_links (
    from_type   VARCHAR NOT NULL,
    from_code   VARCHAR NOT NULL,
    to_type     VARCHAR NOT NULL,
    to_code     VARCHAR NOT NULL,
    change_code VARCHAR,
    vintage     SMALLINT,
    load_id     BIGINT NOT NULL
);
INSERT INTO _v3_area_links
    SELECT from_type, from_code, to_type, to_code, change_code, vintage, load_id
    FROM area_links ORDER BY from_type, to_type, from_code, to_code;
DROP TABLE area_links;
ALTER TABLE _v3_area_links RENAME TO area_links;

CREATE TABLE _v3_boundaries (
    area_type VARCHAR NOT NULL,
    area_code VARCHAR NOT NULL,
    area_name VARCHAR,
    vintage   SMALLINT,
    geometry  BLOB NOT NULL,
    min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
    load_id   BIGINT NOT NULL
);
INSERT INTO _v3_boundaries
    SELECT area_type, area_code, area_name, vintage, geometry, min_x, min_y, max_x, max_y,
           load_id
    FROM boundaries ORDER BY area_type, area_code;
DROP TABLE boundaries;
ALTER TABLE _v3_boundaries RENAME TO boundaries;

CREATE TABLE _v3_population (
    area_type  VARCHAR NOT NULL,
    area_code  VARCHAR NOT NULL,
    year       SMALLINT NOT NULL,
    sex        VARCHAR NOT NULL,
    age_band   VARCHAR NOT NULL,
    age_from   SMALLINT,
    age_to     SMALLINT,
    population DOUBLE NOT NULL,
    source     VARCHAR NOT NULL,
    load_id    BIGINT NOT NULL
);
-- Stored order (as the loader writes it, commsafe.reference.population.stored_order): per
-- area type, year and sex, areas in code order in blocks of 1,335 (= 122,880 rows per row
-- group / 92 age bands); within a block, age band by age band.
INSERT INTO _v3_population
    SELECT area_type, area_code, year, sex, age_band, age_from, age_to, population, source,
           load_id
    FROM (SELECT *, (dense_rank() OVER (PARTITION BY area_type, year, sex ORDER BY area_code)
                     - 1) // 1335 AS _block
          FROM population)
    ORDER BY area_type, year, sex, _block, age_from, age_to NULLS FIRST, age_band, area_code;
DROP TABLE population;
ALTER TABLE _v3_population RENAME TO population;
