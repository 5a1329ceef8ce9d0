//! What a phone downloads before going into the field, incrementally: the physical proposals of
//! its area that need a survey, changed since its cursor.

use survey_schema::survey::{Assignment, AssignmentsPage};
use survey_schema::{RawPoint, Role};
use tinjau_domain::CurrentUser;

use crate::app::AppState;
use crate::db;
use crate::refusal::WorkflowError;

/// Proposals in one answer; a phone asks again while `has_more`.
const PAGE: i64 = 500;

/// The assignments changed since cursor `since` (0: a first, full sync), the ids that left the
/// list, and the next cursor.
pub async fn assignments(
    state: &AppState,
    user: &CurrentUser,
    since: i64,
) -> Result<AssignmentsPage, WorkflowError> {
    user.require_role(&[Role::Surveyor, Role::Camat, Role::Admin])?;
    let scope = user
        .scope
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let rows = db::survey::assignments(&state.pool, &scope, since, PAGE + 1).await?;
    let page_size = usize::try_from(PAGE).unwrap_or(usize::MAX);
    let has_more = rows.len() > page_size;
    let rows: Vec<_> = rows.into_iter().take(page_size).collect();
    let cursor = rows.last().map_or(since, |r| r.change_seq);
    let mut page = AssignmentsPage {
        assignments: Vec::new(),
        removed: Vec::new(),
        cursor: cursor.to_string(),
        has_more,
        boundaries_etag: None,
    };
    for r in rows {
        if r.needs_survey {
            page.assignments.push(Assignment {
                id: r.id,
                tahun: r.tahun,
                kelurahan: r.kelurahan_kode.into(),
                rw: r.rw,
                rt: r.rt,
                usulan: r.usulan,
                lokasi: r.lokasi,
                volume: r.volume.normalize(),
                satuan: r.satuan_raw,
                activity: r.activity_code,
                pin: r.lon.zip(r.lat).map(|(lon, lat)| RawPoint { lat, lon }),
            });
        } else if since > 0 {
            // On a first sync there is nothing to remove.
            page.removed.push(r.id);
        }
    }
    if let Some(area) = &user.scope {
        let fingerprint = db::boundary::kelurahan_fingerprint(&state.pool, area).await?;
        page.boundaries_etag = Some(format!("\"{fingerprint}\""));
    }
    Ok(page)
}
