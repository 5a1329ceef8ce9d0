-- Proposals (usulan), regional price standards, the activity catalogue, and anomalies.

-- Unit prices of a regional standard (SSH: goods; HSPK: work), per region and year, whole rupiah.
CREATE TABLE price_item (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region_kode  text COLLATE "C" NOT NULL REFERENCES wilayah (kode),
    tahun        integer NOT NULL CHECK (tahun BETWEEN 2000 AND 2100),
    source       text NOT NULL CHECK (source IN ('ssh', 'hspk')),
    -- The file's own id (SSH id_ssh), or item|spesifikasi|satuan for files without one.
    external_id  text NOT NULL,
    item         text NOT NULL,
    spesifikasi  text NOT NULL DEFAULT '',
    satuan_raw   text NOT NULL,
    -- Normalised unit code (m, m2, m3, unit, ls, kg, t, l), NULL when not recognised.
    unit         text,
    harga        bigint NOT NULL CHECK (harga >= 0),
    kelompok     text,
    imported_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (region_kode, tahun, source, external_id)
);
CREATE INDEX price_item_lookup_idx ON price_item (unit, tahun, region_kode);

-- The activity catalogue: how an `Usulan Kegiatan` is recognised, the unit it is measured in, its
-- plausible volume in one RW, and the price item(s) its standard installed cost derives from:
-- standard = median harga of the items whose "item spesifikasi" matches price_pattern (SQL LIKE,
-- case-insensitive) in price_unit, times work_factor (which also converts units, e.g. m3 of
-- concrete to m2 of 15 cm road). Editable: `tinjau catalogue export` / `tinjau catalogue import`.
CREATE TABLE activity_type (
    code          text PRIMARY KEY CHECK (code ~ '^[a-z0-9_]+$'),
    nama          text NOT NULL,
    keywords      text[] NOT NULL CHECK (cardinality(keywords) > 0),
    unit          text NOT NULL,
    volume_min    numeric CHECK (volume_min >= 0),
    volume_max    numeric CHECK (volume_max >= volume_min),
    price_pattern text,
    price_unit    text,
    work_factor   numeric NOT NULL DEFAULT 1 CHECK (work_factor > 0),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

INSERT INTO activity_type (code, nama, keywords, unit, volume_min, volume_max, price_pattern, price_unit, work_factor) VALUES
 ('paving_block', 'Pemasangan paving block', '{paving,paving block,konblok,conblock,con block}', 'm2', 20, 1500, '%paving block natural 6 cm%', 'm2', 2.5),
 ('betonisasi_jalan', 'Betonisasi / rabat beton jalan', '{betonisasi,rabat beton,jalan beton,cor beton,pengecoran jalan,pengecoran}', 'm2', 20, 2000, '%k - 250 (ready mix)%', 'm3', 0.2),
 ('aspal_jalan', 'Pengaspalan jalan (hotmix)', '{aspal,pengaspalan,hotmix,hot mix,lapen}', 'm2', 50, 3000, 'hotmix%', 't', 0.15),
 ('saluran_drainase', 'Saluran / drainase', '{saluran,drainase,selokan,got,saluran air}', 'm', 10, 1000, '%u-ditch (50x50x120)%', 'm', 1.3),
 ('u_ditch', 'Saluran U-Ditch', '{u ditch,uditch,u-ditch}', 'm', 10, 800, '%u-ditch (50x50x120)%', 'm', 1.3),
 ('box_culvert', 'Box culvert / gorong-gorong', '{box culvert,gorong gorong,gorong}', 'm', 2, 60, '%gorong gorong box (80x80)%', 'm', 1.3),
 ('turap', 'Turap / talud', '{turap,talud,tembok penahan,dinding penahan}', 'm', 5, 300, 'batu kali%', 'm3', 3.75),
 ('jembatan', 'Jembatan kecil / penyeberangan', '{jembatan}', 'm', 2, 30, NULL, NULL, 1),
 ('pju', 'Penerangan jalan umum (PJU)', '{pju,penerangan jalan,lampu jalan,lampu penerangan}', 'unit', 1, 40, '%lampu pju%ael 70 watt%', 'unit', 1.4),
 ('trotoar', 'Trotoar / jalur pejalan kaki', '{trotoar,pedestrian,jalur pejalan kaki}', 'm2', 20, 1500, '%paving block natural 6 cm%', 'm2', 3.0);

CREATE TABLE proposal (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tahun           integer NOT NULL CHECK (tahun BETWEEN 2000 AND 2100),
    -- SHA-256 of the proposal's identity (year, kelurahan, RW, RT, No, usulan, lokasi, normalised):
    -- re-importing the same row finds the same proposal.
    natural_key     text NOT NULL,
    kelurahan_kode  text COLLATE "C" NOT NULL REFERENCES wilayah (kode),
    kecamatan_kode  text COLLATE "C" NOT NULL GENERATED ALWAYS AS (left(kelurahan_kode, 8)) STORED,
    rw              text,
    rt              text,
    nomor           text,
    permasalahan    text,
    program         text,
    usulan          text NOT NULL CHECK (btrim(usulan) <> ''),
    lokasi          text,
    volume          numeric NOT NULL CHECK (volume > 0),
    satuan_raw      text NOT NULL,
    unit            text,
    anggaran        bigint NOT NULL CHECK (anggaran >= 0),
    skpd_tujuan     text,
    status          text NOT NULL DEFAULT 'usulan',
    activity_code   text REFERENCES activity_type (code) ON UPDATE CASCADE ON DELETE SET NULL,
    pin             geometry(Point, 4326),
    source          text NOT NULL,
    source_row      integer,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tahun, natural_key)
);
CREATE INDEX proposal_kecamatan_idx ON proposal (kecamatan_kode, tahun);
CREATE INDEX proposal_kelurahan_idx ON proposal (kelurahan_kode, tahun);
CREATE INDEX proposal_pin_idx ON proposal USING gist (pin);

-- What the checks found, recomputed whenever their inputs change.
CREATE TABLE anomaly (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    proposal_id  bigint NOT NULL REFERENCES proposal (id) ON DELETE CASCADE,
    code         text NOT NULL,
    severity     text NOT NULL CHECK (severity IN ('info', 'warning', 'high')),
    message_id   text NOT NULL,
    message_en   text NOT NULL,
    details      jsonb NOT NULL,
    computed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX anomaly_proposal_idx ON anomaly (proposal_id);
CREATE INDEX anomaly_code_idx ON anomaly (code);
