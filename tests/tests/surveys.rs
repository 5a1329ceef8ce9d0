//! Survey records: idempotent by UUID, validated, scoped, with a kept history of corrections.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::StatusCode;
use serde_json::{Value, json};
use survey_schema::Role;
use tinjau_tests::{TestApp, spawn_app_with_reference_data};
use uuid::Uuid;

const PROPOSALS: &str = "\
No;Usulan Kegiatan;Lokasi;Kode Kelurahan;Volume;Satuan;Perkiraan Anggaran
1;Pemasangan paving block;Jl. A;31.71.01.1002;200;m2;Rp 32.000.000
2;Pemasangan paving block;Jl. B;31.71.01.1003;200;m2;Rp 32.000.000
3;Pemasangan paving block;Jl. C;31.71.02.1001;200;m2;Rp 32.000.000
";

async fn proposals(app: &TestApp) -> Vec<i64> {
    app.import_proposals(PROPOSALS, 2026).await
}

fn record(proposal_id: i64) -> Value {
    json!({
        "proposal_id": proposal_id,
        "captured_at": "2026-02-10T03:15:00Z",
        "fix": {"lat": -6.1756, "lon": 106.8095, "accuracy_m": 8.0, "altitude_m": 12.5, "fix_time": "2026-02-10T03:14:58Z"},
        "trace": {"type": "LineString", "coordinates": [[106.8095, -6.1756], [106.8105, -6.1756]]},
        "address_confirmed": true,
        "address_note": null,
        "technical": {"ok": true, "note": null},
        "administrative": {"ok": true, "note": "lahan milik pemda"},
        "volume": {"value": "185.5", "satuan": "m2"},
        "photos": [
            {"sha256": "1".repeat(64), "bytes": 161_713, "content_type": "image/jpeg", "caption": "utara"},
            {"sha256": "2".repeat(64), "bytes": 159_137, "content_type": "image/jpeg", "caption": null}
        ],
        "supersedes": null
    })
}

async fn put(app: &TestApp, token: &str, id: &str, body: &Value) -> (StatusCode, Value) {
    let response = app
        .client
        .put(app.url(&format!("/api/v1/surveys/{id}")))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_survey_is_stored_once_and_a_repeat_is_answered_not_doubled() {
    let app = spawn_app_with_reference_data().await;
    let ids = proposals(&app).await;
    let token = app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let id = Uuid::new_v4().to_string();
    let body = record(ids[0]);

    let (status, created) = put(&app, &token, &id, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["record"]["volume"]["value"], "185.5");
    assert_eq!(created["missing_photos"].as_array().unwrap().len(), 2);
    assert!(
        created["surveyor"]
            .as_str()
            .unwrap()
            .starts_with("surveyor.")
    );

    let (status, again) = put(&app, &token, &id, &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["received_at"], created["received_at"]);

    let mut changed = body.clone();
    changed["volume"]["value"] = json!("190");
    let (status, err) = put(&app, &token, &id, &changed).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );

    let got = app.get_as(&format!("/api/v1/surveys/{id}"), &token).await;
    assert_eq!(got.status(), StatusCode::OK);
    let got: Value = got.json().await.unwrap();
    assert_eq!(got["record"], created["record"]);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM survey")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn concurrent_repeats_of_one_survey_store_it_exactly_once() {
    let app = spawn_app_with_reference_data().await;
    let ids = proposals(&app).await;
    let token = app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let id = Uuid::new_v4().to_string();
    let body = record(ids[0]);
    let attempts = (0..8).map(|_| put(&app, &token, &id, &body));
    // join_all polls them together, so the requests really overlap.
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        7,
        "{statuses:?}"
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM survey_photo")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(count, 2);
}

/// A surveyor of Gambir's token, the proposals, and a first survey of the first one (its id).
async fn surveyed(app: &TestApp) -> (String, Vec<i64>, String) {
    let ids = proposals(app).await;
    let token = app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let first = Uuid::new_v4().to_string();
    put(app, &token, &first, &record(ids[0])).await;
    (token, ids, first)
}

