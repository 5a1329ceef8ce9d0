//! `tinjau import ...` and `tinjau analyze`: reference data in, then the checks again.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(super) async fn analyze(pool: &sqlx::PgPool, surveys: SurveyRecheck) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let index = tinjau_workflows::locator::load(pool).await?;
    let s = tinjau_workflows::analysis::recompute(pool, &index, surveys).await?;
    report_checks(&s, started);
    Ok(())
}

/// What the checks found, and since when every finding is current.
fn report_checks(s: &tinjau_workflows::analysis::AnalysisSummary, started: std::time::Instant) {
    let by_code: Vec<String> = s
        .by_code
        .iter()
        .map(|(code, n)| format!("{code} {n}"))
        .collect();
    say!(
        "checks: {} proposals, {} with anomalies, {} anomalies{}{}",
        s.proposals,
        s.with_anomalies,
        s.anomalies,
        if by_code.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_code.join(", "))
        },
        if s.unknown_activity > 0 {
            format!(
                "; {} proposals of activities the catalogue does not know",
                s.unknown_activity
            )
        } else {
            String::new()
        }
    );
    if s.surveys_rechecked > 0 {
        say!(
            "survey checks run again: {} surveys, {} with changed findings",
            s.surveys_rechecked,
            s.surveys_changed
        );
    }
    if let Some(at) = s.current_at {
        say!(
            "every finding is current as of {} ({:.1} s after the import)",
            at.format("%Y-%m-%d %H:%M:%S UTC"),
            started.elapsed().as_secs_f64()
        );
    }
}

/// `what: N rows from FILE: I inserted, U updated, K unchanged`.
pub(super) fn report_counts(what: &str, c: &import::ImportCounts, file: &std::path::Path) {
    say!(
        "{what}: {} rows from {}: {} inserted, {} updated, {} unchanged",
        c.total,
        file.display(),
        c.inserted,
        c.updated,
        c.unchanged
    );
}

/// What a Renja import says at the console.
pub(super) fn report_renja(s: &import::renja::RenjaSummary, file: &std::path::Path, tahun: i32) {
    let c = &s.counts;
    say!(
        "renja {} {tahun}: {} rows from {}: {} inserted, {} updated, {} unchanged, {} rejected; {} at kota level",
        s.opd_kode,
        c.total + s.rejected.len(),
        file.display(),
        c.inserted,
        c.updated,
        c.unchanged,
        s.rejected.len(),
        s.citywide
    );
    if let Some(path) = &s.rejected_file {
        say!(
            "rejected rows, with their reasons, written to {}:\n{}",
            path.display(),
            import::list(&s.rejected)
        );
    }
    if !s.fuzzy_matches.is_empty() {
        say!(
            "names matched approximately (check them):\n{}",
            import::list(&s.fuzzy_matches)
        );
    }
    if s.summary_rows > 0 {
        say!(
            "{} program, kegiatan, sub-kegiatan and total rows of the printed report recognised (not lines)",
            s.summary_rows
        );
    }
    if !s.pagu_mismatches.is_empty() {
        say!(
            "summed pagu that disagree with the rows beneath them (check the report):\n{}",
            import::list(&s.pagu_mismatches)
        );
    }
    if s.not_in_file > 0 {
        say!(
            "{} earlier lines of {} {tahun} are not in this file (kept)",
            s.not_in_file,
            s.opd_kode
        );
    }
}

