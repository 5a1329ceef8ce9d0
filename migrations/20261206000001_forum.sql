-- The forum record of a kecamatan and year (what Form 1 and Form 2 need besides the decisions), kept
-- as one document the API reads and writes whole, with a version for If-Match; and what the forms
-- say of a kota's planning office.
CREATE TABLE forum_record (
    kecamatan_kode text COLLATE "C" NOT NULL REFERENCES wilayah (kode),
    tahun          integer NOT NULL CHECK (tahun BETWEEN 2000 AND 2100),
    record         jsonb NOT NULL CHECK (jsonb_typeof(record) = 'object'),
    version        integer NOT NULL DEFAULT 1 CHECK (version > 0),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    updated_by     text NOT NULL,
    PRIMARY KEY (kecamatan_kode, tahun)
);

CREATE TABLE kota_profile (
    kota_kode        text COLLATE "C" PRIMARY KEY REFERENCES wilayah (kode),
    office           text NOT NULL CHECK (btrim(office) <> ''),
    head_title       text NOT NULL CHECK (btrim(head_title) <> ''),
    ditetapkan_di    text NOT NULL CHECK (btrim(ditetapkan_di) <> ''),
    tembusan         jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(tembusan) = 'array'),
    report_due_month integer NOT NULL DEFAULT 3 CHECK (report_due_month BETWEEN 1 AND 12),
    report_due_day   integer NOT NULL DEFAULT 21 CHECK (report_due_day BETWEEN 1 AND 31),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT, UPDATE, DELETE ON forum_record, kota_profile TO tinjau_app;
