//! `tinjau bench recheck`: how long after a kelurahan-boundary import every survey's findings are
//! current, on a kota-sized SYNTHETIC set of surveys (the real Jakarta kelurahan polygons and codes,
//! the real activity catalogue; generated proposals, surveys, surveyors and photo records) in a
//! scratch database.

use std::time::Instant;

use anyhow::Context;
use sqlx::PgPool;
use uuid::Uuid;

use tinjau_workflows::analysis::SurveyRecheck;

#[derive(Debug, Clone)]
pub struct RecheckBench {
    pub database_url: String,
    /// Surveys (one per proposal).
    pub surveys: i64,
    /// Surveys checked one transaction each, for comparison (the way before the set re-check).
    pub one_by_one: usize,
    pub keep: bool,
}

/// Seeds, then times the re-check of every survey three ways: the first (every finding written),
/// again with nothing changed, and after a boundary change (the whole analysis, as `tinjau import
/// boundaries` runs it); and a sample checked one survey per transaction.
pub async fn recheck(bench: &RecheckBench) -> anyhow::Result<()> {
    crate::bench_review::with_scratch(&bench.database_url, "recheck", bench.keep, |url| async move {
        let pool = seed(&url, bench.surveys).await?;
        let index = tinjau_workflows::locator::load(&pool).await?;
        let ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM survey ORDER BY id")
            .fetch_all(&pool)
            .await?;
        let n = ids.len();
        let rate = |secs: f64| n as f64 / secs;

        let started = Instant::now();
        let first = tinjau_workflows::survey_checks::recheck(&pool, &index, &ids).await?;
        let first_s = started.elapsed().as_secs_f64();
        println!(
            "set re-check, every finding written:   {n} surveys in {first_s:.2} s ({:.0} surveys/s), {} changed",
            rate(first_s),
            first.changed
        );
        let started = Instant::now();
        let again = tinjau_workflows::survey_checks::recheck(&pool, &index, &ids).await?;
        let again_s = started.elapsed().as_secs_f64();
        println!(
            "set re-check, nothing changed:         {n} surveys in {again_s:.2} s ({:.0} surveys/s), {} changed",
            rate(again_s),
            again.changed
        );
        // What `tinjau import boundaries` runs after a kelurahan import: every proposal check and
        // every survey re-checked, on the polygons as imported.
        let started = Instant::now();
        let all = tinjau_workflows::analysis::recompute(&pool, &index, SurveyRecheck::All).await?;
        let all_s = started.elapsed().as_secs_f64();
        println!(
            "after a boundary import (the whole analysis: {} proposals, {} surveys): {all_s:.2} s",
            all.proposals, all.surveys_rechecked
        );
        let sample: Vec<Uuid> = ids.iter().take(bench.one_by_one).copied().collect();
        if !sample.is_empty() {
            let started = Instant::now();
            for id in &sample {
                tinjau_workflows::survey_checks::run_if_complete(&pool, &index, *id).await?;
            }
            let each_s = started.elapsed().as_secs_f64();
            let per_survey = each_s / sample.len() as f64;
            println!(
                "one transaction per survey (sample of {}): {:.1} ms each, {:.0} surveys/s: {n} would take {:.1} s ({:.1}x the set re-check)",
                sample.len(),
                per_survey * 1000.0,
                1.0 / per_survey,
                per_survey * n as f64,
                per_survey * n as f64 / first_s
            );
        }
        pool.close().await;
        Ok(())
    })
    .await
}

