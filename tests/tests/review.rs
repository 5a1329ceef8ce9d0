//! The camat's review end to end: the list with its evidence, filters, counts and suggestions;
//! decisions with their refusals; Kirim and the lock; the history; the public page.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// Each test walks one scenario through, with its table of cases: long by nature.
#![allow(clippy::too_many_lines)]

use reqwest::StatusCode;
use serde_json::{Value, json};
use survey_schema::Role;
use tinjau_tests::ADMIN_TOKEN;
use tinjau_tests::review::{
    FILE_2026, decide, decide_all, item, json_of, list, post_kirim, setup, survey,
};
use uuid::Uuid;

fn version(page: &Value, id: i64) -> String {
    format!("\"{}\"", item(page, id)["version"])
}

#[tokio::test]
async fn the_list_shows_evidence_anomalies_suggestions_and_counts_over_the_filter() {
    let r = setup().await;
    let [paving, drainage, beton, training, tanah_abang] = r.ids[..] else {
        panic!("{:?}", r.ids)
    };
    survey(&r, paving, "260").await;

    let (status, page) = list(&r, &r.camat, "").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        page["total"], 3,
        "physical proposals of Gambir only: {page}"
    );
    let ids: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert!(!ids.contains(&training) && !ids.contains(&tanah_abang));
    assert_eq!(ids[0], beton, "DONE_BEFORE (high) comes first: {ids:?}");

    let p = item(&page, paving);
    assert_eq!(p["survey_status"], "checked");
    assert_eq!(p["survey"]["volume"], "260");
    assert_eq!(p["survey"]["accuracy_m"], 5.0);
    assert!(
        p["survey"]["surveyor"]
            .as_str()
            .unwrap()
            .starts_with("surveyor.")
    );
    let codes: Vec<&str> = p["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"VOLUME_DEVIATION") && codes.contains(&"PHOTO_MISSING"),
        "{codes:?}"
    );
    assert_eq!(p["suggestion"]["action"], "set_volume");
    assert_eq!(p["suggestion"]["volume"], "260");
    assert_eq!(p["decision"], "undecided");
    assert_eq!(
        p["version"], 2,
        "the survey's evidence moved the version on"
    );

    let b = item(&page, beton);
    assert_eq!(b["survey_status"], "not_surveyed");
    assert_eq!(
        (
            b["suggestion"]["action"].as_str(),
            b["suggestion"]["reason"].as_str()
        ),
        (Some("reject"), Some("f"))
    );
    assert_eq!(item(&page, drainage)["suggestion"], Value::Null);

    assert_eq!(page["counts"]["by_decision"]["undecided"], 3);
    assert_eq!(page["counts"]["by_code"]["DONE_BEFORE"], 1);
    assert_eq!(page["counts"]["by_code"]["VOLUME_DEVIATION"], 1);

    // Filters, with counts over the filter, not the page.
    let (_, only) = list(&r, &r.camat, "&anomaly=VOLUME_DEVIATION").await;
    assert_eq!(only["total"], 1);
    assert_eq!(only["counts"]["by_decision"]["undecided"], 1);
    let (_, surveyed) = list(&r, &r.camat, "&surveyed=false").await;
    assert_eq!(surveyed["total"], 2);
    let (_, kel) = list(&r, &r.camat, "&kelurahan=31.71.01.1003").await;
    assert_eq!(kel["total"], 1);
    let (_, skpd) = list(&r, &r.camat, "&skpd=suku%20dinas%20bina%20marga").await;
    assert_eq!(skpd["total"], 2);
    let (_, high) = list(&r, &r.camat, "&severity=high").await;
    assert_eq!(high["items"][0]["id"], beton);
    let (_, paged) = list(&r, &r.camat, "&per_page=1&page=2").await;
    assert_eq!(
        (
            paged["total"].as_i64(),
            paged["items"].as_array().unwrap().len()
        ),
        (Some(3), 1)
    );
    assert_eq!(paged["counts"]["by_decision"]["undecided"], 3);

    for bad in [
        "&severity=urgent",
        "&decision=maybe",
        "&per_page=0",
        "&kelurahan=31.71",
    ] {
        let (status, body) = list(&r, &r.camat, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(body["message"]["id"].is_string() && body["message"]["en"].is_string());
    }
    let (status, _) = json_of(r.app.get_as("/api/v1/review/31.71.01", &r.camat).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "tahun is required");
}

