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
    let tahun = crate::field_work::survey_year(state, &scope).await?;
    let mut page = AssignmentsPage {
        assignments: Vec::new(),
        removed: Vec::new(),
        cursor: since.to_string(),
        has_more: false,
        boundaries_etag: None,
        tahun,
        surveys: Vec::new(),
    };
    if let Some(area) = &user.scope {
        let fingerprint = db::boundary::kelurahan_fingerprint(&state.pool, area).await?;
        page.boundaries_etag = Some(format!("\"{fingerprint}\""));
    }
    let Some(tahun) = tahun else {
        return Ok(page);
    };
    let team = crate::field_work::team_of(&state.pool, user).await?;
    let rows = db::field_work::assignments(
        &state.pool,
        &scope,
        tahun,
        since,
        PAGE + 1,
        (user.id, team.as_deref()),
    )
    .await?;
    let page_size = usize::try_from(PAGE).unwrap_or(usize::MAX);
    page.has_more = rows.len() > page_size;
    let rows: Vec<_> = rows.into_iter().take(page_size).collect();
    page.cursor = rows.last().map_or(since, |r| r.change_seq).to_string();
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
                assigned_to: r.assigned_to,
                mine: r.mine,
                resurvey_reason: r.resurvey_reason,
            });
        } else if since > 0 {
            // On a first sync there is nothing to remove.
            page.removed.push(r.id);
        }
    }
    // Its own assignments first.
    page.assignments.sort_by_key(|a| !a.mine);
    page.surveys = crate::field_work::fates(&state.pool, user, tahun).await?;
    Ok(page)
}