/// Migrates, loads the official code list and Jakarta's real kelurahan polygons, and generates
/// `surveys` proposals over Jakarta Pusat's kelurahan, each surveyed once, with two received and
/// read photo records (EXIF position beside the fix, a perceptual hash; one survey in a hundred
/// reuses another's photo), by 50 surveyors 20 minutes apart.
async fn seed(url: &str, surveys: i64) -> anyhow::Result<PgPool> {
    let pool = tinjau_db::migrated_pool(url, 8).await?;
    let started = Instant::now();
    tinjau_workflows::import::wilayah::import(
        &pool,
        std::path::Path::new("data/wilayah/wilayah.csv"),
        false,
    )
    .await
    .context("importing data/wilayah/wilayah.csv (run from the checkout)")?;
    tinjau_workflows::import::boundaries::import(
        &pool,
        std::path::Path::new("data/boundaries/dki_kelurahan.geojson"),
        survey_schema::WilayahLevel::Kelurahan,
        false,
        false,
    )
    .await
    .context("importing data/boundaries/dki_kelurahan.geojson")?;
    for n in 1..=50 {
        tinjau_db::user::create(
            &pool,
            &format!("surveyor.bench.{n}"),
            "surveyor",
            Some("31.71"),
            None,
        )
        .await?;
    }
    // Proposals of the ten catalogue activities on many streets, pinned around a point inside
    // their kelurahan (up to about 170 m off it, spread by a hash), as a kota's list is: a few
    // near-duplicates, not a list of one activity on one spot.
    sqlx::query(
        "INSERT INTO proposal (tahun, natural_key, kelurahan_kode, rw, rt, nomor, usulan, lokasi,
                               volume, satuan_raw, unit, anggaran, skpd_tujuan, status, activity_code, pin, source, source_row)
         SELECT 2026, md5('bench/' || g), k.kode, lpad((1 + g % 12)::text, 2, '0'), lpad((1 + g % 9)::text, 3, '0'), g::text,
                a.usulan || ' Jl. ' || (ARRAY['Kenanga', 'Melati', 'Mawar', 'Cempaka', 'Flamboyan', 'Anggrek', 'Dahlia', 'Kamboja'])[1 + g % 8]
                         || ' ' || (ARRAY['Raya', 'Dalam', 'Barat', 'Timur', 'Utara', 'Selatan'])[1 + (g / 8) % 6] || ' Gg. ' || (g % 97),
                'Jl. Contoh ' || g,
                10 + g % 400, a.unit, a.unit, (10 + g % 400) * 160000, 'Suku Dinas Bina Marga',
                'usulan', a.code,
                ST_Translate(ST_PointOnSurface(k.geom),
                             ((('x' || substr(md5('lon' || g), 1, 8))::bit(32)::int8 % 1000) / 1000.0 - 0.5) * 0.003,
                             ((('x' || substr(md5('lat' || g), 1, 8))::bit(32)::int8 % 1000) / 1000.0 - 0.5) * 0.003),
                'bench (synthetic)', g
           FROM generate_series(1, $1::int8) g
           JOIN LATERAL (SELECT b.kode, b.geom FROM boundary b
                          WHERE b.level = 4 AND left(b.kode, 5) = '31.71'
                          ORDER BY b.kode OFFSET (g % 44) LIMIT 1) k ON true
           JOIN LATERAL (SELECT t.code, t.unit,
                                -- In the order of the codes: aspal_jalan, betonisasi_jalan, box_culvert, ...
                                (ARRAY['Pengaspalan jalan', 'Betonisasi jalan lingkungan', 'Pemasangan box culvert',
                                       'Perbaikan jembatan', 'Pemasangan paving block', 'Pemasangan lampu PJU',
                                       'Pembangunan saluran drainase', 'Perbaikan trotoar', 'Pembangunan turap',
                                       'Pemasangan u-ditch'])[1 + (g / 44) % 10] AS usulan
                           FROM activity_type t
                          ORDER BY t.code OFFSET (g / 44) % 10 LIMIT 1) a ON true",
    )
    .bind(surveys)
    .execute(&pool)
    .await?;
    sqlx::query(
        "INSERT INTO survey (id, proposal_id, surveyor_id, body, body_sha256, captured_at, fix, accuracy_m)
         SELECT md5('survey/' || p.id)::uuid, p.id, u.id,
                jsonb_build_object(
                    'proposal_id', p.id, 'captured_at', to_char(t.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                    'fix', jsonb_build_object('lat', ST_Y(p.pin), 'lon', ST_X(p.pin), 'accuracy_m', 6.0,
                                              'altitude_m', NULL, 'fix_time', to_char(t.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')),
                    'trace', NULL, 'address_confirmed', true, 'address_note', NULL,
                    'technical', jsonb_build_object('ok', true, 'note', NULL),
                    'administrative', jsonb_build_object('ok', true, 'note', NULL),
                    'volume', jsonb_build_object('value', (p.volume * (1 + (p.id % 5) * 0.1))::text, 'satuan', p.unit),
                    'photos', jsonb_build_array(
                        jsonb_build_object('sha256', md5('a' || p.id) || md5('b' || p.id), 'bytes', 2000000,
                                           'content_type', 'image/jpeg', 'caption', NULL),
                        jsonb_build_object('sha256', md5('c' || CASE WHEN p.id % 100 = 0 THEN p.id - 1 ELSE p.id END)
                                                     || md5('d' || CASE WHEN p.id % 100 = 0 THEN p.id - 1 ELSE p.id END),
                                           'bytes', 2000000, 'content_type', 'image/jpeg', 'caption', NULL)),
                    'supersedes', NULL),
                md5('body/' || p.id), t.at, p.pin, 6.0
           FROM proposal p
           JOIN app_user u ON u.name = 'surveyor.bench.' || (1 + p.id % 50)
          CROSS JOIN LATERAL (SELECT timestamptz '2026-01-05 01:00:00+00' + (p.id / 50) * interval '20 minutes' AS at) t",
    )
    .execute(&pool)
    .await?;
    sqlx::query(
        "INSERT INTO survey_photo (survey_id, sha256, bytes, content_type, received_at, processed_at, has_thumbnail,
                                   exif, width, height, phash)
         SELECT s.id, (s.body->'photos'->x.i->>'sha256'), 2000000, 'image/jpeg', now(), now(), true,
                jsonb_build_object('gps_lat', ST_Y(s.fix) + 0.0001, 'gps_lon', ST_X(s.fix),
                                   'taken_at', to_char(s.captured_at AT TIME ZONE 'UTC', 'YYYY:MM:DD HH24:MI:SS'),
                                   'make', 'SYNTHETIC', 'model', 'bench'),
                4000, 3000, ('x' || left(md5(s.body->'photos'->x.i->>'sha256'), 16))::bit(64)::int8
           FROM survey s CROSS JOIN (VALUES (0), (1)) x(i)",
    )
    .execute(&pool)
    .await?;
    sqlx::query("ANALYZE").execute(&pool).await?;
    println!(
        "seeded (SYNTHETIC) {surveys} surveys of as many proposals over Jakarta Pusat's real kelurahan, 2 photo records each, 50 surveyors, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(pool)
}
