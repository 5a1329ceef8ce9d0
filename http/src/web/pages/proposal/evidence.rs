//! What the proposal's page shows of the evidence: the survey's answers, the photos, the findings
//! and what the map draws.

#[allow(clippy::wildcard_imports)]
use super::*;

/// How far from the survey's fix (or the pin) a photo's EXIF position may be and still be drawn:
/// one farther away would zoom the map out to a dot, so it is listed as text instead. Metres.
const MAP_PHOTO_REACH_M: f64 = 1_000.0;

/// A photo's EXIF position too far from the place to draw.
pub(super) struct FarPhoto {
    /// 1-based, in the survey's order.
    number: usize,
    caption: Option<String>,
    /// From the survey's fix (or the pin), metres.
    distance_m: f64,
}

/// What the proposal's map draws, as JSON for the page's script, and the photos left off it.
pub(super) async fn map_features(
    state: &AppState,
    item: &ReviewItem,
) -> Result<(serde_json::Value, Vec<FarPhoto>), WorkflowError> {
    let mut photos = Vec::new();
    let mut far = Vec::new();
    let mut trace = serde_json::Value::Null;
    let centre = item.survey.as_ref().map(|s| s.fix).or(item.pin);
    if let Some(survey) = &item.survey {
        let mut conn = state.pool.acquire().await?;
        let (positions, traced) = review::survey_map(&mut conn, survey.id).await?;
        for (sha256, lat, lon) in positions {
            let distance_m = centre.as_ref().map_or(0.0, |c| {
                geo_rules::metric::geodesic_m([c.lon, c.lat], [lon, lat])
            });
            if distance_m > MAP_PHOTO_REACH_M {
                let index = survey.photos.iter().position(|p| p.sha256 == sha256);
                far.push(FarPhoto {
                    number: index.map_or(0, |i| i + 1),
                    caption: index.and_then(|i| survey.photos[i].caption.clone()),
                    distance_m,
                });
            } else {
                photos.push(serde_json::json!({"sha256": sha256, "lat": lat, "lon": lon}));
            }
        }
        trace = traced;
    }
    far.sort_by_key(|f| f.number);
    Ok((
        serde_json::json!({
            "boundary": format!("/api/v1/wilayah/{}/boundaries.geojson", item.kelurahan),
            "pin": item.pin.as_ref().map(|p| serde_json::json!({"lat": p.lat, "lon": p.lon})),
            "fix": item.survey.as_ref().map(|s| serde_json::json!({"lat": s.fix.lat, "lon": s.fix.lon, "accuracy_m": s.accuracy_m})),
            "trace": trace,
            "photos": photos,
        }),
        far,
    ))
}

/// A yes/no answer of the survey, with its note.
fn answer(
    lang: Lang,
    ok: bool,
    yes: (&str, &str),
    no: (&str, &str),
    note: Option<&String>,
) -> Markup {
    html! {
        @if ok { span.yes { (lang.t(yes.0, yes.1)) } } @else { span.no { "⚠ " (lang.t(no.0, no.1)) } }
        @if let Some(n) = note { " — “" (n) "”" }
    }
}

/// What the technical team answered in the field.
pub(super) fn survey_answers(lang: Lang, item: &ReviewItem, s: &SurveyBrief) -> Markup {
    let deviation = (item.volume > rust_decimal::Decimal::ZERO && s.unit == item.unit)
        .then(|| {
            use rust_decimal::prelude::ToPrimitive;
            ((s.volume - item.volume) / item.volume).to_f64()
        })
        .flatten();
    html! {
        section.answers {
            h2 { (lang.t("Hasil survei lapangan", "What the field survey found")) }
            dl {
                dt { (lang.t("Volume", "Volume")) }
                dd.volumes {
                    span { (lang.t("usulan ", "proposed ")) strong { (number(item.volume)) " " (item.satuan) } }
                    " → "
                    span { (lang.t("ukur ulang ", "remeasured ")) strong { (number(s.volume)) " " (s.satuan) } }
                    @if let Some(d) = deviation {
                        " " span.deviation { "(" @if d > 0.0 { "+" } (survey_schema::say::decimal(d * 100.0, 0, lang)) "%)" }
                    }
                }
                dt { (lang.t("Alamat", "Address")) }
                dd { (answer(lang, s.address_confirmed, ("Sesuai dengan usulan", "As proposed"), ("Tidak sesuai dengan usulan", "Not as proposed"), s.address_note.as_ref())) }
                dt { (lang.t("Kelayakan teknis", "Technical feasibility")) }
                dd { (answer(lang, s.technical_ok, ("Layak", "Feasible"), ("Tidak layak", "Not feasible"), s.technical_note.as_ref())) }
                dt { (lang.t("Kelayakan administrasi", "Administrative feasibility")) }
                dd { (answer(lang, s.administrative_ok, ("Layak", "Feasible"), ("Tidak layak", "Not feasible"), s.administrative_note.as_ref())) }
                @if let Some(n) = &s.note { dt { (lang.t("Catatan tim", "The team's note")) } dd { "“" (n) "”" } }
                dt { (lang.t("Diukur", "Measured")) }
                dd { (wib_time(s.captured_at)) @if let Some(by) = &s.surveyor { " · " (by) }
                    " · " (lang.t("akurasi GPS ", "GPS accuracy ")) (survey_schema::say::decimal(s.accuracy_m, 0, lang)) " m" }
            }
        }
    }
}

