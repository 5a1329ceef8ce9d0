//! `tinjau forum ...`: the forum record from the console, on the same workflow as the API and the
//! page (the operator acts as an admin; the save is audited like any other).

use clap::Subcommand;
use survey_schema::WilayahKode;
use survey_schema::forum::ForumRecord;

use tinjau_http::auth::CurrentUser;

#[derive(Debug, Subcommand)]
pub enum ForumCommand {
    /// The forum record of a kecamatan and year as JSON, with what the Berita Acara still lacks
    Show {
        #[arg(long)]
        kecamatan: WilayahKode,
        #[arg(long)]
        tahun: i32,
    },
    /// Save the whole record from a JSON file (the shape `show` prints under "record")
    Set {
        #[arg(long)]
        kecamatan: WilayahKode,
        #[arg(long)]
        tahun: i32,
        #[arg(long)]
        file: std::path::PathBuf,
        /// The version the file was made from [default: the current one]
        #[arg(long)]
        if_match: Option<i32>,
    },
}

pub async fn forum(pool: &sqlx::PgPool, cmd: ForumCommand) -> anyhow::Result<()> {
    let user = CurrentUser::cli();
    match cmd {
        ForumCommand::Show { kecamatan, tahun } => {
            let view = tinjau_workflows::forum::view(pool, &user, &kecamatan, tahun)
                .await
                .map_err(super::review::console)?;
            say!("{}", serde_json::to_string_pretty(&view)?);
        }
        ForumCommand::Set {
            kecamatan,
            tahun,
            file,
            if_match,
        } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let record: ForumRecord = serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{}: not a forum record: {e}", file.display()))?;
            let current = match if_match {
                Some(v) => v,
                None => {
                    tinjau_workflows::forum::view(pool, &user, &kecamatan, tahun)
                        .await
                        .map_err(super::review::console)?
                        .version
                }
            };
            let view = tinjau_workflows::forum::save(
                pool,
                &user,
                &kecamatan,
                tahun,
                &tinjau_domain::Seen::version(current),
                record,
            )
            .await
            .map_err(super::review::console)?;
            say!(
                "forum record {kecamatan} {tahun}: version {}{}",
                view.version,
                if view.gaps.is_empty() {
                    "; complete for the Berita Acara".to_owned()
                } else {
                    format!(
                        "; still lacks: {}",
                        view.gaps
                            .iter()
                            .map(|g| g.en.as_str())
                            .collect::<Vec<_>>()
                            .join("; ")
                    )
                }
            );
        }
    }
    Ok(())
}
