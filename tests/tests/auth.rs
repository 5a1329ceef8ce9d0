//! Accounts, device tokens, roles and scopes, through the real server.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::StatusCode;
use serde_json::Value;
use survey_schema::Role;
use tinjau_tests::{TestApp, spawn_app_with_reference_data};

const PROPOSALS: &str = "\
No;Usulan Kegiatan;Lokasi;Kode Kelurahan;Volume;Satuan;Perkiraan Anggaran
1;Pemasangan paving block;Jl. A;31.71.01.1002;200;m2;Rp 32.000.000
2;Pemasangan paving block;Jl. B;31.71.02.1001;200;m2;Rp 32.000.000
";

/// Two proposals, one in kecamatan Gambir (31.71.01), one in Sawah Besar (31.71.02); their ids.
async fn with_proposals(app: &TestApp) -> (i64, i64) {
    let ids = app.import_proposals(PROPOSALS, 2026).await;
    (ids[0], ids[1])
}

async fn status_and_code(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn proposals_need_a_valid_token() {
    let app = spawn_app_with_reference_data().await;
    with_proposals(&app).await;
    let (status, code) =
        status_and_code(app.get("/api/v1/proposals?kecamatan=31.71.01").await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    let (status, _) = status_and_code(
        app.get_as("/api/v1/proposals?kecamatan=31.71.01", "tjau_0000")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_kecamatan_account_sees_its_kecamatan_only() {
    let app = spawn_app_with_reference_data().await;
    let (gambir, sawah_besar) = with_proposals(&app).await;
    for role in [Role::Camat, Role::Surveyor] {
        let token = app.token_for(role, Some("31.71.01")).await;
        let own = app
            .get_as("/api/v1/proposals?kecamatan=31.71.01", &token)
            .await;
        assert_eq!(own.status(), StatusCode::OK, "{role}");
        let body: Value = own.json().await.unwrap();
        assert_eq!(body["total"], 1);
        let one_kelurahan = app
            .get_as("/api/v1/proposals?kecamatan=31.71.01.1002", &token)
            .await;
        assert_eq!(one_kelurahan.status(), StatusCode::OK);
        for path in [
            "/api/v1/proposals?kecamatan=31.71.02".to_owned(),
            "/api/v1/proposals?kecamatan=31.71".to_owned(),
            format!("/api/v1/proposals/{sawah_besar}"),
        ] {
            let (status, code) = status_and_code(app.get_as(&path, &token).await).await;
            assert_eq!(
                (status, code.as_str()),
                (StatusCode::FORBIDDEN, "out_of_scope"),
                "{role} {path}"
            );
        }
        assert_eq!(
            app.get_as(&format!("/api/v1/proposals/{gambir}"), &token)
                .await
                .status(),
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn a_lurah_sees_its_kelurahan_and_an_opd_its_city() {
    let app = spawn_app_with_reference_data().await;
    let (gambir, sawah_besar) = with_proposals(&app).await;
    let lurah = app.token_for(Role::Lurah, Some("31.71.01.1002")).await;
    assert_eq!(
        app.get_as(&format!("/api/v1/proposals/{gambir}"), &lurah)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get_as("/api/v1/proposals?kecamatan=31.71.01", &lurah)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let opd = app.token_for(Role::Opd, Some("31.71")).await;
    assert_eq!(
        app.get_as(&format!("/api/v1/proposals/{sawah_besar}"), &opd)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get_as("/api/v1/proposals?kecamatan=31.72", &opd)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let city_wide = app.token_for(Role::Opd, None).await;
    assert_eq!(
        app.get_as("/api/v1/proposals?kecamatan=31", &city_wide)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn only_an_admin_imports_and_a_revoked_token_stops_working() {
    let app = spawn_app_with_reference_data().await;
    let surveyor = app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let response = app
        .client
        .post(app.url("/api/v1/admin/proposals/import?tahun=2026"))
        .bearer_auth(&surveyor)
        .body(PROPOSALS)
        .send()
        .await
        .unwrap();
    let (status, code) = status_and_code(response).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "forbidden")
    );

    let admin = app.token_for(Role::Admin, None).await;
    let response = app
        .client
        .post(app.url("/api/v1/admin/proposals/import?tahun=2026"))
        .bearer_auth(&admin)
        .body(PROPOSALS)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let user_id: i64 =
        sqlx::query_scalar("SELECT user_id FROM device_token WHERE token_sha256 = $1")
            .bind(tinjau_domain::caller::token_digest(&surveyor))
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        tinjau_db::user::revoke(&app.pool, user_id, None)
            .await
            .unwrap(),
        1
    );
    // Revoked in the database, as the CLI does: this server hears of it by NOTIFY.
    assert_eq!(
        app.status_within_seconds(
            "/api/v1/proposals?kecamatan=31.71.01",
            &surveyor,
            StatusCode::UNAUTHORIZED
        )
        .await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_accepted_token_is_not_read_again_until_an_account_changes() {
    let app = spawn_app_with_reference_data().await;
    let camat = app.token_for(Role::Camat, Some("31.71.01")).await;
    let path = "/api/v1/proposals?kecamatan=31.71.01";
    // Revoked with the notice held back: a server that kept the token still takes it, proof that
    // it did not read it again. A server keeps nothing until it listens for changes, which it
    // starts to as it starts, so this is tried until a request lands after that.
    let mut kept = false;
    for _ in 0..100 {
        assert_eq!(app.get_as(path, &camat).await.status(), StatusCode::OK);
        set_revoked_without_notice(&app.pool, true).await;
        if app.get_as(path, &camat).await.status() == StatusCode::OK {
            kept = true;
            break;
        }
        set_revoked_without_notice(&app.pool, false).await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(kept, "the server read an accepted token again");

    // Any change to an account tells the server to forget: the token is read again, and refused.
    sqlx::query("UPDATE app_user SET disabled_at = NULL")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        app.status_within_seconds(path, &camat, StatusCode::UNAUTHORIZED)
            .await,
        StatusCode::UNAUTHORIZED
    );
}

/// Revokes every token (or takes the revocation back) with the change's notice held back.
async fn set_revoked_without_notice(pool: &sqlx::PgPool, revoked: bool) {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("ALTER TABLE device_token DISABLE TRIGGER device_token_changed")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("UPDATE device_token SET revoked_at = CASE WHEN $1 THEN now() END")
        .bind(revoked)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("ALTER TABLE device_token ENABLE TRIGGER device_token_changed")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_token_records_when_it_was_last_used() {
    let app = spawn_app_with_reference_data().await;
    let token = app.token_for(Role::Camat, Some("31.71.01")).await;
    let before: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT last_used_at FROM device_token WHERE token_sha256 = $1")
            .bind(tinjau_domain::caller::token_digest(&token))
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(before.is_none());
    app.get_as("/api/v1/proposals?kecamatan=31.71.01", &token)
        .await;
    let after: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT last_used_at FROM device_token WHERE token_sha256 = $1")
            .bind(tinjau_domain::caller::token_digest(&token))
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(after.is_some());
}
