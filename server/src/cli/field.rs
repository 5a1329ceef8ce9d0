//! `tinjau field ...`: the technical team's work from the command line, on the same workflow as
//! the API and the pages. The operator at the console acts as an admin.

use clap::Subcommand;
use survey_schema::WilayahKode;

use tinjau_http::auth::CurrentUser;
use tinjau_workflows::field_work::{self, AssignTo, Done, Which};

#[derive(Debug, Subcommand)]
pub enum FieldCommand {
    /// Assign physical proposals of a kecamatan to a surveyor or a team (the surveyor's phone
    /// lists them first), or remove the assignment
    Assign {
        #[arg(long)]
        kecamatan: WilayahKode,
        #[arg(long)]
        tahun: i32,
        /// Every physical proposal of this kelurahan
        #[arg(long, conflicts_with = "proposal")]
        kelurahan: Option<WilayahKode>,
        /// These proposals (repeat the flag)
        #[arg(long)]
        proposal: Vec<i64>,
        /// A surveyor of the kecamatan, by account name
        #[arg(long, conflicts_with_all = ["team", "nobody"])]
        surveyor: Option<String>,
        /// A team (`tinjau user team` puts surveyors in it)
        #[arg(long, conflicts_with = "nobody")]
        team: Option<String>,
        /// Remove the assignment
        #[arg(long)]
        nobody: bool,
    },
    /// Send a proposal's survey back for another visit, with a reason the surveyor will read
    SendBack {
        proposal: i64,
        #[arg(long)]
        reason: String,
    },
    /// Void a survey filed against the wrong proposal, with a reason (kept on record)
    Void {
        survey: uuid::Uuid,
        #[arg(long)]
        reason: String,
    },
    /// Package a kecamatan's map tiles from a tile server you name into an MBTiles file that the
    /// surveyors' phones get with the form (for areas without signal). No tile server is built in
    Tiles {
        #[arg(long)]
        kecamatan: WilayahKode,
        /// XYZ tile URL, e.g. https://tiles.example/{z}/{x}/{y}.png (respect its terms of use)
        #[arg(long)]
        source: String,
        /// Zoom levels, e.g. 14-17
        #[arg(long, default_value = "14-17", value_parser = zoom_range)]
        zoom: std::ops::RangeInclusive<u8>,
        /// Credit the tile server asks for
        #[arg(long)]
        attribution: Option<String>,
        /// Where to write it [default: <storage dir>/tiles/<kecamatan>.mbtiles, where `tinjau serve`
        /// finds it]
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// The server's storage directory [default: as `tinjau serve`]
        #[arg(long, env = "TINJAU_STORAGE_DIR")]
        storage_dir: Option<std::path::PathBuf>,
        /// Refuse a package of more tiles than this
        #[arg(long, default_value_t = tinjau_workflows::tiles::MAX_TILES)]
        max_tiles: u64,
    },
}

/// `14-17` or `15`.
fn zoom_range(raw: &str) -> Result<std::ops::RangeInclusive<u8>, String> {
    let (a, b) = raw.split_once('-').unwrap_or((raw, raw));
    let parse = |s: &str| {
        s.trim()
            .parse::<u8>()
            .map_err(|_| format!("'{raw}' is not a zoom range such as 14-17"))
    };
    Ok(parse(a)?..=parse(b)?)
}

fn said(done: Done, what: &str) -> String {
    match done {
        Done::Done => what.to_owned(),
        Done::Repeat => format!("{what} already (nothing changed)"),
    }
}

pub async fn run(pool: &sqlx::PgPool, command: FieldCommand) -> anyhow::Result<()> {
    let me = CurrentUser::cli();
    let refused = super::review::console;
    match command {
        FieldCommand::Assign {
            kecamatan,
            tahun,
            kelurahan,
            proposal,
            surveyor,
            team,
            nobody,
        } => {
            let which = match kelurahan {
                Some(k) => Which::Kelurahan(k),
                None => Which::Proposals(proposal),
            };
            let to = match (surveyor, team, nobody) {
                (Some(s), _, _) => AssignTo::Surveyor(s),
                (None, Some(t), _) => AssignTo::Team(t),
                (None, None, true) => AssignTo::Nobody,
                (None, None, false) => anyhow::bail!("name --surveyor, --team or --nobody"),
            };
            let changed = field_work::assign(pool, &me, &kecamatan, tahun, &which, &to)
                .await
                .map_err(refused)?;
            say!("{changed} proposal(s) changed hands");
        }
        FieldCommand::SendBack { proposal, reason } => {
            let done = field_work::send_back(pool, &me, proposal, &reason)
                .await
                .map_err(refused)?;
            say!("{}", said(done, &format!("proposal {proposal} sent back")));
        }
        FieldCommand::Tiles {
            kecamatan,
            source,
            zoom,
            attribution,
            out,
            storage_dir,
            max_tiles,
        } => {
            let out = out.unwrap_or_else(|| {
                tinjau_workflows::tiles::path_for(
                    &storage_dir.unwrap_or_else(tinjau_http::config::default_storage_dir),
                    &kecamatan,
                )
            });
            let job = tinjau_workflows::tiles::TileJob {
                kecamatan,
                source,
                zooms: zoom,
                out: out.clone(),
                attribution,
                max_tiles,
            };
            let step = std::cell::Cell::new(0_u64);
            let done = tinjau_workflows::tiles::package(pool, &job, |n, total| {
                let tenth = n * 10 / total.max(1);
                if tenth > step.get() {
                    step.set(tenth);
                    eprintln!("tiles: {n}/{total}");
                }
            })
            .await?;
            say!(
                "{}: {} tiles ({} bytes), {} not on the server; the phones get it as {}",
                out.display(),
                done.tiles,
                done.bytes,
                done.missing,
                tinjau_workflows::tiles::ATTACHMENT
            );
        }
        FieldCommand::Void { survey, reason } => {
            let done = field_work::void(pool, &me, survey, &reason)
                .await
                .map_err(refused)?;
            say!("{}", said(done, &format!("survey {survey} voided")));
        }
    }
    Ok(())
}
