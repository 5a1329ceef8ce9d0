//! The national desa and kelurahan polygons as they come (`../shared/data/boundaries/indonesia/`,
//! gzipped per province): Aceh's file, with the one ring among the country's 83,246 features that
//! does not end where it starts (kode 11.10.09.2009), is refused whole by default, naming it, and
//! imported with `--repair`, which lists the ring it closed.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use tinjau_tests::{Fixture, fresh_database, repo_root, tinjau_binary};

#[tokio::test]
async fn acehs_real_file_is_refused_for_its_open_ring_and_imported_when_asked_to_close_it() {
    let file = repo_root().join("../shared/data/boundaries/indonesia/kelurahan_11.geojson.gz");
    assert!(file.is_file(), "{} missing", file.display());
    let url = fresh_database(Fixture::Reference).await.unwrap();
    let run = |extra: &[&str]| {
        Command::new(tinjau_binary().unwrap())
            .args(["import", "boundaries"])
            .arg(&file)
            .args(["--level", "kelurahan", "--no-progress"])
            .args(extra)
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let refused = run(&[]);
    let text = String::from_utf8_lossy(&refused.stderr).into_owned()
        + &String::from_utf8_lossy(&refused.stdout);
    assert!(!refused.status.success(), "{text}");
    assert!(
        text.contains("kode 11.10.09.2009")
            && text.contains("is not closed")
            && text.contains("--repair"),
        "{text}"
    );
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let count = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM boundary b JOIN wilayah w USING (kode) WHERE b.kode LIKE '11.%'",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    assert_eq!(count().await, 0, "a refused file imports nothing");

    let imported = run(&["--repair"]);
    let text = String::from_utf8_lossy(&imported.stdout).into_owned()
        + &String::from_utf8_lossy(&imported.stderr);
    assert!(imported.status.success(), "{text}");
    assert!(
        text.contains("closed 1 ring(s)")
            && text.contains("(kode 11.10.09.2009): polygon 0, ring 0 was not closed"),
        "{text}"
    );
    assert!(count().await > 6_000, "{text}");
}