#[tokio::test]
async fn scope_and_roles_are_enforced_on_every_review_endpoint() {
    let r = setup().await;
    let paving = r.ids[0];
    let tanah_abang_camat = r.app.token_for(Role::Camat, Some("31.71.02")).await;
    let surveyor = r.app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let lurah_cideng = r.app.token_for(Role::Lurah, Some("31.71.01.1002")).await;
    let lurah_other = r.app.token_for(Role::Lurah, Some("31.71.02.1001")).await;
    let opd = r.app.token_for(Role::Opd, Some("31.71")).await;

    assert_eq!(
        list(&r, &tanah_abang_camat, "").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(list(&r, &surveyor, "").await.0, StatusCode::FORBIDDEN);
    assert_eq!(list(&r, &lurah_other, "").await.0, StatusCode::FORBIDDEN);
    assert_eq!(list(&r, &opd, "").await.0, StatusCode::OK);
    let (status, own) = list(&r, &lurah_cideng, "").await;
    assert_eq!(
        (status, own["total"].as_i64()),
        (StatusCode::OK, Some(2)),
        "Cideng only: {own}"
    );
    assert_eq!(
        list(&r, &lurah_cideng, "&kelurahan=31.71.01.1003").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        json_of(r.app.get("/api/v1/review/31.71.01?tahun=2026").await)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );

    let approve = json!({"action": "approve"});
    for (who, token, expected) in [
        (
            "camat of Tanah Abang",
            &tanah_abang_camat,
            StatusCode::FORBIDDEN,
        ),
        ("surveyor", &surveyor, StatusCode::FORBIDDEN),
        ("lurah", &lurah_cideng, StatusCode::FORBIDDEN),
        ("opd", &opd, StatusCode::FORBIDDEN),
    ] {
        let (status, body, _) = decide(
            &r,
            token,
            paving,
            &Uuid::new_v4().to_string(),
            Some("\"1\""),
            &approve,
        )
        .await;
        assert_eq!(status, expected, "{who}: {body}");
    }
    for path in [
        format!("/api/v1/proposals/{paving}/history"),
        format!("/api/v1/proposals/{paving}/decisions"),
        "/api/v1/kecamatan/31.71.01/kirim?tahun=2026".to_owned(),
    ] {
        for token in [&tanah_abang_camat, &surveyor] {
            let (status, body) = json_of(r.app.get_as(&path, token).await).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        }
    }
    let kirim = r
        .app
        .client
        .post(r.app.url("/api/v1/kecamatan/31.71.01/kirim?tahun=2026"))
        .bearer_auth(&tanah_abang_camat)
        .send()
        .await
        .unwrap();
    assert_eq!(kirim.status(), StatusCode::FORBIDDEN);
    let unchanged: i64 = sqlx::query_scalar("SELECT count(*) FROM decision")
        .fetch_one(&r.app.pool)
        .await
        .unwrap();
    assert_eq!(unchanged, 0);
}

#[tokio::test]
async fn decisions_need_the_current_version_and_are_applied_exactly_once() {
    let r = setup().await;
    let paving = r.ids[0];
    survey(&r, paving, "260").await;
    let (_, page) = list(&r, &r.camat, "").await;
    let v1 = version(&page, paving);
    let body = json!({"action": "set_volume", "volume": "260", "satuan": "M2"});
    let id = Uuid::new_v4().to_string();

    let (status, err, _) = decide(&r, &r.camat, paving, &id, None, &body).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::PRECONDITION_REQUIRED, Some("if_match_required"))
    );
    let (status, _, _) = decide(&r, &r.camat, paving, &id, Some("*"), &body).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    let (status, err, _) = decide(&r, &r.camat, paving, &id, Some("\"7\""), &body).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::PRECONDITION_FAILED, Some("stale_version"))
    );
    assert_eq!(err["details"]["current_version"], 2);

    let (status, decided, etag) = decide(&r, &r.camat, paving, &id, Some(&v1), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{decided}");
    assert_eq!(etag.as_deref(), Some("\"3\""));
    assert_eq!(decided["before"]["volume"], "200");
    assert_eq!(decided["after"]["volume"], "260");
    assert_eq!(decided["after"]["unit"], "m2");
    // Rp 32,000,000 for 200 m2 is Rp 160,000 per m2: 260 m2 cost Rp 41,600,000.
    assert_eq!(decided["after"]["anggaran"], 41_600_000);
    assert_eq!(decided["after"]["status"], "corrected");
    assert_eq!(decided["suggestion"]["action"], "set_volume");

    // The same request again (a retry after a lost answer) is a repeat, even with the old version.
    let (status, again, _) = decide(&r, &r.camat, paving, &id, Some(&v1), &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, decided);
    // The same UUID with another decision is a conflict.
    let (status, err, _) = decide(
        &r,
        &r.camat,
        paving,
        &id,
        Some("\"2\""),
        &json!({"action": "approve"}),
    )
    .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("decision_conflict"))
    );

    // The camat gives the budget; then approves: the correction stays.
    let given =
        json!({"action": "set_volume", "volume": "255.5", "satuan": "m2", "anggaran": 40_000_000});
    let (status, d, _) = decide(
        &r,
        &r.camat,
        paving,
        &Uuid::new_v4().to_string(),
        Some("\"3\""),
        &given,
    )
    .await;
    assert_eq!(
        (status, d["after"]["anggaran"].as_i64()),
        (StatusCode::CREATED, Some(40_000_000))
    );
    let (status, d, _) = decide(
        &r,
        &r.camat,
        paving,
        &Uuid::new_v4().to_string(),
        // A list of versions: one of them is the current one.
        Some("\"9\", W/\"4\""),
        &json!({"action": "approve"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    assert_eq!(
        (d["after"]["status"].as_str(), d["after"]["volume"].as_str()),
        (Some("corrected"), Some("255.5"))
    );
    let (_, page) = list(&r, &r.camat, "").await;
    let p = item(&page, paving);
    assert_eq!(
        (
            p["decision"].as_str(),
            p["decided"]["anggaran"].as_i64(),
            p["version"].as_i64()
        ),
        (Some("corrected"), Some(40_000_000), Some(5))
    );

    // Back to the proposed values: the correction no longer stands.
    let back = json!({"action": "set_volume", "volume": "200.0", "satuan": "m2"});
    let (status, d, _) = decide(
        &r,
        &r.camat,
        paving,
        &Uuid::new_v4().to_string(),
        Some("\"5\""),
        &back,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    assert_eq!(
        (
            d["after"]["status"].as_str(),
            d["after"]["anggaran"].as_i64()
        ),
        (Some("approved"), Some(32_000_000))
    );

    let (status, history) = json_of(
        r.app
            .get_as(&format!("/api/v1/proposals/{paving}/decisions"), &r.camat)
            .await,
    )
    .await;
    assert_eq!(
        (status, history.as_array().unwrap().len()),
        (StatusCode::OK, 4),
        "every decision stays"
    );
}

#[tokio::test]
async fn bad_decisions_are_refused_in_both_languages_and_change_nothing() {
    let r = setup().await;
    let [paving, drainage, beton, training, _] = r.ids[..] else {
        panic!()
    };
    let v = Some("\"1\"");
    let cases: Vec<(i64, Value, StatusCode, &str)> = vec![
        (
            paving,
            json!({"action": "reject"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            paving,
            json!({"action": "reject", "reason": "h"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            paving,
            json!({"action": "reject", "reason": "g"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "note_required",
        ),
        (
            paving,
            json!({"action": "reject", "reason": "g", "note": "   "}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "note_required",
        ),
        // The review suggests (f) for work already done: another ground needs the camat's words.
        (
            beton,
            json!({"action": "reject", "reason": "a"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "note_required",
        ),
        (
            paving,
            json!({"action": "set_volume", "volume": "0", "satuan": "m2"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_volume",
        ),
        (
            paving,
            json!({"action": "set_volume", "volume": "-5", "satuan": "m2"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_volume",
        ),
        (
            paving,
            json!({"action": "set_volume", "volume": "20", "satuan": "m3"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unit_incomparable",
        ),
        (
            paving,
            json!({"action": "set_volume", "volume": "20", "satuan": "ember"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unit_incomparable",
        ),
        (
            drainage,
            json!({"action": "set_volume", "volume": "90", "satuan": "m2"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unit_incomparable",
        ),
        (
            paving,
            json!({"action": "set_volume", "volume": "20", "satuan": "m2", "anggaran": -1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_anggaran",
        ),
        (
            paving,
            json!({"action": "approve", "extra": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            training,
            json!({"action": "approve"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_physical",
        ),
        (
            999_999,
            json!({"action": "approve"}),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (proposal, body, status, code) in cases {
        let (got, err, _) = decide(
            &r,
            &r.camat,
            proposal,
            &Uuid::new_v4().to_string(),
            v,
            &body,
        )
        .await;
        assert_eq!(
            (got, err["code"].as_str()),
            (status, Some(code)),
            "{body}: {err}"
        );
        assert!(
            !err["message"]["id"].as_str().unwrap_or("").is_empty()
                && !err["message"]["en"].as_str().unwrap_or("").is_empty(),
            "{err}"
        );
    }
    let malformed = r
        .app
        .client
        .put(r.app.url(&format!(
            "/api/v1/proposals/{paving}/decisions/{}",
            Uuid::new_v4()
        )))
        .bearer_auth(&r.camat)
        .header("If-Match", "\"1\"")
        .header("Content-Type", "application/json")
        .body("{\"action\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let (status, _, _) = decide(
        &r,
        &r.camat,
        paving,
        "not-a-uuid",
        v,
        &json!({"action": "approve"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let decisions: i64 = sqlx::query_scalar("SELECT count(*) FROM decision")
        .fetch_one(&r.app.pool)
        .await
        .unwrap();
    let versions: Vec<i32> = sqlx::query_scalar("SELECT version FROM proposal ORDER BY id")
        .fetch_all(&r.app.pool)
        .await
        .unwrap();
    assert_eq!(decisions, 0);
    assert!(versions.iter().all(|v| *v == 1), "{versions:?}");

    // With the note, the override and (g) are taken.
    let (status, d, _) = decide(
        &r,
        &r.camat,
        beton,
        &Uuid::new_v4().to_string(),
        v,
        &json!({"action": "reject", "reason": "a", "note": "Prioritas RW lain lebih mendesak"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    assert_eq!(d["reason_text"]["id"], "Bukan prioritas kecamatan");
}

#[tokio::test]
async fn an_import_that_changes_a_decided_proposal_makes_it_undecided_again() {
    let r = setup().await;
    let drainage = r.ids[1];
    let (status, _, _) = decide(
        &r,
        &r.camat,
        drainage,
        &Uuid::new_v4().to_string(),
        Some("\"1\""),
        &json!({"action": "approve"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // The same file again changes nothing and keeps the decision.
    for (file, expected) in [
        (FILE_2026.to_owned(), "approved"),
        (
            FILE_2026.replace("100;m';Rp 150.000.000", "120;m';Rp 180.000.000"),
            "undecided",
        ),
    ] {
        let response = r
            .app
            .client
            .post(r.app.url("/api/v1/admin/proposals/import?tahun=2026"))
            .bearer_auth(ADMIN_TOKEN)
            .body(file)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let (_, page) = list(&r, &r.camat, "").await;
        assert_eq!(item(&page, drainage)["decision"], expected, "{page}");
    }
    let (_, history) = json_of(
        r.app
            .get_as(&format!("/api/v1/proposals/{drainage}/history"), &r.camat)
            .await,
    )
    .await;
    let last = history["events"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["action"], "proposals.import");
    assert_eq!(
        (
            last["before"]["decision"].as_str(),
            last["after"]["decision"].as_str()
        ),
        (Some("approved"), Some("undecided"))
    );
    assert_eq!(
        (
            last["before"]["volume"].as_f64(),
            last["after"]["volume"].as_f64()
        ),
        (Some(100.0), Some(120.0))
    );
}

#[tokio::test]
async fn two_staff_deciding_at_once_one_wins_and_the_other_gets_412() {
    let r = setup().await;
    let paving = r.ids[0];
    let other_staff = r.app.token_for(Role::Camat, Some("31.71.01")).await;
    let approve = json!({"action": "approve"});
    let reject = json!({"action": "reject", "reason": "c", "note": "lokasi tidak jelas"});
    let (a, b) = (Uuid::new_v4().to_string(), Uuid::new_v4().to_string());
    let (first, second) = tokio::join!(
        decide(&r, &r.camat, paving, &a, Some("\"1\""), &approve),
        decide(&r, &other_staff, paving, &b, Some("\"1\""), &reject),
    );
    let mut statuses = [first.0, second.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::CREATED, StatusCode::PRECONDITION_FAILED],
        "{first:?} {second:?}"
    );
    let loser = if first.0 == StatusCode::PRECONDITION_FAILED {
        &first.1
    } else {
        &second.1
    };
    assert_eq!(loser["details"]["current_version"], 2);
    assert!(
        loser["details"]["latest_decision"]["id"].is_string(),
        "{loser}"
    );
    let decisions: i64 = sqlx::query_scalar("SELECT count(*) FROM decision")
        .fetch_one(&r.app.pool)
        .await
        .unwrap();
    assert_eq!(decisions, 1);
}

#[tokio::test]
async fn kirim_waits_for_every_decision_then_locks_the_list_until_an_admin_reopens_it() {
    let r = setup().await;
    let [paving, drainage, beton, _, _] = r.ids[..] else {
        panic!()
    };
    let (status, err) = post_kirim(&r, &r.camat).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("undecided")),
        "{err}"
    );
    assert_eq!(err["details"]["undecided"].as_array().unwrap().len(), 3);
    assert!(
        err["message"]["id"]
            .as_str()
            .unwrap()
            .contains("belum diputuskan")
    );

    decide_all(&r).await;
    let (status, sent) = post_kirim(&r, &r.camat).await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_eq!(
        (sent["agreed"].as_i64(), sent["not_agreed"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(sent["audit_hash"].as_str().unwrap().len(), 64);
    let (status, standing) = json_of(
        r.app
            .get_as("/api/v1/kecamatan/31.71.01/kirim?tahun=2026", &r.camat)
            .await,
    )
    .await;
    assert_eq!(
        (status, &standing),
        (StatusCode::OK, &sent),
        "the stored Kirim is what was answered"
    );
    let (status, again) = post_kirim(&r, &r.camat).await;
    assert_eq!(
        (status, again["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_sent"))
    );

    // Locked: decisions and imports that would change the list are refused, and nothing changes.
    let (_, before) = list(&r, &r.camat, "").await;
    assert_eq!(before["kirim"]["id"], sent["id"]);
    let (status, err, _) = decide(
        &r,
        &r.camat,
        drainage,
        &Uuid::new_v4().to_string(),
        Some("\"2\""),
        &json!({"action": "reject", "reason": "a", "note": "x"}),
    )
    .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::LOCKED, Some("locked")),
        "{err}"
    );
    let changed = FILE_2026.replace("100;m';Rp 150.000.000", "120;m';Rp 180.000.000");
    let import = r
        .app
        .client
        .post(r.app.url("/api/v1/admin/proposals/import?tahun=2026"))
        .bearer_auth(ADMIN_TOKEN)
        .body(changed)
        .send()
        .await
        .unwrap();
    assert_eq!(import.status(), StatusCode::LOCKED);
    let volume: rust_decimal::Decimal =
        sqlx::query_scalar("SELECT volume FROM proposal WHERE id = $1")
            .bind(drainage)
            .fetch_one(&r.app.pool)
            .await
            .unwrap();
    assert_eq!(volume, rust_decimal::Decimal::from(100));

    // A phone that was offline sends its survey now: stored, shown as late, changing nothing.
    let late = survey(&r, beton, "150").await;
    assert_eq!(late["record"]["proposal_id"], beton);
    let (_, after) = list(&r, &r.camat, "").await;
    assert_eq!(item(&after, beton)["late_surveys"], 1);
    assert_eq!(
        item(&after, beton)["survey"],
        Value::Null,
        "the list is the one sent"
    );
    assert_eq!(item(&after, paving), item(&before, paving));

    // Reopen: admins only, with a reason, on the record.
    let reopen = |token: String, body: Value| {
        let r = &r;
        async move {
            json_of(
                r.app
                    .client
                    .post(r.app.url("/api/v1/kecamatan/31.71.01/reopen?tahun=2026"))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    assert_eq!(
        reopen(r.camat.clone(), json!({"reason": "salah"})).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        reopen(ADMIN_TOKEN.into(), json!({"reason": " "})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let (status, reopened) = reopen(
        ADMIN_TOKEN.into(),
        json!({"reason": "Koreksi volume drainase oleh Bappeda"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reopened}");
    let (status, _, _) = decide(
        &r,
        &r.camat,
        drainage,
        &Uuid::new_v4().to_string(),
        Some("\"2\""),
        &json!({"action": "approve"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "reopened: decisions are taken again"
    );

    let (_, history) = json_of(
        r.app
            .get_as(&format!("/api/v1/proposals/{drainage}/history"), &r.camat)
            .await,
    )
    .await;
    let actions: Vec<&str> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "proposals.import",
            "decision.put",
            "kirim.send",
            "kirim.reopen",
            "decision.put"
        ],
        "{history}"
    );
}

#[tokio::test]
async fn the_history_tells_the_whole_story_with_request_ids() {
    let r = setup().await;
    let paving = r.ids[0];
    survey(&r, paving, "260").await;
    let response = r
        .app
        .client
        .put(r.app.url(&format!(
            "/api/v1/proposals/{paving}/decisions/{}",
            Uuid::new_v4()
        )))
        .bearer_auth(&r.camat)
        .header("If-Match", "\"2\"")
        .header("x-request-id", "req-test-42")
        .json(&json!({"action": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let (status, history) = json_of(
        r.app
            .get_as(&format!("/api/v1/proposals/{paving}/history"), &r.camat)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let events = history["events"].as_array().unwrap();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["proposals.import", "survey.store", "decision.put"]
    );
    let decision = &events[2];
    assert_eq!(decision["request_id"], "req-test-42");
    assert_eq!(decision["actor_role"], "camat");
    assert_eq!(decision["before"]["values"]["status"], "undecided");
    assert_eq!(decision["after"]["decision"]["after"]["status"], "approved");
    assert_eq!(events[0]["after"]["volume"], 200.0);
    assert_eq!(history["version"], 3);
}

#[tokio::test]
async fn the_public_page_shows_status_and_grounds_and_nothing_personal() {
    let r = setup().await;
    survey(&r, r.ids[0], "260").await;
    decide_all(&r).await;
    // Before the list is sent, the public sees every proposal under review, no decision.
    let before: Value = r
        .app
        .get("/api/v1/public/kelurahan/31.71.01.1002?tahun=2026")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(before["sent"], false, "{before}");
    for p in before["proposals"].as_array().unwrap() {
        assert_eq!(
            (p["status"].as_str(), p["status_text"].as_str()),
            (Some("undecided"), Some("Sedang ditinjau")),
            "{p}"
        );
        assert!(p["reason"].is_null(), "{p}");
    }
    let (status, _) = post_kirim(&r, &r.camat).await;
    assert_eq!(status, StatusCode::CREATED);
    let response = r
        .app
        .get("/api/v1/public/kelurahan/31.71.01.1002?tahun=2026")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("public")
    );
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let text = response.text().await.unwrap();
    let page: Value = serde_json::from_str(&text).unwrap();
    let proposals = page["proposals"].as_array().unwrap();
    assert_eq!(proposals.len(), 2, "Cideng's physical proposals: {page}");
    let beton = proposals
        .iter()
        .find(|p| p["usulan"] == "Betonisasi jalan Gang Melati")
        .unwrap();
    assert_eq!(beton["status"], "rejected");
    assert_eq!(
        beton["reason"]["id"],
        "Sudah dilaksanakan pada tahun sebelumnya"
    );
    let paving = proposals
        .iter()
        .find(|p| p["usulan"] == "Pemasangan paving block")
        .unwrap();
    assert_eq!(
        (paving["status"].as_str(), paving["volume"].as_str()),
        (Some("corrected"), Some("260"))
    );
    for personal in [
        "surveyor",
        "camat.",
        "Sudah dibeton",
        "photos",
        "thumbnail",
        "tjau_",
        "decided_by",
        "note",
    ] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
    let cached = r
        .app
        .client
        .get(
            r.app
                .url("/api/v1/public/kelurahan/31.71.01.1002?tahun=2026"),
        )
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(
        r.app
            .get("/api/v1/public/kelurahan/31.71.01?tahun=2026")
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        r.app
            .get("/api/v1/public/kelurahan/31.71.01.9999?tahun=2026")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}
