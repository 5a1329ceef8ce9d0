-- Foundation: PostGIS, the official area codes, and area boundaries.
CREATE EXTENSION IF NOT EXISTS postgis;

-- Kemendagri area codes. Codes use the "C" collation so that a code's descendants are one
-- contiguous, index-friendly range: kode >= '31.71.' AND kode < '31.71/' ('/' follows '.').
CREATE TABLE wilayah (
    kode        text COLLATE "C" PRIMARY KEY
                CHECK (kode ~ '^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?$'),
    nama        text NOT NULL CHECK (btrim(nama) <> ''),
    -- 1 provinsi, 2 kabupaten/kota, 3 kecamatan, 4 kelurahan/desa: the number of code segments.
    level       smallint NOT NULL CHECK (level = array_length(string_to_array(kode, '.'), 1)),
    parent_kode text COLLATE "C" REFERENCES wilayah (kode) DEFERRABLE INITIALLY DEFERRED,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((level = 1) = (parent_kode IS NULL))
);
CREATE INDEX wilayah_parent_kode_idx ON wilayah (parent_kode);

-- One boundary per area. Geometries are valid (repaired with ST_MakeValid on import).
CREATE TABLE boundary (
    kode        text COLLATE "C" PRIMARY KEY REFERENCES wilayah (kode),
    level       smallint NOT NULL CHECK (level BETWEEN 1 AND 4),
    geom        geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
    -- The file the geometry came from (name and SHA-256).
    source      text NOT NULL,
    -- Whether ST_MakeValid had to repair the imported geometry.
    repaired    boolean NOT NULL DEFAULT false,
    imported_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX boundary_geom_idx ON boundary USING gist (geom);
CREATE INDEX boundary_level_kode_idx ON boundary (level, kode);

-- Every reference-data import, for the record.
CREATE TABLE import_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL,
    source      text NOT NULL,
    sha256      text NOT NULL,
    rows_total  integer NOT NULL,
    inserted    integer NOT NULL,
    updated     integer NOT NULL,
    unchanged   integer NOT NULL,
    repaired    integer NOT NULL DEFAULT 0,
    imported_at timestamptz NOT NULL DEFAULT now()
);
