-- commsafe store schema, version 5: population kept wide, boundaries kept compact.
--
-- population: one row per area, year, sex, source and load with its values as a list
-- (population_rows), the list's age bands numbered sets (population_bands), and a view named
-- population giving exactly the long rows (columns, names and types) of version 4. See
-- commsafe.store.population. The old table is renamed here; the Python step of this migration
-- (commsafe.store._migrate_5) packs its rows and drops it.
-- boundaries: the geometry column holds shapes in the compact lossless form of
-- commsafe.store.shapes (or WKB where that form cannot reproduce a shape bit for bit); the
-- Python step re-encodes the WKB of older stores. Columns and types are unchanged.

CREATE TABLE population_bands (
    band_set SMALLINT NOT NULL,
    position SMALLINT NOT NULL,
    age_band VARCHAR NOT NULL,
    age_from SMALLINT,
    age_to   SMALLINT
);

CREATE TABLE population_rows (
    area_type VARCHAR NOT NULL,
    area_code VARCHAR NOT NULL,
    year      SMALLINT NOT NULL,
    sex       VARCHAR NOT NULL,
    band_set  SMALLINT NOT NULL,
    counts    DOUBLE[] NOT NULL,
    source    VARCHAR NOT NULL,
    load_id   BIGINT NOT NULL
);

ALTER TABLE population RENAME TO _v4_population;

CREATE VIEW population AS
SELECT r.area_type, r.area_code, r.year, r.sex, b.age_band, b.age_from, b.age_to,
       r.counts[b.position] AS population, r.source, r.load_id
FROM population_rows AS r JOIN population_bands AS b ON b.band_set = r.band_set;
