//! The audit trail is append-only in the database and a Merkle log: the application's role cannot
//! change it, a superuser is stopped by the trigger, and what a superuser changes, removes or
//! reorders behind the application's back (triggers disabled) — an entry, a leaf, a signed head —
//! is found by `tinjau audit verify`. The whole review runs here through the real CLI; the proofs
//! are read from a real server and checked as a reader of a Berita Acara would.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

use sqlx::Executor;
use tinjau_tests::{Fixture, fresh_database, tinjau_binary};

/// The signing key of this test process's logs (kept out of the checkout's storage).
fn audit_key() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

fn tinjau(url: &str, args: &[&str]) -> Output {
    Command::new(tinjau_binary().unwrap())
        .args(args)
        .env("DATABASE_URL", url)
        .env("TINJAU_AUDIT_KEY", audit_key().join("audit.key"))
        .env("RUST_LOG", "warn")
        .output()
        .expect("running tinjau")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn ok(url: &str, args: &[&str]) -> String {
    let out = tinjau(url, args);
    assert!(out.status.success(), "tinjau {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const FILE: &str = "\
No;Usulan Kegiatan;Lokasi;Kode Kelurahan;Volume;Satuan;Perkiraan Anggaran;SKPD Tujuan
1;Pemasangan paving block;Jl. Cideng Barat;31.71.01.1002;200;m2;Rp 32.000.000;Suku Dinas Bina Marga
2;Pembangunan saluran drainase;Jl. Kebon Kelapa Raya;31.71.01.1003;100;m;Rp 150.000.000;Suku Dinas SDA
";

/// A database where the whole review ran through the CLI: import, an account and its token, the
/// list, decisions (one refused first), Kirim. Returns its URL and a superuser pool on it.
async fn reviewed() -> (String, sqlx::PgPool) {
    let url = fresh_database(Fixture::Reference).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("usulan.csv");
    std::fs::write(&file, FILE).unwrap();
    ok(
        &url,
        &[
            "import",
            "proposals",
            file.to_str().unwrap(),
            "--tahun",
            "2026",
        ],
    );
    ok(
        &url,
        &[
            "user",
            "add",
            "--name",
            "camat.gambir",
            "--role",
            "camat",
            "--wilayah",
            "31.71.01",
        ],
    );
    ok(
        &url,
        &["token", "issue", "--user", "camat.gambir", "--no-qr"],
    );
    // The forum record the Berita Acara needs (SYNTHETIC people), set from the console.
    let record = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        record.path(),
        tinjau_tests::forum_record_example().to_string(),
    )
    .unwrap();
    let saved = ok(
        &url,
        &[
            "forum",
            "set",
            "--kecamatan",
            "31.71.01",
            "--tahun",
            "2026",
            "--file",
            record.path().to_str().unwrap(),
        ],
    );
    assert!(saved.contains("complete for the Berita Acara"), "{saved}");
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM proposal ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    let (paving, drainage) = (ids[0].to_string(), ids[1].to_string());
    let listed = ok(
        &url,
        &[
            "review",
            "list",
            "--kecamatan",
            "31.71.01",
            "--tahun",
            "2026",
        ],
    );
    assert!(listed.contains("2 physical proposals"), "{listed}");

    let refused = tinjau(
        &url,
        &[
            "review",
            "kirim",
            "--kecamatan",
            "31.71.01",
            "--tahun",
            "2026",
        ],
    );
    assert!(!refused.status.success());
    assert!(text(&refused).contains("undecided"), "{}", text(&refused));
    let refused = tinjau(
        &url,
        &["review", "decide", &paving, "reject", "--reason", "g"],
    );
    assert!(
        text(&refused).contains("note_required"),
        "{}",
        text(&refused)
    );

    let out = ok(
        &url,
        &[
            "review",
            "decide",
            &paving,
            "set-volume",
            "--volume",
            "180",
            "--satuan",
            "M2",
        ],
    );
    assert!(
        out.contains("undecided -> corrected (180 M2, Rp 28800000); version 2"),
        "{out}"
    );
    ok(
        &url,
        &[
            "review",
            "decide",
            &drainage,
            "reject",
            "--reason",
            "e",
            "--note",
            "Swadaya warga",
        ],
    );
    let sent = ok(
        &url,
        &[
            "review",
            "kirim",
            "--kecamatan",
            "31.71.01",
            "--tahun",
            "2026",
        ],
    );
    assert!(sent.contains("1 agreed, 1 not agreed"), "{sent}");
    // Every entry a leaf of the log under a signed head (the server's sequencer does this within
    // a second; no server runs here).
    let sequenced = ok(&url, &["audit", "sequence"]);
    assert!(sequenced.contains("leaves, root"), "{sequenced}");
    (url, pool)
}

fn verify(url: &str) -> (bool, String) {
    let out = tinjau(url, &["audit", "verify"]);
    (out.status.success(), text(&out))
}

#[tokio::test]
async fn an_untouched_trail_verifies_and_the_database_refuses_changes_to_it() {
    let (url, pool) = reviewed().await;
    let (intact, report) = verify(&url);
    assert!(intact, "{report}");
    assert!(report.contains("intact"), "{report}");
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT action FROM audit_event ORDER BY action")
            .fetch_all(&pool)
            .await
            .unwrap();
    for expected in [
        "decision.put",
        "import",
        "kirim.send",
        "proposals.import",
        "token.issue",
        "user.create",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} not in {actions:?}"
        );
    }
    let token_rows: Vec<String> =
        sqlx::query_scalar("SELECT after::text FROM audit_event WHERE entity = 'token'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(
        token_rows.iter().all(|t| !t.contains("tjau_")),
        "no token in the trail: {token_rows:?}"
    );

    // The application's own role has no UPDATE, DELETE or TRUNCATE on it.
    let app = tinjau_db::connect(&url, 1).await.unwrap();
    for sql in [
        "UPDATE audit_event SET actor = 'x' WHERE seq = 1",
        "DELETE FROM audit_event WHERE seq = 1",
        "TRUNCATE audit_event",
        // A forged row, even with the right hash, can only come through audit_append().
        "INSERT INTO audit_event SELECT seq + 1000, at, actor, actor_id, actor_role, action, entity, entity_id,
                proposal_id, kecamatan_kode, before, after, request_id, prev_hash, row_hash FROM audit_event WHERE seq = 1",
    ] {
        let err = sqlx::query(sql).execute(&app).await.unwrap_err();
        assert!(
            err.to_string().contains("permission denied"),
            "{sql}: {err}"
        );
    }
    // Even a superuser is stopped by the trigger.
    for sql in [
        "UPDATE audit_event SET actor = 'x' WHERE seq = 1",
        "DELETE FROM audit_event WHERE seq = 1",
        "TRUNCATE audit_event",
    ] {
        let err = sqlx::query(sql).execute(&pool).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert!(verify(&url).0);
}

/// Runs `sql` as a superuser with the triggers off: what someone behind the application could do.
async fn behind_the_back(pool: &sqlx::PgPool, sql: &'static str) {
    let mut conn = pool.acquire().await.unwrap();
    conn.execute("SET session_replication_role = replica")
        .await
        .unwrap();
    conn.execute(sql).await.unwrap();
    conn.execute("SET session_replication_role = DEFAULT")
        .await
        .unwrap();
}

#[tokio::test]
async fn a_changed_row_is_found() {
    let (url, pool) = reviewed().await;
    let seq: i64 = sqlx::query_scalar(
        "SELECT seq FROM audit_event WHERE action = 'decision.put' ORDER BY seq LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    behind_the_back(
        &pool,
        "UPDATE audit_event SET after = jsonb_set(after, '{decision,after,volume}', '\"999\"') WHERE action = 'decision.put' AND seq = (SELECT min(seq) FROM audit_event WHERE action = 'decision.put')",
    )
    .await;
    let (intact, report) = verify(&url);
    assert!(!intact, "{report}");
    assert!(
        report.contains(&format!("BROKEN at #{seq}: its content was changed")),
        "{report}"
    );
}

#[tokio::test]
async fn a_removed_row_is_found() {
    let (url, pool) = reviewed().await;
    let leaf: i64 = sqlx::query_scalar("SELECT leaf_index FROM audit_leaf WHERE seq = 3")
        .fetch_one(&pool)
        .await
        .unwrap();
    behind_the_back(&pool, "DELETE FROM audit_event WHERE seq = 3").await;
    let (intact, report) = verify(&url);
    assert!(!intact, "{report}");
    assert!(
        report.contains(&format!("leaf {leaf} names entry #3, which is gone")),
        "{report}"
    );
}

#[tokio::test]
async fn an_entry_removed_before_it_became_a_leaf_is_found_by_the_queue() {
    let (url, pool) = reviewed().await;
    // A change after the last sequencing: its entries wait in the queue.
    ok(
        &url,
        &[
            "user",
            "add",
            "--name",
            "lurah.baru",
            "--role",
            "lurah",
            "--wilayah",
            "31.71.01.1002",
        ],
    );
    let seq: i64 = sqlx::query_scalar("SELECT max(seq) FROM audit_event")
        .fetch_one(&pool)
        .await
        .unwrap();
    let (intact, report) = verify(&url);
    assert!(intact, "{report}");
    assert!(
        report.contains("entries wait for the sequencer"),
        "{report}"
    );
    behind_the_back(
        &pool,
        "DELETE FROM audit_event WHERE seq = (SELECT max(seq) FROM audit_event)",
    )
    .await;
    let (intact, report) = verify(&url);
    assert!(!intact, "{report}");
    assert!(
        report.contains(&format!(
            "entry #{seq} was waiting to become a leaf and is gone"
        )),
        "{report}"
    );
}

#[tokio::test]
async fn reordered_leaves_are_found_by_the_signed_heads() {
    let (url, pool) = reviewed().await;
    // Swap the first two leaves whole (entry and hash): each still matches its entry, but the
    // tree's root no longer is the one signed.
    behind_the_back(
        &pool,
        "UPDATE audit_leaf SET seq = -seq WHERE leaf_index IN (0, 1)",
    )
    .await;
    behind_the_back(
        &pool,
        "UPDATE audit_leaf l SET seq = -o.seq, leaf_hash = o.leaf_hash FROM audit_leaf o
          WHERE l.leaf_index IN (0, 1) AND o.leaf_index = 1 - l.leaf_index",
    )
    .await;
    let (intact, report) = verify(&url);
    assert!(!intact, "{report}");
    assert!(
        report.contains("leaves were changed or reordered"),
        "{report}"
    );
    assert!(!report.contains("does not match entry"), "{report}");
}

/// The stored subtrees proofs are made of: a changed one is found, and a log without them (made
/// before they were stored) is filled by `audit_fill_nodes()`, as the migration does, and verifies.
#[tokio::test]
async fn a_changed_or_missing_stored_subtree_is_found_and_the_fill_makes_them_again() {
    let (url, pool) = reviewed().await;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_node")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(stored >= 2, "{stored} subtrees");
    behind_the_back(
        &pool,
        "UPDATE audit_node SET hash = repeat('b', 64) WHERE level = 1 AND node_index = 0",
    )
    .await;
    let (intact, report) = verify(&url);
    assert!(!intact, "{report}");
    assert!(report.contains("1/0 differs"), "{report}");

    behind_the_back(&pool, "DELETE FROM audit_node").await;
    let (intact, report) = verify(&url);
    assert!(!intact, "{report}");
    assert!(
        report.contains(&format!("{stored} stored subtree(s)")) && report.contains("is missing"),
        "{report}"
    );
    let filled: i64 = sqlx::query_scalar("SELECT audit_fill_nodes()")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(filled, stored);
    let (intact, report) = verify(&url);
    assert!(intact, "{report}");
}

#[tokio::test]
async fn leaves_cut_off_at_the_end_or_a_forged_head_are_found() {
    let (url, pool) = reviewed().await;
    behind_the_back(
        &pool,
        "DELETE FROM audit_leaf WHERE leaf_index >= (SELECT max(leaf_index) - 1 FROM audit_leaf)",
    )
    .await;
    let (intact, report) = verify(&url);
    assert!(!intact, "{report}");
    assert!(report.contains("leaves were removed"), "{report}");

    let (url, pool) = reviewed().await;
    behind_the_back(
        &pool,
        "UPDATE audit_tree_head SET root_hash = repeat('a', 64) WHERE tree_size = (SELECT max(tree_size) FROM audit_tree_head)",
    )
    .await;
    let (intact, report) = verify(&url);
    assert!(!intact, "{report}");
    assert!(
        report.contains("does not carry a valid signature"),
        "{report}"
    );
}

#[tokio::test]
async fn rows_removed_at_the_end_are_found_by_the_head_recorded_at_kirim() {
    let (url, pool) = reviewed().await;
    behind_the_back(
        &pool,
        "DELETE FROM audit_event WHERE seq > (SELECT max(seq) - 2 FROM audit_event)",
    )
    .await;
    let (intact, report) = verify(&url);
    assert!(!intact, "{report}");
    assert!(
        report.contains("recorded at the Kirim of 31.71.01 2026 is no longer in the chain"),
        "{report}"
    );
}

#[tokio::test]
async fn a_changed_kirim_snapshot_is_found() {
    let (url, pool) = reviewed().await;
    behind_the_back(
        &pool,
        "UPDATE kirim SET snapshot = jsonb_set(snapshot, '{items,0,anggaran}', '1')",
    )
    .await;
    let (intact, report) = verify(&url);
    assert!(!intact, "{report}");
    assert!(
        report.contains("the snapshot sent with the Kirim of 31.71.01 2026"),
        "{report}"
    );
}
