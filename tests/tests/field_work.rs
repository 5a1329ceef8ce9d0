//! The technical team's work against the real server: the phones get this year's proposals only
//! (and lose them once the list is sent), the camat assigns work to a surveyor or a team, sends a
//! survey back for another visit (the reason reaches the phone's CSV and sync; the new survey
//! replaces the old, which stays in the history), voids a survey filed against the wrong proposal
//! (gone from the findings and the forms, kept in the history and the audit trail; the phone's
//! retry is a repeat), and the phone learns what became of each survey. Scopes hold throughout.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(clippy::too_many_lines)]

use reqwest::StatusCode;
use serde_json::{Value, json};
use survey_schema::Role;
use tinjau_tests::review::{self, Review, json_of};

async fn csv_of(r: &Review, token: &str) -> String {
    media_of(r, token, "proposals.csv").await
}

async fn media_of(r: &Review, token: &str, file: &str) -> String {
    let response = r
        .app
        .client
        .get(r.app.url(&format!(
            "/v1/key/{token}/projects/31.71.01/forms/tinjau_survei/attachments/{file}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

/// The manifest's hash of each media file, by file name.
async fn manifest_hashes(r: &Review, token: &str) -> std::collections::BTreeMap<String, String> {
    let xml = r
        .app
        .client
        .get(r.app.url(&format!(
            "/v1/key/{token}/projects/31.71.01/forms/tinjau_survei/manifest"
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("mediaFile"))
        .map(|m| {
            let text = |tag: &str| {
                m.children()
                    .find(|c| c.has_tag_name(tag))
                    .and_then(|c| c.text())
                    .unwrap()
                    .to_owned()
            };
            (text("filename"), text("hash"))
        })
        .collect()
}

/// The proposal ids of a CSV's rows, in order.
fn csv_ids(csv: &str) -> Vec<i64> {
    csv::Reader::from_reader(csv.as_bytes())
        .records()
        .map(|r| r.unwrap()[0].parse().unwrap())
        .collect()
}

async fn sync(r: &Review, token: &str, since: &str) -> Value {
    let (status, page) = json_of(
        r.app
            .get_as(&format!("/api/v1/sync/assignments?since={since}"), token)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page
}

fn ids(page: &Value) -> Vec<i64> {
    page["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect()
}

async fn post(r: &Review, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
    json_of(
        r.app
            .client
            .post(r.app.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn assign(r: &Review, token: &str, body: &Value) -> (StatusCode, Value) {
    json_of(
        r.app
            .client
            .put(
                r.app
                    .url("/api/v1/kecamatan/31.71.01/assignments?tahun=2026"),
            )
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn phones_get_this_years_unsent_proposals_their_own_first() {
    let r = review::setup().await;
    let [paving, drainage, beton, training, _] = r.ids[..] else {
        panic!()
    };
    let earlier: i64 = sqlx::query_scalar("SELECT id FROM proposal WHERE tahun = 2025")
        .fetch_one(&r.app.pool)
        .await
        .unwrap();
    let ani = r
        .app
        .token_named("ani.surveyor", Role::Surveyor, Some("31.71.01"))
        .await;
    // 2026's physical proposals of Gambir; not 2025's, not the training (not physical works), not
    // Tanah Abang's.
    let csv = csv_of(&r, &ani).await;
    let listed = csv_ids(&csv);
    assert_eq!(
        listed
            .iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>(),
        [paving, drainage, beton].into_iter().collect(),
        "{csv}"
    );
    assert!(!listed.contains(&earlier) && !listed.contains(&training));
    let page = sync(&r, &ani, "0").await;
    assert_eq!(page["tahun"], 2026);
    assert!(!ids(&page).contains(&earlier), "{page}");

    // The media's hashes stay while their content does.
    let hashes = manifest_hashes(&r, &ani).await;
    assert_eq!(
        hashes.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "kelurahan.geojson",
            "proposals.csv",
            "survei_saya.csv",
            "usulan.geojson"
        ]
    );
    assert_eq!(manifest_hashes(&r, &ani).await, hashes);

    // The camat assigns the drainage to Ani, Petojo Utara's proposals to a team: Ani's comes first.
    let (status, done) = assign(
        &r,
        &r.camat,
        &json!({"proposals": [drainage], "surveyor": "ani.surveyor"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["changed"], 1);
    let (status, again) = assign(
        &r,
        &r.camat,
        &json!({"proposals": [drainage], "surveyor": "ani.surveyor"}),
    )
    .await;
    assert_eq!(
        (status, again["changed"].clone()),
        (StatusCode::OK, json!(0)),
        "a repeat changes nothing"
    );
    let listed = csv_ids(&csv_of(&r, &ani).await);
    assert_eq!(listed[0], drainage, "its own assignment first");
    let after = manifest_hashes(&r, &ani).await;
    assert_ne!(after["proposals.csv"], hashes["proposals.csv"]);
    // These proposals have no pin: they are in the list, and the map has nothing to show.
    assert_eq!(after["usulan.geojson"], hashes["usulan.geojson"]);
    assert_eq!(
        after["kelurahan.geojson"], hashes["kelurahan.geojson"],
        "the boundaries did not change"
    );
    let page = sync(&r, &ani, "0").await;
    assert_eq!(page["assignments"][0]["id"], drainage);
    assert_eq!(page["assignments"][0]["mine"], true);
    assert_eq!(page["assignments"][0]["assigned_to"], "ani.surveyor");
    let (status, refused) = assign(
        &r,
        &r.camat,
        &json!({"proposals": [drainage], "surveyor": "nobody.here"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["code"], "unknown_surveyor");
    let (status, _) = assign(
        &r,
        &r.camat,
        &json!({"kelurahan": "31.71.01.1002", "team": "Tim Cideng"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, refused) = assign(
        &r,
        &r.camat,
        &json!({"proposals": [999_999], "team": "Tim"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{refused}");
    // Another kecamatan's camat cannot assign Gambir's work.
    let other = r.app.token_for(Role::Camat, Some("31.71.02")).await;
    let (status, _) = assign(&r, &other, &json!({"proposals": [drainage], "team": "x"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The review list says who is assigned.
    let (_, list) = review::list(&r, &r.camat, "").await;
    assert_eq!(review::item(&list, paving)["assigned_to"], "Tim Cideng");

    // Kirim: the list leaves the phones; an incremental sync says so.
    let cursor = page["cursor"].as_str().unwrap().to_owned();
    review::decide_all(&r).await;
    let (status, _) = review::post_kirim(&r, &r.camat).await;
    assert!(status.is_success());
    let csv = csv_of(&r, &ani).await;
    assert!(csv_ids(&csv).is_empty(), "{csv}");
    let later = sync(&r, &ani, &cursor).await;
    let removed: Vec<i64> = later["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert!(
        removed.contains(&paving) && removed.contains(&drainage),
        "{later}"
    );
}

async fn survey(
    r: &Review,
    token: &str,
    proposal: i64,
    id: &str,
    volume: &str,
) -> (StatusCode, Value) {
    let body = json!({
        "proposal_id": proposal,
        "captured_at": "2026-02-10T03:15:00Z",
        "fix": {"lat": -6.1756, "lon": 106.8095, "accuracy_m": 5.0, "altitude_m": null, "fix_time": "2026-02-10T03:14:58Z"},
        "trace": null, "address_confirmed": true, "address_note": null,
        "technical": {"ok": true, "note": null}, "administrative": {"ok": true, "note": null},
        "volume": {"value": volume, "satuan": "m2"},
        "photos": [], "supersedes": null
    });
    json_of(
        r.app
            .client
            .put(r.app.url(&format!("/api/v1/surveys/{id}")))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn fate(page: &Value, survey: &str) -> Value {
    page["surveys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == survey)
        .cloned()
        .unwrap_or_else(|| panic!("{survey} not in {page}"))
}

#[tokio::test]
async fn a_survey_sent_back_returns_to_the_phone_and_its_answer_replaces_it() {
    let r = review::setup().await;
    let [paving, ..] = r.ids[..] else { panic!() };
    let budi = r
        .app
        .token_named("budi.surveyor", Role::Surveyor, Some("31.71.01"))
        .await;
    let first = uuid::Uuid::new_v4().to_string();
    let (status, _) = survey(&r, &budi, paving, &first, "150").await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(
        !csv_ids(&csv_of(&r, &budi).await).contains(&paving),
        "surveyed: off the list"
    );
    assert_eq!(
        fate(&sync(&r, &budi, "0").await, &first)["state"],
        "accepted"
    );

    // Sent back, with a reason: back on the phone, the reason in its CSV and its sync.
    let path = format!("/api/v1/proposals/{paving}/send-back");
    let (status, refused) = post(&r, &r.camat, &path, &json!({"reason": "  "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let reason = "Ukur ulang sampai ujung gang; foto kondisi kurang jelas";
    let (status, done) = post(&r, &r.camat, &path, &json!({"reason": reason})).await;
    assert_eq!(
        (status, done["outcome"].clone()),
        (StatusCode::OK, json!("done")),
        "{done}"
    );
    let (status, again) = post(&r, &r.camat, &path, &json!({"reason": reason})).await;
    assert_eq!(
        (status, again["outcome"].clone()),
        (StatusCode::OK, json!("repeat"))
    );
    let csv = csv_of(&r, &budi).await;
    assert!(
        csv_ids(&csv).contains(&paving) && csv.contains(reason),
        "{csv}"
    );
    let page = sync(&r, &budi, "0").await;
    let back = page["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == paving)
        .unwrap();
    assert_eq!(back["resurvey_reason"], reason);
    let was = fate(&page, &first);
    assert_eq!(
        (was["state"].clone(), was["reason"].clone()),
        (json!("sent_back"), json!(reason))
    );
    let (_, list) = review::list(&r, &r.camat, "").await;
    assert_eq!(review::item(&list, paving)["survey_status"], "sent_back");
    // Another kecamatan's camat cannot send it back; a surveyor cannot either.
    let other = r.app.token_for(Role::Camat, Some("31.71.02")).await;
    assert_eq!(
        post(&r, &other, &path, &json!({"reason": "x"})).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(&r, &budi, &path, &json!({"reason": "x"})).await.0,
        StatusCode::FORBIDDEN
    );

    // The new visit answers it and replaces the survey sent back, which stays in the history.
    let second = uuid::Uuid::new_v4().to_string();
    let (status, _) = survey(&r, &budi, paving, &second, "190").await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(!csv_ids(&csv_of(&r, &budi).await).contains(&paving));
    let (_, list) = review::list(&r, &r.camat, "").await;
    let item = review::item(&list, paving);
    assert_eq!(item["survey"]["id"], second.as_str());
    assert_eq!(item["survey_status"], "checked");
    assert_eq!(item["superseded_surveys"], 1);
    let page = sync(&r, &budi, "0").await;
    assert_eq!(fate(&page, &first)["state"], "superseded");
    assert_eq!(fate(&page, &second)["state"], "accepted");
    let (_, history) = json_of(
        r.app
            .get_as(&format!("/api/v1/proposals/{paving}/history"), &r.camat)
            .await,
    )
    .await;
    let actions: Vec<&str> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"survey.send_back"), "{actions:?}");
    assert_eq!(actions.iter().filter(|a| **a == "survey.store").count(), 2);
}

#[tokio::test]
async fn a_survey_filed_against_the_wrong_proposal_is_voided_and_its_retry_is_a_repeat() {
    let r = review::setup().await;
    let [paving, ..] = r.ids[..] else { panic!() };
    let citra = r.app.token_for(Role::Surveyor, Some("31.71.01")).await;
    // Meant for the drainage, filed against the paving, with a volume 40% off the proposal's.
    let wrong = uuid::Uuid::new_v4().to_string();
    let (status, _) = survey(&r, &citra, paving, &wrong, "120").await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, list) = review::list(&r, &r.camat, "").await;
    let codes = |list: &Value| -> Vec<String> {
        review::item(list, paving)["anomalies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["code"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(
        codes(&list).contains(&"VOLUME_DEVIATION".to_owned()),
        "{:?}",
        codes(&list)
    );

    let before_void = r
        .app
        .get_as(
            "/api/v1/kecamatan/31.71.01/forms/usulan.geojson?tahun=2026",
            &r.camat,
        )
        .await
        .text()
        .await
        .unwrap();
    let path = format!("/api/v1/surveys/{wrong}/void");
    // Not another kecamatan's camat (answered as no such survey), not a surveyor.
    let other = r.app.token_for(Role::Camat, Some("31.71.02")).await;
    assert_eq!(
        post(&r, &other, &path, &json!({"reason": "x"})).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        post(&r, &citra, &path, &json!({"reason": "x"})).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, refused) = post(&r, &r.camat, &path, &json!({"reason": ""})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let reason = "Salah pilih usulan: ini survei saluran drainase";
    let (status, done) = post(&r, &r.camat, &path, &json!({"reason": reason})).await;
    assert_eq!(
        (status, done["outcome"].clone()),
        (StatusCode::OK, json!("done")),
        "{done}"
    );
    let (status, again) = post(&r, &r.camat, &path, &json!({"reason": reason})).await;
    assert_eq!(
        (status, again["outcome"].clone()),
        (StatusCode::OK, json!("repeat"))
    );

    // Gone from the findings: the proposal is unsurveyed again, and back on the phones.
    let (_, list) = review::list(&r, &r.camat, "").await;
    let item = review::item(&list, paving);
    assert_eq!(item["survey_status"], "not_surveyed", "{item}");
    assert!(item["survey"].is_null());
    assert!(!codes(&list).contains(&"VOLUME_DEVIATION".to_owned()));
    assert!(csv_ids(&csv_of(&r, &citra).await).contains(&paving));
    // The phone's retry of the voided survey is a repeat, never stored again.
    let (status, view) = survey(&r, &citra, paving, &wrong, "120").await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM survey WHERE proposal_id = $1")
        .bind(paving)
        .fetch_one(&r.app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 1);
    let page = sync(&r, &citra, "0").await;
    let was = fate(&page, &wrong);
    assert_eq!(
        (was["state"].clone(), was["reason"].clone()),
        (json!("voided"), json!(reason))
    );
    // Kept in the history and the audit trail.
    let (_, history) = json_of(
        r.app
            .get_as(&format!("/api/v1/proposals/{paving}/history"), &r.camat)
            .await,
    )
    .await;
    let actions: Vec<&str> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"survey.void") && actions.contains(&"survey.store"),
        "{actions:?}"
    );
    // And the forms are made without it: the proposals' map (GeoJSON) held it before.
    let geojson = r
        .app
        .get_as(
            "/api/v1/kecamatan/31.71.01/forms/usulan.geojson?tahun=2026",
            &r.camat,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(!geojson.contains(&wrong), "the voided survey in the map");
    assert!(
        before_void.contains(&wrong),
        "the survey was in the map before"
    );
}