#[tokio::test]
async fn a_correction_supersedes_once_and_the_history_is_kept() {
    let app = spawn_app_with_reference_data().await;
    let (token, ids, first) = surveyed(&app).await;

    let mut correction = record(ids[0]);
    correction["volume"]["value"] = json!("190");
    correction["supersedes"] = json!(first);
    let second = Uuid::new_v4().to_string();
    let (status, _) = put(&app, &token, &second, &correction).await;
    assert_eq!(status, StatusCode::CREATED);
    let original: Value = app
        .get_as(&format!("/api/v1/surveys/{first}"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(original["superseded_by"], second.as_str());
    assert_eq!(
        original["record"]["volume"]["value"], "185.5",
        "the original is kept"
    );

    // The phone did not hear the answer and sends the correction again: a repeat, not a conflict.
    let (status, again) = put(&app, &token, &second, &correction).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    let (status, err) = put(&app, &token, &Uuid::new_v4().to_string(), &correction).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_superseded"))
    );
    let mut elsewhere = record(ids[1]);
    elsewhere["supersedes"] = json!(second);
    let (status, _) = put(&app, &token, &Uuid::new_v4().to_string(), &elsewhere).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut unknown = record(ids[0]);
    unknown["supersedes"] = json!(Uuid::new_v4().to_string());
    let (status, err) = put(&app, &token, &Uuid::new_v4().to_string(), &unknown).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_survey"))
    );
}

/// Corrections of one survey sent at once by several phones: one replaces it, each other is told
/// it was corrected already (never the generic answer of a duplicate row).
#[tokio::test]
async fn concurrent_corrections_of_one_survey_replace_it_once() {
    let app = spawn_app_with_reference_data().await;
    let (token, ids, first) = surveyed(&app).await;
    let mut correction = record(ids[0]);
    correction["supersedes"] = json!(first);
    let corrections: Vec<String> = (0..8).map(|_| Uuid::new_v4().to_string()).collect();
    let answers: Vec<(StatusCode, Value)> = futures::future::join_all(
        corrections
            .iter()
            .map(|id| put(&app, &token, id, &correction)),
    )
    .await;
    let created = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{answers:?}");
    for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(
            (*status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("already_superseded")),
            "{body}"
        );
    }
    let replacing: i64 = sqlx::query_scalar("SELECT count(*) FROM survey WHERE supersedes = $1")
        .bind(Uuid::parse_str(&first).unwrap())
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(replacing, 1);
}

#[tokio::test]
async fn bad_bodies_get_a_4xx_that_says_what_is_wrong() {
    let app = spawn_app_with_reference_data().await;
    let ids = proposals(&app).await;
    let token = app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let url = app.url(&format!("/api/v1/surveys/{}", Uuid::new_v4()));

    let response = app
        .client
        .put(&url)
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"proposal_id\": 1,")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.json::<Value>().await.unwrap()["code"],
        "malformed_json"
    );

    let response = app
        .client
        .put(&url)
        .bearer_auth(&token)
        .body(record(ids[0]).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let response = app
        .client
        .put(&url)
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(vec![b' '; 2 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let id = Uuid::new_v4().to_string();
    let mut wrong_type = record(ids[0]);
    wrong_type["fix"]["lat"] = json!("-6.17");
    let (status, err) = put(&app, &token, &id, &wrong_type).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body"))
    );
    assert!(
        err["message"]["en"].as_str().unwrap().contains("fix.lat"),
        "{err}"
    );

    let mut out_of_range = record(ids[0]);
    out_of_range["fix"]["lat"] = json!(91.0);
    out_of_range["photos"][0]["content_type"] = json!("application/pdf");
    let (status, err) = put(&app, &token, &id, &out_of_range).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_survey"))
    );
    let message = err["message"]["en"].as_str().unwrap();
    assert!(
        message.contains("latitude 91") && message.contains("photos[0].content_type"),
        "{message}"
    );
    assert!(
        err["message"]["id"]
            .as_str()
            .unwrap()
            .starts_with("Survei tidak valid")
    );

    let (status, err) = put(&app, &token, &id, &record(999_999)).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_proposal"))
    );
    let (status, err) = put(&app, &token, "not-a-uuid", &record(ids[0])).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_id"))
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM survey")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(count, 0, "nothing stored from a bad request");
}

