//! Bulk approval: the proposals seen without a finding are approved in one action, each with its
//! own decision and audit row; a proposal changed or decided meanwhile, or one with a finding, is
//! skipped and reported; a retry decides nothing twice.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::StatusCode;
use serde_json::{Value, json};
use tinjau_tests::review::{Review, list, setup};

async fn bulk(r: &Review, body: &Value) -> (StatusCode, Value) {
    let response = r
        .app
        .client
        .post(r.app.url("/api/v1/review/31.71.01/bulk?tahun=2026"))
        .bearer_auth(&r.camat)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn ids(v: &Value) -> Vec<i64> {
    let mut out: Vec<i64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect();
    out.sort_unstable();
    out
}

#[tokio::test]
async fn proposals_without_a_finding_are_approved_once_each_and_the_rest_reported() {
    let r = setup().await;
    let (_, page) = list(&r, &r.camat, "").await;
    let items = page["items"].as_array().unwrap();
    let seen: Vec<Value> = items
        .iter()
        .map(|i| json!({"id": i["id"], "version": i["version"]}))
        .collect();
    let clean: Vec<i64> = items
        .iter()
        .filter(|i| i["anomalies"].as_array().unwrap().is_empty())
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    let flagged: Vec<i64> = items
        .iter()
        .filter(|i| !i["anomalies"].as_array().unwrap().is_empty())
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert!(
        !flagged.is_empty(),
        "the fixture has a flagged proposal: {page}"
    );

    let action = uuid::Uuid::new_v4();
    let body = json!({"id": action, "criterion": "no_finding", "proposals": seen,
                      "note": "Disetujui bersama: tanpa temuan"});
    let (status, outcome) = bulk(&r, &body).await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    let mut expected = clean.clone();
    expected.sort_unstable();
    assert_eq!(ids(&outcome["approved"]), expected, "{outcome}");
    let skipped: Vec<(i64, &str)> = outcome["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_i64().unwrap(), s["reason"].as_str().unwrap()))
        .collect();
    for id in &flagged {
        assert!(skipped.contains(&(*id, "not_eligible")), "{outcome}");
    }
    let total: i64 = items
        .iter()
        .filter(|i| clean.contains(&i["id"].as_i64().unwrap()))
        .map(|i| i["anggaran"].as_i64().unwrap())
        .sum();
    assert_eq!(outcome["total_rupiah"], total);

    // A retry of the same action decides nothing again.
    let (status, again) = bulk(&r, &body).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["approved"], json!([]));
    assert_eq!(ids(&again["repeated"]), expected);
    let rows: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM decision WHERE note = 'Disetujui bersama: tanpa temuan'",
    )
    .fetch_one(&r.app.pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        i64::try_from(clean.len()).unwrap(),
        "one decision each"
    );
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE action = 'decision.put'")
            .fetch_one(&r.app.pool)
            .await
            .unwrap();
    assert_eq!(
        audited,
        i64::try_from(clean.len()).unwrap(),
        "one audit row each"
    );

    // A new action over the same versions: everything changed or decided since, nothing decided.
    let (_, stale) = bulk(
        &r,
        &json!({"id": uuid::Uuid::new_v4(), "criterion": "no_finding", "proposals": seen}),
    )
    .await;
    assert_eq!(stale["approved"], json!([]), "{stale}");
    let reasons: Vec<&str> = stale["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reason"].as_str().unwrap())
        .collect();
    assert!(reasons.contains(&"decided"), "{stale}");
}

#[tokio::test]
async fn a_proposal_changed_since_it_was_seen_is_skipped_not_decided_blind() {
    let r = setup().await;
    let (_, page) = list(&r, &r.camat, "").await;
    let items = page["items"].as_array().unwrap();
    let clean: Vec<&Value> = items
        .iter()
        .filter(|i| i["anomalies"].as_array().unwrap().is_empty())
        .collect();
    let Some(first) = clean.first() else {
        panic!("no clean proposal in {page}")
    };
    let id = first["id"].as_i64().unwrap();
    let old = first["version"].as_i64().unwrap() - 1;
    let (status, outcome) = bulk(
        &r,
        &json!({"id": uuid::Uuid::new_v4(), "criterion": "no_finding",
                "proposals": [{"id": id, "version": old}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(outcome["approved"], json!([]));
    assert_eq!(outcome["skipped"], json!([{"id": id, "reason": "changed"}]));

    let surveyor = r
        .app
        .token_for(survey_schema::Role::Surveyor, Some("31.71.01"))
        .await;
    let response = r
        .app
        .client
        .post(r.app.url("/api/v1/review/31.71.01/bulk?tahun=2026"))
        .bearer_auth(&surveyor)
        .json(&json!({"id": uuid::Uuid::new_v4(), "criterion": "no_finding", "proposals": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}
