//! The kecamatan map and its GeoJSON.

#[allow(clippy::wildcard_imports)]
use super::*;

pub async fn map_page(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(raw): Path<String>,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    let kecamatan = kecamatan(lang, &raw)?;
    let tahun = tahun(&state, lang, &kecamatan, q.tahun).await?;
    // The same check as the list: a page never shows what the API would refuse.
    let mut conn = state.pool.acquire().await.map_err(db_fail(lang))?;
    let list = review::list(
        &mut conn,
        &session.user,
        &kecamatan,
        tahun,
        &ReviewFilter::default(),
        Paging {
            page: 1,
            per_page: 1,
        },
    )
    .await
    .map_err(fail(lang))?;
    drop(conn);
    let title = format!(
        "{} {} {}",
        lang.t("Peta Kecamatan", "Map of Kecamatan"),
        list.kecamatan_nama,
        tahun
    );
    let config = serde_json::json!({
        "boundaries": format!("/api/v1/wilayah/{kecamatan}/boundaries.geojson"),
        "points": format!("/kecamatan/{kecamatan}/peta.geojson?tahun={tahun}"),
    });
    let body = html! {
        h1 { (title) }
        div #map.map.big data-config=(config.to_string()) {}
        p.legend {
            span.key.sev-high { "●" } " " (lang.t("temuan tinggi", "high finding")) " "
            span.key.sev-warning { "●" } " " (lang.t("peringatan", "warning")) " "
            span.key.sev-info { "●" } " " (lang.t("info", "info")) " "
            span.key.sev-none { "●" } " " (lang.t("tanpa temuan", "clean")) " · "
            (lang.t("lingkaran tebal: sudah diputuskan", "thick ring: decided"))
        }
        script { (PreEscaped("document.addEventListener('DOMContentLoaded',function(){tinjauKecamatanMap('map')})")) }
    };
    Ok(page(&ctx, &title, Some(kecamatan.as_str()), true, &body))
}

pub async fn map_data(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(raw): Path<String>,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    let kecamatan = kecamatan(lang, &raw)?;
    let tahun = tahun(&state, lang, &kecamatan, q.tahun).await?;
    let mut conn = state.pool.acquire().await.map_err(db_fail(lang))?;
    let mut features = Vec::new();
    let mut page_no = 1;
    loop {
        let list = review::list(
            &mut conn,
            &session.user,
            &kecamatan,
            tahun,
            &ReviewFilter::default(),
            Paging {
                page: page_no,
                per_page: 500,
            },
        )
        .await
        .map_err(fail(lang))?;
        for item in &list.items {
            let Some(pin) = item.pin.as_ref().or(item.survey.as_ref().map(|s| &s.fix)) else {
                continue;
            };
            features.push(serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [pin.lon, pin.lat]},
                "properties": {
                    "id": item.id,
                    "usulan": item.usulan,
                    "severity": item.max_severity.map(Severity::as_str),
                    "decision": item.decision.as_str(),
                    "decision_label": decision_label(lang, item.decision),
                    "finding": what_is_wrong(lang, item),
                },
            }));
        }
        if page_no * 500 >= list.total {
            break;
        }
        page_no += 1;
    }
    let body = serde_json::json!({"type": "FeatureCollection", "features": features});
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/geo+json"),
        )],
        body.to_string(),
    )
        .into_response())
}