#[tokio::test]
async fn roles_and_scopes_are_enforced_on_surveys() {
    let app = spawn_app_with_reference_data().await;
    let ids = proposals(&app).await;
    let id = Uuid::new_v4().to_string();
    let (status, _) = put(&app, "tjau_wrong", &id, &record(ids[0])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let lurah = app.token_for(Role::Lurah, Some("31.71.01.1002")).await;
    let (status, err) = put(&app, &lurah, &id, &record(ids[0])).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let other = app.token_for(Role::Surveyor, Some("31.71.02")).await;
    let (status, err) = put(&app, &other, &id, &record(ids[0])).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("out_of_scope"))
    );

    let own = app.token_for(Role::Surveyor, Some("31.71.01")).await;
    assert_eq!(
        put(&app, &own, &id, &record(ids[0])).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        app.get_as(&format!("/api/v1/surveys/{id}"), &other)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get_as(&format!("/api/v1/surveys/{id}"), &lurah)
            .await
            .status(),
        StatusCode::OK,
        "the lurah follows its kelurahan"
    );
    assert_eq!(
        app.get_as(&format!("/api/v1/surveys/{}", Uuid::new_v4()), &own)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

fn photoless(proposal_id: i64, captured_at: &str, lon: f64, lat: f64) -> Value {
    let mut body = record(proposal_id);
    body["captured_at"] = json!(captured_at);
    body["fix"] = json!({"lat": lat, "lon": lon, "accuracy_m": 5.0, "altitude_m": null, "fix_time": captured_at});
    body["trace"] = Value::Null;
    body["photos"] = json!([]);
    body
}

fn codes(view: &Value) -> Vec<&str> {
    view["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_surveyor_too_fast_between_neighbouring_surveys_is_flagged_and_others_are_not() {
    let app = spawn_app_with_reference_data().await;
    let ids = proposals(&app).await;
    let token = app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let colleague = app.token_for(Role::Surveyor, Some("31.71.01")).await;

    // Monas, then 10 minutes later Tanjung Priok, about 9 km away: 54 km/h, plausible.
    let (status, first) = put(
        &app,
        &token,
        &Uuid::new_v4().to_string(),
        &photoless(ids[0], "2026-02-10T03:15:00Z", 106.8272, -6.1754),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert!(!codes(&first).contains(&"SURVEYOR_SPEED"), "{first}");
    let (_, second) = put(
        &app,
        &token,
        &Uuid::new_v4().to_string(),
        &photoless(ids[1], "2026-02-10T03:25:00Z", 106.8800, -6.1100),
    )
    .await;
    assert!(!codes(&second).contains(&"SURVEYOR_SPEED"), "{second}");

    // Five minutes after Tanjung Priok, in Ragunan (about 24 km): nearly 290 km/h.
    let (_, third) = put(
        &app,
        &token,
        &Uuid::new_v4().to_string(),
        &photoless(ids[1], "2026-02-10T03:30:00Z", 106.8206, -6.3100),
    )
    .await;
    let speed = third["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "SURVEYOR_SPEED")
        .unwrap_or_else(|| panic!("no SURVEYOR_SPEED in {third}"));
    let kmh = speed["details"]["speed_kmh"].as_f64().unwrap();
    assert!((250.0..330.0).contains(&kmh), "{speed}");
    assert_eq!(
        speed["details"]["other_captured_at"],
        "2026-02-10T03:25:00Z"
    );

    // A survey sent late but captured between the first two is judged against its neighbours in
    // time (about 90 and 20 km/h), not against Ragunan ten minutes later (130 km/h, but Tanjung Priok
    // lies between).
    let (_, between) = put(
        &app,
        &token,
        &Uuid::new_v4().to_string(),
        &photoless(ids[0], "2026-02-10T03:20:00Z", 106.8700, -6.1200),
    )
    .await;
    assert!(!codes(&between).contains(&"SURVEYOR_SPEED"), "{between}");

    // Another surveyor at the same moment far away is somebody else's trip.
    let (_, theirs) = put(
        &app,
        &colleague,
        &Uuid::new_v4().to_string(),
        &photoless(ids[0], "2026-02-10T03:30:30Z", 106.8272, -6.1754),
    )
    .await;
    assert!(!codes(&theirs).contains(&"SURVEYOR_SPEED"), "{theirs}");
}

/// A request cut off midway (its deadline passes, as when a phone's connection drops) is not
/// cancelled halfway through its transaction: the survey is stored whole, as its retry expects.
/// The deadline here is 1 ms, shorter than storing a survey takes.
#[tokio::test]
async fn a_survey_whose_answer_is_cut_off_is_stored_whole_all_the_same() {
    let app = tinjau_tests::spawn_app_with_settings(tinjau_tests::Fixture::Reference, |s| {
        s.request_timeout = std::time::Duration::from_millis(1);
    })
    .await;
    let ids = proposals(&app).await;
    let token = app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let mut cut_off = 0;
    let mut sent = Vec::new();
    for _ in 0..10 {
        let id = Uuid::new_v4();
        let response = app
            .client
            .put(app.url(&format!("/api/v1/surveys/{id}")))
            .bearer_auth(&token)
            .json(&record(ids[0]))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::REQUEST_TIMEOUT {
            cut_off += 1;
        }
        sent.push(id);
    }
    assert!(
        cut_off > 0,
        "no request was cut off: the test proves nothing"
    );
    for id in &sent {
        let mut photos = None;
        for _ in 0..50 {
            photos = sqlx::query_scalar::<_, i64>(
                "SELECT count(ph.*) FROM survey s LEFT JOIN survey_photo ph ON ph.survey_id = s.id WHERE s.id = $1 GROUP BY s.id",
            )
            .bind(id)
            .fetch_optional(&app.pool)
            .await
            .unwrap();
            if photos.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(photos, Some(2), "survey {id} was lost or stored in part");
    }
}

#[tokio::test]
async fn surveys_arriving_together_are_each_stored_as_alone() {
    let app = spawn_app_with_reference_data().await;
    let ids = proposals(&app).await;
    let surveyors = [
        app.token_for(Role::Surveyor, Some("31.71.01")).await,
        app.token_for(Role::Surveyor, Some("31.71.01")).await,
    ];
    // 24 surveys without photos (checked as they arrive), each sent twice at once, all together.
    let sent: Vec<(usize, String, Value)> = (0..24)
        .map(|n| {
            let at = format!("2026-02-10T{:02}:{:02}:00Z", 3 + n / 6, (n % 6) * 10);
            let lon = 106.8095 + 0.0004 * n as f64;
            (
                n % 2,
                Uuid::new_v4().to_string(),
                photoless(ids[n % 2], &at, lon, -6.1756),
            )
        })
        .collect();
    let attempts = sent
        .iter()
        .chain(&sent)
        .map(|(who, id, body)| put(&app, &surveyors[*who], id, body));
    let answers = futures::future::join_all(attempts).await;
    let (first, second) = answers.split_at(sent.len());
    for (((_, id, body), a), b) in sent.iter().zip(first).zip(second) {
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CREATED],
            "{id}: {a:?} {b:?}"
        );
        let created = if a.0 == StatusCode::CREATED {
            &a.1
        } else {
            &b.1
        };
        assert_eq!(&created["record"]["fix"], &body["fix"]);
        // The findings answered are the findings stored.
        let got: Value = app
            .get_as(&format!("/api/v1/surveys/{id}"), &surveyors[0])
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(codes(&got), codes(created), "{id}");
        assert_eq!(got["received_at"], created["received_at"], "{id}");
    }

    // One audit entry per survey, by its own surveyor, holding the record as stored.
    let entries: Vec<(String, String, Value, Value)> = sqlx::query_as(
        "SELECT e.entity_id, e.actor, e.after, s.body FROM audit_event e
           JOIN survey s ON s.id::text = e.entity_id
           JOIN app_user u ON u.id = s.surveyor_id
          WHERE e.action = 'survey.store' AND e.entity = 'survey' AND e.actor = u.name
            AND e.actor_id = s.surveyor_id AND e.actor_role = 'surveyor'
            AND e.proposal_id = s.proposal_id AND e.kecamatan_kode = '31.71.01'
            AND e.before IS NULL AND e.request_id IS NOT NULL
          ORDER BY e.seq",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(entries.len(), sent.len());
    for (id, _, after, body) in &entries {
        assert_eq!(&after["record"], body, "{id}");
    }
    // Each proposal's version moved once per survey of it; the findings stored are the surveys'.
    let versions: Vec<i32> =
        sqlx::query_scalar("SELECT version FROM proposal WHERE id = ANY($1) ORDER BY id")
            .bind(&ids[..2])
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(versions, [13, 13]);
    // Surveys shared transactions: the writer did batch them (else this proves nothing of it).
    let transactions: i64 = sqlx::query_scalar("SELECT count(DISTINCT xmin::text) FROM survey")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(
        transactions < 24,
        "{transactions} transactions for 24 surveys"
    );
    assert!(
        tinjau_workflows::audit::verify(&app.pool)
            .await
            .unwrap()
            .is_intact()
    );
}

/// A survey row ready for `store_many`, by the admin, of `proposal`.
fn arriving(proposal: i64, supersedes: Option<Uuid>) -> tinjau_db::survey::ArrivingSurvey {
    let id = Uuid::new_v4();
    let body = photoless(proposal, "2026-02-10T03:15:00Z", 106.8095, -6.1756);
    let mut findings = tinjau_db::anomaly::SurveyAnomalyBatch::default();
    findings.push(
        id,
        proposal,
        &survey_schema::Anomaly {
            code: "volume_mismatch".into(),
            severity: survey_schema::Severity::Warning,
            message: survey_schema::LocalizedMessage {
                id: "uji".into(),
                en: "test".into(),
            },
            details: json!({"n": 1}),
        },
    );
    tinjau_db::survey::ArrivingSurvey {
        id,
        proposal_id: proposal,
        surveyor_id: None,
        body_sha256: "0".repeat(64),
        body,
        captured_at: "2026-02-10T03:15:00Z".parse().unwrap(),
        lon: 106.8095,
        lat: -6.1756,
        accuracy_m: 5.0,
        supersedes,
        photos: tinjau_db::survey::DeclaredPhotos {
            sha256: vec!["3".repeat(64)],
            bytes: vec![1000],
            content_types: vec!["image/jpeg".into()],
            captions: vec![None],
        },
        findings,
        actor: "admin-token".into(),
        actor_id: None,
        actor_role: Some("admin".into()),
        request_id: Some("req-1".into()),
        kecamatan: Some("31.71.01".into()),
    }
}

/// The survey `id` replaces (if stored), and how many requests for another visit are open.
async fn replaces_and_open_requests(app: &TestApp, id: Uuid) -> (Option<Uuid>, i64) {
    sqlx::query_as(
        "SELECT (SELECT supersedes FROM survey WHERE id = $1),
                (SELECT count(*) FROM resurvey WHERE answered_by IS NULL)",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// Rows of surveys, their photos, findings and audit entries.
async fn stored_counts(app: &TestApp) -> [i64; 4] {
    let row: (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM survey), (SELECT count(*) FROM survey_photo),
                (SELECT count(*) FROM anomaly), (SELECT count(*) FROM audit_event)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    [row.0, row.1, row.2, row.3]
}

#[tokio::test]
async fn a_batch_stores_every_survey_or_declines_and_stores_nothing() {
    use tinjau_db::survey::InBatch::Received;
    let app = spawn_app_with_reference_data().await;
    let ids = proposals(&app).await;
    let batch = vec![
        arriving(ids[0], None),
        arriving(ids[1], None),
        arriving(ids[0], None),
    ];
    let before = stored_counts(&app).await;
    let received = tinjau_db::survey::store_many(&app.pool, &batch)
        .await
        .unwrap()
        .expect("a plain batch is stored");
    assert_eq!(received.len(), 3);
    assert!(
        received
            .iter()
            .all(|r| matches!(r, Received(Some(_))) && *r == received[0])
    );
    let counts = stored_counts(&app).await;
    assert_eq!(counts[..3], [3, 3, 3]);
    assert_eq!(counts[3], before[3] + 3, "one audit entry per survey");

    // Again, with one new survey: the three are repeats, only the new one is stored.
    let mut again: Vec<_> = batch.into_iter().collect();
    again.push(arriving(ids[1], None));
    let received = tinjau_db::survey::store_many(&app.pool, &again)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(received[..3], [Received(None); 3]);
    assert!(matches!(received[3], Received(Some(_))));
    let after = stored_counts(&app).await;
    assert_eq!(after[..4], [4, 4, 4, counts[3] + 1]);

    // A correction in the batch: declined, nothing stored.
    let first = again[0].id;
    let declined = vec![arriving(ids[0], None), arriving(ids[0], Some(first))];
    assert!(
        tinjau_db::survey::store_many(&app.pool, &declined)
            .await
            .unwrap()
            .is_none()
    );
    // A proposal with an open request for another visit: its survey is left to be stored alone
    // (which answers the request), the others are stored.
    sqlx::query(
        "INSERT INTO resurvey (proposal_id, survey_id, reason, requested_by_name) VALUES ($1, $2, 'ukur ulang', 'camat')",
    )
    .bind(ids[1])
    .bind(again[1].id)
    .execute(&app.pool)
    .await
    .unwrap();
    let mixed = vec![arriving(ids[0], None), arriving(ids[1], None)];
    let outcomes = tinjau_db::survey::store_many(&app.pool, &mixed)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(outcomes[0], Received(Some(_))), "{outcomes:?}");
    assert_eq!(outcomes[1], tinjau_db::survey::InBatch::Alone);
    let after = stored_counts(&app).await;
    assert_eq!(after[..3], [5, 5, 5]);
    let (replaces, open) = replaces_and_open_requests(&app, mixed[1].id).await;
    assert_eq!((replaces, open), (None, 1), "nothing of the one left alone");
    assert!(
        tinjau_db::survey::store(&app.pool, &mixed[1])
            .await
            .unwrap()
            .is_some()
    );
    let (replaces, open) = replaces_and_open_requests(&app, mixed[1].id).await;
    assert_eq!(
        (replaces, open),
        (Some(again[1].id), 0),
        "stored alone, it answers"
    );
    let after = stored_counts(&app).await;

    // Work holding a proposal for long (a Kirim, an import): the batch gives up first, storing
    // nothing, and the writer stores its surveys one at a time.
    let mut holder = app.pool.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM proposal WHERE id = $1 FOR UPDATE")
        .bind(ids[0])
        .execute(&mut *holder)
        .await
        .unwrap();
    let waiting = vec![arriving(ids[0], None), arriving(ids[0], None)];
    let gave_up = tinjau_db::survey::store_many(&app.pool, &waiting)
        .await
        .unwrap_err();
    let code = gave_up
        .as_database_error()
        .and_then(sqlx::error::DatabaseError::code);
    assert_eq!(code.as_deref(), Some("55P03"), "{gave_up}");
    holder.rollback().await.unwrap();
    assert_eq!(stored_counts(&app).await[..3], after[..3]);
    assert!(
        tinjau_workflows::audit::verify(&app.pool)
            .await
            .unwrap()
            .is_intact()
    );
}

/// Each proposal's version and sync cursor.
async fn versions_and_cursors(app: &TestApp, ids: &[i64]) -> Vec<(i32, i64)> {
    sqlx::query_as("SELECT version, change_seq FROM proposal WHERE id = ANY($1) ORDER BY id")
        .bind(ids)
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_batch_moves_the_sync_cursor_only_of_the_proposals_it_takes_off_the_phones_list() {
    let app = spawn_app_with_reference_data().await;
    let mut ids = proposals(&app).await[..2].to_vec();
    ids.sort_unstable();
    let store = |batch: Vec<tinjau_db::survey::ArrivingSurvey>| {
        let pool = app.pool.clone();
        async move {
            tinjau_db::survey::store_many(&pool, &batch)
                .await
                .unwrap()
                .expect("a plain batch is stored");
        }
    };
    let start = versions_and_cursors(&app, &ids).await;

    // The first surveys of both: both leave the list.
    store(vec![arriving(ids[0], None), arriving(ids[1], None)]).await;
    let first = versions_and_cursors(&app, &ids).await;
    for (before, after) in start.iter().zip(&first) {
        assert_eq!(after.0, before.0 + 1, "the version moves");
        assert!(after.1 > before.1, "the cursor moves: {before:?} {after:?}");
    }

    // Two more of the first: its version moves by two, its cursor stays; the other is untouched.
    store(vec![arriving(ids[0], None), arriving(ids[0], None)]).await;
    let more = versions_and_cursors(&app, &ids).await;
    assert_eq!(more[0], (first[0].0 + 2, first[0].1));
    assert_eq!(more[1], first[1]);

    // With its only survey voided, the second is back on the list, and its next survey takes it
    // off again; the first, still surveyed, keeps its cursor.
    sqlx::query(
        "UPDATE survey SET voided_at = now(), void_reason = 'salah lokasi', voided_by_name = 'camat'
          WHERE proposal_id = $1",
    )
    .bind(ids[1])
    .execute(&app.pool)
    .await
    .unwrap();
    store(vec![arriving(ids[1], None), arriving(ids[0], None)]).await;
    let after_void = versions_and_cursors(&app, &ids).await;
    assert_eq!(after_void[0], (more[0].0 + 1, more[0].1));
    assert_eq!(after_void[1].0, more[1].0 + 1);
    assert!(after_void[1].1 > more[1].1);

    // Any other change still moves the cursor, the version with it or not.
    tinjau_db::survey::touch_proposals(&mut app.pool.acquire().await.unwrap(), &ids[..1])
        .await
        .unwrap();
    sqlx::query("UPDATE proposal SET usulan = usulan || '.' WHERE id = $1")
        .bind(ids[1])
        .execute(&app.pool)
        .await
        .unwrap();
    let touched = versions_and_cursors(&app, &ids).await;
    assert_eq!(touched[0].0, after_void[0].0 + 1);
    assert!(touched[0].1 > after_void[0].1);
    assert_eq!(touched[1].0, after_void[1].0);
    assert!(touched[1].1 > after_void[1].1);
}
