//! The audit log's proofs from a real server, checked as a reader of a Berita Acara would check
//! them, with nothing but the hashes: the signed head's signature, an entry's inclusion under it,
//! and an older head's consistency with a newer one. The server's sequencer makes the leaves.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::Value;
use tinjau_domain::merkle::{Hash, leaf_hash, verify_consistency, verify_inclusion};
use tinjau_tests::{TestApp, spawn_app_with_reference_data};
use tinjau_workflows::audit::key;

fn unhex(text: &Value) -> Hash {
    <[u8; 32]>::try_from(hex::decode(text.as_str().unwrap()).unwrap().as_slice()).unwrap()
}

/// The newest head once it covers every entry appended so far (the sequencer is at most about a
/// second behind).
async fn head_covering_all(app: &TestApp) -> Value {
    let entries: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_event")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let response = app.get("/api/v1/audit/head").await;
        if response.status() == 200 {
            let head: Value = response.json().await.unwrap();
            if head["tree_size"].as_i64().unwrap() >= entries {
                return head;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the sequencer did not integrate {entries} entries"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A proof from the server, and its hashes.
async fn proof_at(app: &TestApp, path: &str) -> (Value, Vec<Hash>) {
    let proof: Value = app.get(path).await.json().await.unwrap();
    let hashes = proof["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(unhex)
        .collect();
    (proof, hashes)
}

fn signed(head: &Value) -> bool {
    let text = head["checkpoint"].as_str().unwrap();
    text == format!(
        "tinjau-audit\n{}\n{}\n{}\n",
        head["tree_size"],
        head["root_hash"].as_str().unwrap(),
        text.lines().nth(3).unwrap()
    ) && key::verify(
        head["public_key"].as_str().unwrap(),
        text,
        head["signature"].as_str().unwrap(),
    )
}

#[tokio::test]
async fn an_entry_is_proven_in_the_signed_log_and_an_older_head_a_prefix_of_a_newer() {
    let app = spawn_app_with_reference_data().await;
    app.import_proposals(
        "No,Kelurahan,RW,Usulan Kegiatan,Lokasi,Volume,Satuan,Perkiraan Anggaran\n\
         1,Cideng,02,Pemasangan paving block,Jl. Cideng Barat,200,m2,30000000\n",
        2026,
    )
    .await;
    let first = head_covering_all(&app).await;
    assert!(signed(&first), "{first}");

    // The newest entry: its hash as the trail holds it, proven under the head.
    let (seq, row_hash): (i64, String) =
        sqlx::query_as("SELECT seq, row_hash FROM audit_event ORDER BY seq DESC LIMIT 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let (proof, path) = proof_at(&app, &format!("/api/v1/audit/entries/{seq}/proof")).await;
    assert_eq!(proof["entry_hash"], row_hash.as_str());
    let leaf = leaf_hash(&unhex(&proof["entry_hash"]));
    assert_eq!(hex::encode(leaf), proof["leaf_hash"].as_str().unwrap());
    let head = &proof["head"];
    assert!(signed(head));
    let (index, size) = (
        proof["leaf_index"].as_u64().unwrap(),
        head["tree_size"].as_u64().unwrap(),
    );
    assert!(verify_inclusion(
        index,
        size,
        &leaf,
        &path,
        &unhex(&head["root_hash"])
    ));
    // A changed entry is not in the log.
    let forged = leaf_hash(&[0; 32]);
    assert!(!verify_inclusion(
        index,
        size,
        &forged,
        &path,
        &unhex(&head["root_hash"])
    ));

    // More changes; the first head is a prefix of the newer one.
    app.import_proposals(
        "No,Kelurahan,RW,Usulan Kegiatan,Lokasi,Volume,Satuan,Perkiraan Anggaran\n\
         2,Cideng,03,Perbaikan saluran,Jl. Cideng Timur,100,m,15000000\n",
        2026,
    )
    .await;
    let second = head_covering_all(&app).await;
    let (old, new) = (
        first["tree_size"].as_u64().unwrap(),
        second["tree_size"].as_u64().unwrap(),
    );
    assert!(new > old);
    let (_, path) = proof_at(
        &app,
        &format!("/api/v1/audit/consistency?from={old}&to={new}"),
    )
    .await;
    assert!(verify_consistency(
        old,
        new,
        &unhex(&first["root_hash"]),
        &unhex(&second["root_hash"]),
        &path
    ));
    assert!(!verify_consistency(
        old,
        new,
        &leaf_hash(b"rewritten"),
        &unhex(&second["root_hash"]),
        &path
    ));
    // The old entry is still proven under the newer head.
    let under_newer = format!("/api/v1/audit/entries/{seq}/proof?tree_size={new}");
    let (_, path) = proof_at(&app, &under_newer).await;
    assert!(verify_inclusion(
        index,
        new,
        &leaf,
        &path,
        &unhex(&second["root_hash"])
    ));

    // Subtrees missing behind the server's back (as leaves an older sequencer integrated would
    // be): the proof stores them again and still verifies.
    let mut conn = app.pool.acquire().await.unwrap();
    for sql in [
        "SET session_replication_role = replica",
        "DELETE FROM audit_node",
        "SET session_replication_role = DEFAULT",
    ] {
        sqlx::query(sql).execute(&mut *conn).await.unwrap();
    }
    drop(conn);
    let (_, refilled) = proof_at(&app, &under_newer).await;
    assert_eq!(refilled, path);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_node")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(stored > 0);

    // What is not there is said so, in both languages.
    let missing = app.get("/api/v1/audit/entries/99999999/proof").await;
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["message"]["id"], "Tidak ada catatan audit #99999999.");
    let no_head = app
        .get(&format!(
            "/api/v1/audit/entries/{seq}/proof?tree_size=99999999"
        ))
        .await;
    assert_eq!(no_head.status(), 422);
    let bad = app.get("/api/v1/audit/consistency?from=abc").await;
    assert_eq!(bad.status(), 400);
}
