//! `tinjau review ...` and `tinjau audit verify`: the camat's review from the command line, on the
//! same workflows as the API. The operator at the console acts as an admin.

use clap::Subcommand;
use rust_decimal::Decimal;
use survey_schema::{DecisionRequest, DecisionStatus, RejectReason, Severity, WilayahKode};

use tinjau_http::auth::CurrentUser;
use tinjau_workflows::refusal::WorkflowError;
use tinjau_workflows::review::{self, Paging, ReviewFilter};

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// The review list of a kecamatan, most serious first
    List {
        #[arg(long)]
        kecamatan: WilayahKode,
        #[arg(long)]
        tahun: i32,
        /// undecided, approved, corrected or rejected
        #[arg(long)]
        decision: Option<String>,
        /// An anomaly code
        #[arg(long)]
        anomaly: Option<String>,
        /// high, warning, info or none
        #[arg(long)]
        severity: Option<String>,
        /// Print the page as JSON (as the API answers)
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 1)]
        page: i64,
        #[arg(long, default_value_t = 500)]
        per_page: i64,
    },
    /// Decide one proposal
    Decide {
        /// The proposal's id
        proposal: i64,
        #[command(subcommand)]
        decision: DecideCommand,
        /// The version decided on [default: the current one]
        #[arg(long, global = true)]
        if_match: Option<i32>,
        /// The decision's UUID [default: a new one]
        #[arg(long, global = true)]
        id: Option<uuid::Uuid>,
        #[arg(long, global = true)]
        note: Option<String>,
    },
    /// Approve, in one action, every undecided proposal of the kecamatan (or one kelurahan) that has
    /// no finding, or whose suggestion is approve; each gets its own decision
    ApproveAll(ApproveAllArgs),
    /// Send the kecamatan's list up (refused while a physical proposal is undecided)
    Kirim {
        #[arg(long)]
        kecamatan: WilayahKode,
        #[arg(long)]
        tahun: i32,
    },
    /// Reopen a sent list, with a reason
    Reopen {
        #[arg(long)]
        kecamatan: WilayahKode,
        #[arg(long)]
        tahun: i32,
        #[arg(long)]
        reason: String,
    },
}