pub(super) async fn run_import(pool: &sqlx::PgPool, cmd: ImportCommand) -> anyhow::Result<()> {
    match cmd {
        ImportCommand::Proposals {
            file,
            tahun,
            skip_invalid,
            rejected,
            wilayah,
        } => {
            let default_rejected = || {
                let stem = file
                    .file_stem()
                    .map_or_else(|| "proposals".into(), |s| s.to_string_lossy().into_owned());
                PathBuf::from(format!("{stem}.rejected.csv"))
            };
            let options = import::proposals::ProposalImportOptions {
                tahun,
                skip_invalid,
                rejected_path: skip_invalid.then(|| rejected.unwrap_or_else(default_rejected)),
                scope: wilayah,
                actor: None,
            };
            return import_proposals(pool, &file, &options).await;
        }
        ImportCommand::Prices {
            file,
            region,
            tahun,
        } => {
            let s = import::prices::import(pool, &file, &region, tahun).await?;
            let c = &s.counts;
            say!(
                "prices ({} {region} {tahun}): {} items from {}: {} inserted, {} updated, {} unchanged; {} rounded to whole rupiah, {} in units the checks do not compare",
                s.source,
                c.total,
                file.display(),
                c.inserted,
                c.updated,
                c.unchanged,
                s.rounded,
                s.unknown_units
            );
            return analyze(pool, SurveyRecheck::None).await;
        }
        ImportCommand::Renja {
            file,
            opd,
            tahun,
            skip_invalid,
            rejected,
            wilayah,
        } => {
            let options = import::renja::RenjaImportOptions {
                opd,
                tahun,
                skip_invalid,
                rejected_path: skip_invalid.then(|| {
                    rejected.unwrap_or_else(|| {
                        let stem = file
                            .file_stem()
                            .map_or_else(|| "renja".into(), |s| s.to_string_lossy().into_owned());
                        PathBuf::from(format!("{stem}.rejected.csv"))
                    })
                }),
                scope: wilayah,
                actor: None,
            };
            let s = import::renja::import(pool, &file, &options).await?;
            report_renja(&s, &file, tahun);
        }
        ImportCommand::Opd { file } => {
            report_counts("agencies", &import::opd::import(pool, &file).await?, &file);
        }
        ImportCommand::WilayahAlias { file } => {
            report_counts(
                "old kelurahan names",
                &import::wilayah::import_aliases(pool, &file).await?,
                &file,
            );
        }
        ImportCommand::Wilayah { file, progress } => {
            report_counts(
                "wilayah",
                &import::wilayah::import(pool, &file, !progress.no_progress).await?,
                &file,
            );
        }
        ImportCommand::Boundaries {
            file,
            level,
            repair,
            progress,
        } => {
            let s = import::boundaries::import(pool, &file, level, !progress.no_progress, repair)
                .await?;
            if !s.rings_closed.is_empty() {
                say!(
                    "closed {} ring(s) that did not end where they start (--repair):\n{}",
                    s.rings_closed.len(),
                    s.rings_closed
                        .iter()
                        .map(|r| format!("  {r}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                );
            }
            let kelurahan_changed =
                level == WilayahLevel::Kelurahan && s.counts.inserted + s.counts.updated > 0;
            let c = &s.counts;
            say!(
                "boundaries ({level}): {} features from {}: {} inserted, {} updated, {} unchanged, {} repaired",
                c.total,
                file.display(),
                c.inserted,
                c.updated,
                c.unchanged,
                c.repaired
            );
            if !s.repaired.is_empty() {
                say!(
                    "repaired (invalid polygons made valid with ST_MakeValid, --repair):\n{}",
                    import::list(&s.repaired)
                );
            }
            // The map-pin checks depend on the kelurahan boundaries.
            if kelurahan_changed {
                return analyze(pool, SurveyRecheck::All).await;
            }
        }
    }
    Ok(())
}

/// `tinjau import proposals`: the file in, then the checks again, through the same workflow as the
/// admin endpoint.
async fn import_proposals(
    pool: &sqlx::PgPool,
    file: &std::path::Path,
    options: &import::proposals::ProposalImportOptions,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let index = tinjau_workflows::locator::load(pool).await?;
    let (s, checks) = import::proposals::import_and_check(
        pool,
        &index,
        import::InputFile::read(file, false)?,
        options,
    )
    .await?;
    let c = &s.counts;
    say!(
        "proposals {}: {} rows from {}: {} inserted, {} updated, {} unchanged, {} rejected",
        options.tahun,
        c.total + s.rejected.len(),
        file.display(),
        c.inserted,
        c.updated,
        c.unchanged,
        s.rejected.len()
    );
    if let Some(path) = &s.rejected_file {
        say!(
            "rejected rows, with their reasons, written to {}:\n{}",
            path.display(),
            import::list(&s.rejected)
        );
    }
    if !s.fuzzy_matches.is_empty() {
        say!(
            "kelurahan matched by approximate name (check them):\n{}",
            import::list(&s.fuzzy_matches)
        );
    }
    if s.unknown_activities > 0 {
        say!(
            "{} proposals are of activities the catalogue does not know (kept; see `tinjau catalogue`)",
            s.unknown_activities
        );
    }
    report_checks(&checks, started);
    Ok(())
}
