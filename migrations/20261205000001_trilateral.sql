-- The trilateral desk: old kelurahan names, the agency (OPD) register, the agencies' work plans
-- (Renja) and the desk's record (planner's match overrides and the outcome of each proposal).

-- Names a kelurahan was known by (a rename, a pemekaran, an old spelling a file still writes).
-- alias_key is the name as the resolver normalises it; one name means one kelurahan.
CREATE TABLE wilayah_alias (
    alias_key  text PRIMARY KEY CHECK (btrim(alias_key) <> ''),
    alias      text NOT NULL,
    kode       text COLLATE "C" NOT NULL REFERENCES wilayah (kode),
    source     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wilayah_alias_kode_idx ON wilayah_alias (kode);

-- An agency (OPD/SKPD/UKPD) and the city it serves (NULL: the whole province).
CREATE TABLE opd (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kode       text NOT NULL UNIQUE CHECK (kode ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    nama       text NOT NULL CHECK (btrim(nama) <> ''),
    singkatan  text,
    kota_kode  text COLLATE "C" REFERENCES wilayah (kode),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The spellings that mean an agency (its name, short names, the SKPD tujuan proposals write),
-- normalised. The same spelling may name agencies of different cities ("Sudin Bina Marga"): the
-- proposal's kelurahan picks the one.
CREATE TABLE opd_alias (
    opd_id    bigint NOT NULL REFERENCES opd (id) ON DELETE CASCADE,
    alias_key text NOT NULL CHECK (btrim(alias_key) <> ''),
    alias     text NOT NULL,
    PRIMARY KEY (opd_id, alias_key)
);
CREATE INDEX opd_alias_key_idx ON opd_alias (alias_key);

-- An opd-role account that plans for one agency (without a row here an opd account is Bappeda's:
-- every agency within its area).
CREATE TABLE opd_member (
    user_id bigint PRIMARY KEY REFERENCES app_user (id) ON DELETE CASCADE,
    opd_id  bigint NOT NULL REFERENCES opd (id)
);

-- One line of an agency's Renja: a sub-kegiatan (with its indicator and target) at a location.
CREATE TABLE renja_item (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    opd_id              bigint NOT NULL REFERENCES opd (id),
    tahun               integer NOT NULL CHECK (tahun BETWEEN 2000 AND 2100),
    -- SHA-256 of the line's identity (agency, year, sub-kegiatan code, uraian, location, indikator):
    -- re-importing the same line finds the same item.
    natural_key         text NOT NULL,
    kode_program        text,
    nama_program        text,
    kode_kegiatan       text,
    nama_kegiatan       text,
    kode_sub_kegiatan   text NOT NULL CHECK (kode_sub_kegiatan ~ '^[0-9A-Za-z]+(\.[0-9A-Za-z]+)*$'),
    nama_sub_kegiatan   text NOT NULL CHECK (btrim(nama_sub_kegiatan) <> ''),
    -- The line's own description (komponen/paket/uraian) when the file has one.
    uraian              text,
    indikator           text,
    target              numeric CHECK (target > 0),
    satuan_raw          text,
    unit                text,
    lokasi              text,
    kelurahan_kode      text COLLATE "C" REFERENCES wilayah (kode),
    kecamatan_kode      text COLLATE "C" REFERENCES wilayah (kode),
    geom                geometry(Geometry, 4326),
    pagu                bigint NOT NULL CHECK (pagu >= 0),
    sumber_dana         text,
    activity_code       text REFERENCES activity_type (code) ON UPDATE CASCADE ON DELETE SET NULL,
    source              text NOT NULL,
    source_row          integer,
    imported_at         timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (opd_id, tahun, natural_key),
    CHECK (kelurahan_kode IS NULL OR kecamatan_kode = left(kelurahan_kode, 8)),
    CHECK (geom IS NULL OR GeometryType(geom) IN ('POINT', 'LINESTRING', 'MULTILINESTRING'))
);
CREATE INDEX renja_item_opd_idx ON renja_item (tahun, opd_id);
CREATE INDEX renja_item_kecamatan_idx ON renja_item (tahun, kecamatan_kode);

-- A planner's correction of the matching for one proposal: the Renja item that addresses it, or
-- none (renja_item_id NULL: "nothing in the Renja takes this up"). The latest row counts.
CREATE TABLE trilateral_override (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    proposal_id    bigint NOT NULL REFERENCES proposal (id),
    renja_item_id  bigint REFERENCES renja_item (id),
    note           text NOT NULL CHECK (btrim(note) <> ''),
    decided_by     bigint REFERENCES app_user (id),
    decided_by_name text NOT NULL,
    decided_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX trilateral_override_proposal_idx ON trilateral_override (proposal_id, id);

-- The desk's outcome for an approved proposal. `version` is its ETag (0: no outcome yet).
CREATE TABLE trilateral_outcome (
    proposal_id      bigint PRIMARY KEY REFERENCES proposal (id),
    outcome          text NOT NULL CHECK (outcome IN
                         ('diterima', 'diterima_dengan_perubahan', 'digabungkan', 'ditolak', 'di_luar_kewenangan')),
    agreed_volume    numeric CHECK (agreed_volume > 0),
    agreed_pagu      bigint CHECK (agreed_pagu >= 0),
    merged_into      bigint REFERENCES proposal (id),
    renja_item_id    bigint REFERENCES renja_item (id),
    note             text,
    version          integer NOT NULL CHECK (version > 0),
    decided_by       bigint REFERENCES app_user (id),
    decided_by_name  text NOT NULL,
    decided_role     text NOT NULL,
    decided_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((outcome = 'diterima_dengan_perubahan') = (agreed_volume IS NOT NULL AND agreed_pagu IS NOT NULL)),
    CHECK (outcome = 'diterima_dengan_perubahan' OR (agreed_volume IS NULL AND agreed_pagu IS NULL)),
    CHECK ((outcome = 'digabungkan') = (merged_into IS NOT NULL)),
    CHECK (merged_into IS DISTINCT FROM proposal_id),
    CHECK (outcome NOT IN ('ditolak', 'di_luar_kewenangan') OR (note IS NOT NULL AND btrim(note) <> ''))
);

GRANT SELECT, INSERT, UPDATE, DELETE ON wilayah_alias, opd, opd_alias, opd_member, renja_item,
    trilateral_override, trilateral_outcome TO tinjau_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO tinjau_app;