/// `tinjau review approve-all`.
#[derive(Debug, clap::Args)]
pub struct ApproveAllArgs {
    #[arg(long)]
    kecamatan: WilayahKode,
    #[arg(long)]
    tahun: i32,
    #[arg(long)]
    kelurahan: Option<WilayahKode>,
    /// Take the proposals the review suggests approving, not only those without a finding
    #[arg(long)]
    suggested: bool,
    /// Approve without asking (otherwise the count and total are shown and nothing is done)
    #[arg(long)]
    yes: bool,
    #[arg(long)]
    note: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum DecideCommand {
    /// Disetujui
    Approve,
    /// Ditolak, on ground a-g of the guideline
    Reject {
        #[arg(long)]
        reason: String,
    },
    /// Disetujui with the volume corrected
    SetVolume {
        #[arg(long)]
        volume: Decimal,
        #[arg(long)]
        satuan: String,
        /// Whole rupiah [default: at the proposal's unit cost]
        #[arg(long)]
        anggaran: Option<i64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every entry, every head recorded at a Kirim, and the Merkle log: every leaf against
    /// its entry, every signed tree head against the leaves; exits 1 if anything is broken
    Verify,
    /// Make every queued entry a leaf of the log now and sign a tree head (the server's sequencer
    /// does this within a second; for a database no server runs on)
    Sequence {
        /// The Ed25519 key file heads are signed with [default: audit-ed25519.key in the storage
        /// directory, as `tinjau serve` uses it]
        #[arg(long, env = "TINJAU_AUDIT_KEY")]
        audit_key: Option<std::path::PathBuf>,
        /// The storage directory whose key to use
        #[arg(long, env = "TINJAU_STORAGE_DIR")]
        storage_dir: Option<std::path::PathBuf>,
    },
}

/// `tinjau review approve-all`: the count and total first; with `--yes`, one bulk action.
async fn approve_all(
    pool: &sqlx::PgPool,
    me: &CurrentUser,
    args: ApproveAllArgs,
) -> anyhow::Result<()> {
    let ApproveAllArgs {
        kecamatan,
        tahun,
        kelurahan,
        suggested,
        yes,
        note,
    } = args;

    let criterion = if suggested {
        survey_schema::BulkCriterion::SuggestedApprove
    } else {
        survey_schema::BulkCriterion::NoFinding
    };
    let filter = ReviewFilter {
        kelurahan,
        ..ReviewFilter::default()
    };
    let mut conn = pool.acquire().await?;
    let candidates = review::bulk::candidates(&mut conn, me, &kecamatan, tahun, &filter, criterion)
        .await
        .map_err(console)?;
    drop(conn);
    let total: i64 = candidates.iter().map(|(_, rupiah)| rupiah).sum();
    say!(
        "{} proposals to approve, Rp {}",
        candidates.len(),
        survey_schema::say::grouped(i128::from(total), '.')
    );
    if !yes {
        say!("nothing decided: add --yes to approve them");
        return Ok(());
    }
    let request = survey_schema::BulkApproveRequest {
        id: uuid::Uuid::new_v4(),
        criterion,
        proposals: candidates.into_iter().map(|(p, _)| p).collect(),
        note,
    };
    let outcome = review::bulk::approve(pool, me, &kecamatan, tahun, &request)
        .await
        .map_err(console)?;
    say!(
        "approved {} (Rp {}), skipped {}{}",
        outcome.approved.len(),
        survey_schema::say::grouped(i128::from(outcome.total_rupiah), '.'),
        outcome.skipped.len(),
        if outcome.skipped.is_empty() {
            String::new()
        } else {
            format!(
                ": {}",
                outcome
                    .skipped
                    .iter()
                    .map(|s| format!("#{} {}", s.id, s.reason))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    Ok(())
}

/// A refusal as the console shows it: English, then Indonesian.
pub(super) fn console(e: WorkflowError) -> anyhow::Error {
    match e {
        WorkflowError::Refused(r) => {
            let details = r
                .details()
                .map(|d| format!("\n{}", serde_json::to_string_pretty(d).unwrap_or_default()))
                .unwrap_or_default();
            anyhow::anyhow!("refused ({}): {}\n{}{details}", r.code(), r.en(), r.id())
        }
        WorkflowError::Database(e) => e.into(),
        WorkflowError::Internal(e) => e,
    }
}

pub async fn review(pool: &sqlx::PgPool, cmd: ReviewCommand) -> anyhow::Result<()> {
    let me = CurrentUser::cli();
    match cmd {
        ReviewCommand::List {
            kecamatan,
            tahun,
            decision,
            anomaly,
            severity,
            json,
            page,
            per_page,
        } => {
            let filter = ReviewFilter {
                decision: decision
                    .as_deref()
                    .map(|d| {
                        DecisionStatus::parse(d).ok_or_else(|| {
                            anyhow::anyhow!(
                                "--decision: undecided, approved, corrected or rejected"
                            )
                        })
                    })
                    .transpose()?,
                anomaly,
                severity: match severity.as_deref() {
                    None => None,
                    Some("none") => Some(None),
                    Some(s) => Some(Some(Severity::parse(s).ok_or_else(|| {
                        anyhow::anyhow!("--severity: high, warning, info or none")
                    })?)),
                },
                ..ReviewFilter::default()
            };
            let paging = Paging::parse(Some(page), Some(per_page)).map_err(console)?;
            let mut conn = pool.acquire().await?;
            let list = review::list(&mut conn, &me, &kecamatan, tahun, &filter, paging)
                .await
                .map_err(console)?;
            print_list(&list, json)?;
        }
        ReviewCommand::Decide {
            proposal,
            decision,
            if_match,
            id,
            note,
        } => {
            let request = match decision {
                DecideCommand::Approve => DecisionRequest::Approve { note },
                DecideCommand::Reject { reason } => DecisionRequest::Reject {
                    reason: RejectReason::parse(reason.trim()).ok_or_else(|| {
                        anyhow::anyhow!(
                            "--reason: one of a, b, c, d, e, f, g (the guideline's grounds)"
                        )
                    })?,
                    note,
                },
                DecideCommand::SetVolume {
                    volume,
                    satuan,
                    anggaran,
                } => DecisionRequest::SetVolume {
                    volume,
                    satuan,
                    anggaran,
                    note,
                },
            };
            let version = match if_match {
                Some(v) => v,
                None => review::decision::current_version(pool, proposal)
                    .await?
                    .unwrap_or(0),
            };
            let done = review::decision::decide(
                pool,
                &me,
                proposal,
                id.unwrap_or_else(uuid::Uuid::new_v4),
                &tinjau_domain::Seen::version(version),
                &request,
            )
            .await
            .map_err(console)?;
            say!(
                "proposal {proposal}: {} -> {} ({} {}, Rp {}); version {}{}",
                done.view.before.status.as_str(),
                done.view.after.status.as_str(),
                done.view.after.volume,
                done.view.after.satuan,
                done.view.after.anggaran,
                done.version,
                if done.created {
                    ""
                } else {
                    " (a repeat: nothing changed)"
                }
            );
        }
        ReviewCommand::ApproveAll(args) => approve_all(pool, &me, args).await?,
        ReviewCommand::Kirim { kecamatan, tahun } => {
            let sent = review::kirim::send(pool, &me, &kecamatan, tahun)
                .await
                .map_err(console)?;
            say!(
                "sent: {} {}: {} agreed, {} not agreed; audit chain head #{} {}",
                sent.kecamatan,
                sent.tahun,
                sent.agreed,
                sent.not_agreed,
                sent.audit_seq,
                sent.audit_hash
            );
        }
        ReviewCommand::Reopen {
            kecamatan,
            tahun,
            reason,
        } => {
            review::kirim::reopen(pool, &me, &kecamatan, tahun, &reason)
                .await
                .map_err(console)?;
            say!("reopened: {kecamatan} {tahun} ({reason})");
        }
    }
    Ok(())
}

fn print_list(list: &survey_schema::ReviewPage, json: bool) -> anyhow::Result<()> {
    if json {
        say!("{}", serde_json::to_string_pretty(list)?);
        return Ok(());
    }
    say!(
        "{} {} ({}): {} physical proposals in the filter{}",
        list.kecamatan,
        list.kecamatan_nama,
        list.tahun,
        list.total,
        list.kirim.as_ref().map_or(String::new(), |k| format!(
            "; SENT {} by {} (locked)",
            k.sent_at.format("%Y-%m-%d %H:%M UTC"),
            k.sent_by
        ))
    );
    for i in &list.items {
        let worst = i.max_severity.map_or("-", Severity::as_str);
        let codes: Vec<&str> = i.anomalies.iter().map(|a| a.code.as_str()).collect();
        say!(
            "{:>7} v{:<3} {:<9} {:<10} {} | {} | {}{}",
            i.id,
            i.version,
            worst,
            i.decision.as_str(),
            i.usulan,
            codes.join(","),
            i.kelurahan_nama,
            i.suggestion.as_ref().map_or(String::new(), |s| format!(
                " | suggests {} ({})",
                s.action, s.because
            ))
        );
    }
    let decisions: Vec<String> = list
        .counts
        .by_decision
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    say!("decisions: {}", decisions.join(", "));
    Ok(())
}

pub async fn audit(pool: &sqlx::PgPool, cmd: AuditCommand) -> anyhow::Result<bool> {
    match cmd {
        AuditCommand::Verify => {
            let v = tinjau_workflows::audit::verify(pool).await?;
            for b in &v.breaks {
                let mut what = Vec::new();
                if b.content_changed {
                    what.push("its content was changed".to_owned());
                }
                if b.link_broken {
                    what.push("its link to the row before does not match (a row before it was changed or removed)".to_owned());
                }
                if b.link_broken && b.missing_before > 0 {
                    what.push(format!(
                        "{} row(s) just before it are missing",
                        b.missing_before
                    ));
                }
                say!("BROKEN at #{}: {}", b.seq, what.join("; "));
            }
            for problem in &v.tree.problems {
                say!("BROKEN in the log: {problem}");
            }
            for seq in &v.tree.queue.unqueued {
                say!(
                    "BROKEN: entry #{seq} is neither a leaf of the log nor waiting to be one (taken out of the queue)"
                );
            }
            for seq in &v.tree.queue.queued_but_gone {
                say!("BROKEN: entry #{seq} was waiting to become a leaf and is gone (removed)");
            }
            match &v.tree.latest {
                Some(h) => say!(
                    "log: {} leaves, {} signed heads; the newest: {} leaves, root {}, {} UTC, key {}",
                    v.tree.leaves,
                    v.tree.heads,
                    h.tree_size,
                    h.root_hash,
                    h.at.format("%Y-%m-%d %H:%M:%S"),
                    h.key_id
                ),
                None => say!("log: no signed head yet"),
            }
            if v.tree.queue.waiting > 0 {
                say!(
                    "log: {} entries wait for the sequencer (the oldest {:.0} s; `tinjau serve` integrates them within a second, `tinjau audit sequence` now)",
                    v.tree.queue.waiting,
                    v.tree.queue.oldest_waiting_secs.unwrap_or(0.0)
                );
            }
            for (k, t) in &v.changed_snapshots {
                say!(
                    "BROKEN: the snapshot sent with the Kirim of {k} {t} (what its forms are made from) was changed"
                );
            }
            for (k, t, seq) in &v.lost_kirim_heads {
                say!(
                    "BROKEN: the head #{seq} recorded at the Kirim of {k} {t} is no longer in the chain (rows removed at its end, or the chain rewritten)"
                );
            }
            match &v.head {
                Some((seq, hash)) => say!(
                    "audit: {} rows, head #{seq} {hash}: {}",
                    v.rows,
                    if v.is_intact() { "intact" } else { "BROKEN" }
                ),
                None => say!("audit: empty"),
            }
            Ok(v.is_intact())
        }
        AuditCommand::Sequence {
            audit_key,
            storage_dir,
        } => {
            let storage_dir = storage_dir.unwrap_or_else(tinjau_http::config::default_storage_dir);
            let key = tinjau_workflows::audit::key::AuditKey::load_or_create(
                &tinjau_http::config::audit_key_path(audit_key.as_deref(), &storage_dir),
            )?;
            match tinjau_workflows::audit::sequencer::integrate_all(pool, &key).await? {
                Some(h) => say!(
                    "log: {} leaves, root {}, signed by key {}",
                    h.tree_size,
                    h.root_hash,
                    h.key_id
                ),
                None => say!("log: nothing waited"),
            }
            Ok(true)
        }
    }
}
