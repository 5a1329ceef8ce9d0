//! Suggested decisions, where the evidence makes one obvious. The same function feeds the review
//! list and checks a decision (a reject that goes against a suggestion needs the camat's note).

use survey_schema::anomaly::codes;
use survey_schema::{Anomaly, LocalizedMessage, RejectReason, Severity, Suggestion, SurveyBrief};

/// The survey finding behind a `set_volume` suggestion.
pub const VOLUME_DEVIATION: &str = "VOLUME_DEVIATION";

/// What the evidence suggests, most compelling first: work already done in an earlier year (f);
/// a survey that found it infeasible (g); a remeasured volume that deviates (set it); a checked
/// survey and nothing of concern (approve). `None` when no action is obvious.
pub fn suggest(
    anomalies: &[Anomaly],
    survey: Option<&SurveyBrief>,
    survey_checked: bool,
) -> Option<Suggestion> {
    let has = |code: &str| anomalies.iter().any(|a| a.code == code);
    if has(codes::DONE_BEFORE) {
        return Some(reject(
            RejectReason::F,
            codes::DONE_BEFORE,
            "Pekerjaan yang sama sudah disetujui pada tahun sebelumnya: tolak dengan alasan (f).",
            "The same work was approved in an earlier year: reject on ground (f).",
        ));
    }
    if let Some(s) = survey {
        if !s.technical_ok || !s.administrative_ok {
            let (id, en) = match (s.technical_ok, s.administrative_ok) {
                (false, false) => (
                    "secara teknis dan administratif",
                    "technically and administratively",
                ),
                (false, true) => ("secara teknis", "technically"),
                _ => ("secara administratif", "administratively"),
            };
            return Some(reject(
                RejectReason::G,
                "SURVEY_NOT_FEASIBLE",
                &format!(
                    "Tim teknis menilai usulan ini tidak layak {id}: tolak dengan alasan (g) dan catatan."
                ),
                &format!(
                    "The technical team found it not feasible {en}: reject on ground (g) with a note."
                ),
            ));
        }
        if has(VOLUME_DEVIATION) {
            return Some(Suggestion {
                action: "set_volume".into(),
                reason: None,
                volume: Some(s.volume),
                satuan: Some(s.satuan.clone()),
                because: VOLUME_DEVIATION.into(),
                message: LocalizedMessage {
                    id: format!(
                        "Ubah volume menjadi hasil ukur ulang: {} {}.",
                        s.volume, s.satuan
                    ),
                    en: format!(
                        "Set the volume to the remeasured {} {}.",
                        s.volume, s.satuan
                    ),
                },
            });
        }
        let concerning = anomalies.iter().any(|a| a.severity >= Severity::Warning);
        if survey_checked && !concerning {
            return Some(Suggestion {
                action: "approve".into(),
                reason: None,
                volume: None,
                satuan: None,
                because: "SURVEY_CLEAN".into(),
                message: LocalizedMessage {
                    id: "Survei lengkap tanpa temuan yang perlu diperhatikan: setujui.".into(),
                    en: "A complete survey with nothing of concern: approve.".into(),
                },
            });
        }
    }
    None
}

fn reject(reason: RejectReason, because: &str, id: &str, en: &str) -> Suggestion {
    Suggestion {
        action: "reject".into(),
        reason: Some(reason),
        volume: None,
        satuan: None,
        because: because.into(),
        message: LocalizedMessage {
            id: id.into(),
            en: en.into(),
        },
    }
}

/// Whether a reject on `reason` goes against `suggestion` (so the camat must say why).
pub fn overrides(suggestion: Option<&Suggestion>, reason: RejectReason) -> bool {
    suggestion.is_some_and(|s| !(s.action == "reject" && s.reason == Some(reason)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use survey_schema::RawPoint;

    fn anomaly(code: &str, severity: Severity) -> Anomaly {
        Anomaly {
            code: code.to_owned(),
            severity,
            message: LocalizedMessage {
                id: String::new(),
                en: String::new(),
            },
            details: serde_json::json!({}),
        }
    }

    fn survey(technical_ok: bool) -> SurveyBrief {
        SurveyBrief {
            id: uuid::Uuid::nil(),
            captured_at: chrono::DateTime::UNIX_EPOCH,
            received_at: chrono::DateTime::UNIX_EPOCH,
            surveyor: None,
            fix: RawPoint {
                lat: -6.1,
                lon: 106.8,
            },
            accuracy_m: 5.0,
            volume: Decimal::new(1855, 1),
            satuan: "m2".into(),
            unit: None,
            technical_ok,
            administrative_ok: true,
            photo_count: 2,
            thumbnails: vec![],
            address_confirmed: true,
            address_note: None,
            technical_note: None,
            administrative_note: None,
            note: None,
            photos: vec![],
        }
    }

    #[test]
    fn done_before_suggests_ground_f_over_everything_else() {
        let found = [
            anomaly(VOLUME_DEVIATION, Severity::Warning),
            anomaly(codes::DONE_BEFORE, Severity::High),
        ];
        let s = suggest(&found, Some(&survey(true)), true).unwrap();
        assert_eq!(
            (s.action.as_str(), s.reason),
            ("reject", Some(RejectReason::F))
        );
        assert!(!overrides(Some(&s), RejectReason::F));
        assert!(overrides(Some(&s), RejectReason::A));
    }

    #[test]
    fn a_deviating_volume_suggests_the_surveyed_value_and_a_clean_survey_approval() {
        let s = suggest(
            &[anomaly(VOLUME_DEVIATION, Severity::Warning)],
            Some(&survey(true)),
            true,
        )
        .unwrap();
        assert_eq!(
            (s.action.as_str(), s.volume),
            ("set_volume", Some(Decimal::new(1855, 1)))
        );
        let info_only = [anomaly(codes::LOCATION_BORDERLINE, Severity::Info)];
        assert_eq!(
            suggest(&info_only, Some(&survey(true)), true).map(|s| s.action),
            Some("approve".into())
        );
        assert_eq!(
            suggest(&info_only, Some(&survey(true)), false),
            None,
            "photos pending"
        );
        assert_eq!(suggest(&info_only, None, false), None, "not surveyed");
        let infeasible = suggest(&[], Some(&survey(false)), true).unwrap();
        assert_eq!(infeasible.reason, Some(RejectReason::G));
        assert!(!overrides(None, RejectReason::A));
    }
}
