//! Backup and restore, the whole round trip through the real binary: Gambir's reviewed proposals
//! (decisions, audit trail) and surveys with real camera photos and their thumbnails, backed up
//! with `tinjau backup` (pg_dump of one snapshot, the photos copied), restored with `tinjau
//! restore` into an empty database and an empty store, and verified. A photo missing from a backup,
//! or a photo or an audit row missing after a restore, is found.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// One story, told in order: the backup, the restore, what goes missing.
#![allow(clippy::too_many_lines)]

use std::path::Path;
use std::process::Output;

use reqwest::StatusCode;
use survey_schema::Role;
use tinjau_tests::field::{photo, put_photo, put_survey, record};
use tinjau_tests::review::{decide_all, setup};
use uuid::Uuid;

fn tinjau(database_url: &str, args: &[&str]) -> Output {
    std::process::Command::new(tinjau_tests::tinjau_binary().unwrap())
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Waits until the photo workers have made every thumbnail (at most 60 s).
async fn thumbnails_made(pool: &sqlx::PgPool, expected: i64) {
    for _ in 0..600 {
        let made: i64 = sqlx::query_scalar("SELECT count(*) FROM survey_photo WHERE has_thumbnail")
            .fetch_one(pool)
            .await
            .unwrap();
        if made >= expected {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the thumbnails were not made");
}

fn only_backup(root: &Path) -> std::path::PathBuf {
    let dirs: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("manifest.json").exists())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].clone()
}

#[tokio::test]
async fn a_backup_restores_into_an_empty_cluster_and_store_whole_or_says_what_is_missing() {
    let r = setup().await;
    decide_all(&r).await;
    let surveyor = r.app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let photos = [
        photo("DSCN0010.jpg"),
        photo("Canon_40D.jpg"),
        photo("no_exif.jpg"),
    ];
    for (proposal, pictures) in [(r.ids[0], &photos[..2]), (r.ids[1], &photos[2..])] {
        let survey = Uuid::new_v4().to_string();
        let declared: Vec<(&str, &[u8])> =
            pictures.iter().map(|p| ("depan", p.as_slice())).collect();
        let (status, body) =
            put_survey(&r.app, &surveyor, &survey, &record(proposal, &declared)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        for p in pictures {
            assert_eq!(
                put_photo(&r.app, &surveyor, &survey, p).await,
                StatusCode::CREATED
            );
        }
    }
    thumbnails_made(&r.app.pool, 3).await;
    let audit_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_event")
        .fetch_one(&r.app.pool)
        .await
        .unwrap();
    assert!(audit_rows > 0);

    // The backup.
    let backups = tempfile::tempdir().unwrap();
    let root = backups.path().join("tinjau");
    let storage = r.app.storage.path().to_str().unwrap().to_owned();
    let out = tinjau(
        &r.app.database_url,
        &[
            "backup",
            "--to",
            root.to_str().unwrap(),
            "--storage-dir",
            &storage,
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("6 objects (6 copied now"),
        "{}",
        text(&out)
    );
    let made = only_backup(&root);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(made.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["counts"]["audit_event"], audit_rows);
    assert_eq!(manifest["counts"]["survey_photo"], 3);
    let out = tinjau(
        &r.app.database_url,
        &["restore", "--check", made.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out));

    // The restore into a new, empty database and an empty store, verified.
    let empty = tinjau_tests::empty_database().await.unwrap();
    let new_store = tempfile::tempdir().unwrap();
    let out = tinjau(
        &empty,
        &[
            "restore",
            made.to_str().unwrap(),
            "--storage-dir",
            new_store.path().to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("audit trail intact"), "{}", text(&out));
    assert!(text(&out).contains("6 objects"), "{}", text(&out));
    // The server's own role works on the restored database.
    let out = tinjau(&empty, &["audit", "verify"]);
    assert!(out.status.success(), "{}", text(&out));

    // The same backup into an S3 bucket (the real S3-compatible server) and another database.
    let (endpoint, access, secret) = tinjau_tests::local_s3();
    let bucket = format!("restore-{}", Uuid::new_v4().simple());
    let in_s3 = tinjau_tests::empty_database().await.unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(tinjau_tests::tinjau_binary().unwrap())
        .args([
            "restore",
            made.to_str().unwrap(),
            "--storage-dir",
            scratch.path().to_str().unwrap(),
            "--s3-bucket",
            &bucket,
            "--s3-endpoint",
            &endpoint,
        ])
        .env("DATABASE_URL", &in_s3)
        .env("AWS_ACCESS_KEY_ID", &access)
        .env("AWS_SECRET_ACCESS_KEY", &secret)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("6 objects"), "{}", text(&out));

    // What the restore verifies catches a photo or an audit row gone from the restored copy.
    let pool = tinjau_workflows::database::connect_as_owner(&empty, 2)
        .await
        .unwrap();
    let store = tinjau_workflows::storage::Storage::open(new_store.path())
        .await
        .unwrap();
    let read = tinjau_workflows::backup::read_manifest(&made)
        .await
        .unwrap();
    let whole = tinjau_workflows::backup::verify(&pool, &store, &read)
        .await
        .unwrap();
    assert!(whole.problems.is_empty(), "{:?}", whole.problems);
    let sha = tinjau_tests::field::sha(&photos[1]);
    let stored = new_store
        .path()
        .join("objects/photos")
        .join(&sha[..2])
        .join(&sha);
    std::fs::remove_file(&stored).unwrap();
    // As a superuser going around the append-only trigger.
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("DELETE FROM audit_event WHERE seq = (SELECT max(seq) FROM audit_event)")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let broken = tinjau_workflows::backup::verify(&pool, &store, &read)
        .await
        .unwrap();
    let said = broken.problems.join("\n");
    assert!(
        said.contains(&format!("photos/{sha}: missing from the store")),
        "{said}"
    );
    assert!(said.contains("table audit_event:"), "{said}");
    assert!(said.contains("the audit trail ends at"), "{said}");

    // A photo missing from the backup itself: the check names it, and a restore takes nothing.
    let in_backup = root.join("objects/photos").join(&sha[..2]).join(&sha);
    std::fs::remove_file(&in_backup).unwrap();
    let out = tinjau(
        &r.app.database_url,
        &["restore", "--check", made.to_str().unwrap()],
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains(&format!("photos/{sha}: missing from the backup")),
        "{}",
        text(&out)
    );
    let another = tinjau_tests::empty_database().await.unwrap();
    let out = tinjau(
        &another,
        &[
            "restore",
            made.to_str().unwrap(),
            "--storage-dir",
            new_store.path().to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("nothing restored"), "{}", text(&out));
    let tables: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            .fetch_one(
                &tinjau_workflows::database::connect_as_owner(&another, 1)
                    .await
                    .unwrap(),
            )
            .await
            .unwrap();
    assert_eq!(tables, 0);

    // The next backup copies only what is not there yet: the photo the root lost.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = tinjau(
        &r.app.database_url,
        &[
            "backup",
            "--to",
            root.to_str().unwrap(),
            "--storage-dir",
            &storage,
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("6 objects (1 copied now"),
        "{}",
        text(&out)
    );
}