/// The survey's photos, each with its caption (also its alt text); those not yet arrived named.
pub(super) fn photos_section(lang: Lang, s: &SurveyBrief) -> Markup {
    let total = s.photos.len();
    html! {
        section.photos {
            h2 { (lang.t("Foto", "Photos")) " (" (s.photos.iter().filter(|p| p.received).count()) "/" (total) ")" }
            @if total == 0 { p { (lang.t("Survei ini tanpa foto.", "This survey has no photo.")) } }
            div.thumbs {
                @for (i, photo) in s.photos.iter().enumerate() {
                    @let alt = photo.caption.clone().unwrap_or_else(|| format!("{} {} {} {}", lang.t("Foto survei", "Survey photo"), i + 1, lang.t("dari", "of"), total));
                    figure {
                        @if photo.received {
                            a href={ "/foto/" (s.id) "/" (photo.sha256) } target="_blank" {
                                img src={ "/foto/" (s.id) "/" (photo.sha256) "/kecil" } alt=(alt) loading="lazy";
                            }
                        } @else {
                            div.pending { (lang.t("belum diterima", "not yet received")) }
                        }
                        figcaption { (i + 1) ". " (photo.caption.as_deref().unwrap_or(lang.t("(tanpa keterangan)", "(no caption)"))) }
                    }
                }
            }
        }
    }
}

/// Every finding in plain words, with a link to any proposal it names and its figures folded away.
pub(super) fn findings_section(lang: Lang, item: &ReviewItem) -> Markup {
    html! {
        section.anomalies {
            h2 { (lang.t("Temuan", "Findings")) " (" (item.anomalies.len()) ")" }
            @if item.anomalies.is_empty() { p { (lang.t("Tidak ada temuan.", "Nothing found.")) } }
            ul {
                @for a in &item.anomalies {
                    @let finding = survey_schema::finding::Finding::from_stored(&a.code, &a.details);
                    li class=(severity_class(Some(a.severity))) {
                        span class=(format!("badge {}", severity_class(Some(a.severity)))) { (severity_label(lang, Some(a.severity))) }
                        " " strong { (survey_schema::finding::Finding::short_label(&a.code, lang)) } " — " (lang.t(&a.message.id, &a.message.en))
                        @if let Some(other) = finding.as_ref().and_then(survey_schema::finding::Finding::other_proposal) {
                            " " a.other href={ "/usulan/" (other) } { (lang.t("Lihat usulan #", "See proposal #")) (other) }
                        }
                        (details_list(lang, &a.details))
                    }
                }
            }
        }
    }
}

/// The figures behind a finding, folded away under its sentence; numbers written the way the
/// page's language writes them.
fn details_list(lang: Lang, details: &serde_json::Value) -> Markup {
    let said = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(whole), _) => survey_schema::say::decimal(whole as f64, 0, lang),
            (None, Some(x)) => survey_schema::say::decimal(x, 2, lang),
            _ => n.to_string(),
        },
        serde_json::Value::Null => "—".to_owned(),
        other => other.to_string(),
    };
    html! {
        @if let Some(map) = details.as_object() {
            @if !map.is_empty() {
                details.figures {
                    summary { (lang.t("Angka di balik temuan", "The figures behind it")) }
                    dl.details {
                        @for (k, v) in map {
                            dt { (k) }
                            dd { (said(v)) }
                        }
                    }
                }
            }
        }
    }
}

/// The photos taken too far away to draw, as text with their distance in metres.
pub(super) fn far_photos(lang: Lang, far: &[FarPhoto]) -> Markup {
    html! {
        @if !far.is_empty() {
            div.alert.far {
                p { strong { (lang.t("Foto yang diambil jauh dari lokasi (tidak digambar di peta):", "Photos taken far from the place (not drawn on the map):")) } }
                ul { @for f in far {
                    li { (lang.t("Foto ", "Photo ")) (f.number) @if let Some(c) = &f.caption { " (" (c) ")" } ": "
                        strong { (survey_schema::say::decimal(f.distance_m, 0, lang)) " m" } (lang.t(" dari posisi survei", " from the survey's position")) }
                } }
            }
        }
    }
}
