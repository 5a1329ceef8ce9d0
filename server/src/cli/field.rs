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
        FieldCommand::Void { survey, reason } => {
            let done = field_work::void(pool, &me, survey, &reason)
                .await
                .map_err(refused)?;
            say!("{}", said(done, &format!("survey {survey} voided")));
        }
    }
    Ok(())
}
