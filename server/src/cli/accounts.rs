//! Accounts and tokens: `tinjau user add`, `tinjau token ...`.

#[allow(clippy::wildcard_imports)]
use super::*;

/// `tinjau user add`: through the workflow the admin's page uses.
pub(super) async fn add_user(
    database_url: &str,
    name: String,
    role: survey_schema::Role,
    wilayah: Option<survey_schema::WilayahKode>,
    password_stdin: bool,
    opd: Option<String>,
) -> anyhow::Result<()> {
    let pool = tinjau_workflows::database::migrated_pool(database_url, 2).await?;
    let password = if password_stdin {
        Some(read_password()?)
    } else {
        None
    };
    let new = tinjau_workflows::accounts::admin::NewAccount {
        name: name.clone(),
        role,
        wilayah: wilayah.clone(),
        password,
        opd: opd.clone(),
    };
    let id = tinjau_workflows::accounts::admin::add_account(
        &pool,
        &tinjau_workflows::audit::Actor::cli(),
        &new,
    )
    .await
    .map_err(review::console)?;
    say!(
        "user {name} (id {id}): {role}{}{}",
        wilayah.map(|w| format!(" of {w}")).unwrap_or_default(),
        opd.map(|o| format!(", planner of {o}")).unwrap_or_default()
    );
    Ok(())
}

/// The first line of standard input: a password.
pub(super) fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// The kecamatan a phone is set up for: `explicit`, else the user's own (its scope, or the
/// kecamatan around its kelurahan).
pub(super) fn odk_project(
    user: &tinjau_workflows::accounts::UserRow,
    explicit: Option<&str>,
) -> anyhow::Result<survey_schema::WilayahKode> {
    use survey_schema::WilayahKode;
    let kode = match (explicit, user.wilayah_kode.as_ref()) {
        (Some(k), _) => WilayahKode::parse(k)?,
        (None, Some(scope)) => scope
            .ancestor(WilayahLevel::Kecamatan)
            .unwrap_or_else(|| scope.0.clone()),
        (None, None) => bail!("{} has no wilayah: give --kecamatan", user.name),
    };
    if kode.level() != WilayahLevel::Kecamatan {
        bail!("{kode} is not a kecamatan code (such as 31.71.01): give --kecamatan");
    }
    Ok(kode)
}

pub(super) async fn token(pool: &sqlx::PgPool, cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Issue {
            user,
            label,
            no_qr,
            odk,
            url,
            kecamatan,
            png,
        } => {
            let found = tinjau_workflows::accounts::user_by_name(pool, &user)
                .await?
                .with_context(|| format!("no active user named '{user}'"))?;
            if odk && found.role != "surveyor" {
                bail!(
                    "{user} is a {}: ODK Collect keys are for surveyor accounts only (the key travels in URLs)",
                    found.role
                );
            }
            let token = tinjau_http::auth::new_token();
            let id = tinjau_workflows::accounts::issue_token(
                pool,
                &tinjau_workflows::audit::Actor::cli(),
                found.id,
                &tinjau_http::auth::token_digest(&token),
                &label,
            )
            .await?;
            if odk {
                let project = odk_project(&found, kecamatan.as_deref())?;
                let nama = tinjau_workflows::areas::name_of(pool, &project)
                    .await?
                    .unwrap_or_else(|| project.to_string());
                let project_name = format!("Tinjau Kec. {nama}");
                let server_url = odk_settings::server_url(&url, &token, &project.to_string());
                let settings = odk_settings::collect_settings(&server_url, &project_name, &user);
                let payload = odk_settings::encode(&settings)?;
                let png = png.unwrap_or_else(|| format!("odk-{user}.png").into());
                std::fs::write(&png, odk_settings::png_qr(&payload)?)
                    .with_context(|| format!("writing {}", png.display()))?;
                say!("{}", odk_settings::terminal_qr(&payload)?);
                say!(
                    "ODK Collect settings for {user} ({}), project {project_name} ({project}); token {id}.",
                    found.role
                );
                say!("server_url: {server_url}");
                say!("payload: {payload}");
                say!("png: {}", png.display());
                say!(
                    "In ODK Collect or KoboCollect: Add project > Configure with QR code, and scan it. The key in the URL is shown only now; revoke it with `tinjau token revoke --user {user} --id {id}`."
                );
            } else if no_qr {
                say!("{token}");
            } else {
                let code = qrcode::QrCode::new(token.as_bytes())?;
                let picture = code
                    .render::<qrcode::render::unicode::Dense1x2>()
                    .dark_color(qrcode::render::unicode::Dense1x2::Light)
                    .light_color(qrcode::render::unicode::Dense1x2::Dark)
                    .build();
                say!("{picture}");
                say!("token {id} for {user} ({}): {token}", found.role);
                say!(
                    "It is shown only now; Tinjau keeps only its hash. Revoke it with `tinjau token revoke --user {user} --id {id}`."
                );
            }
        }
        TokenCommand::Revoke { user, id } => {
            let found = tinjau_workflows::accounts::user_by_name(pool, &user)
                .await?
                .with_context(|| format!("no active user named '{user}'"))?;
            // This process keeps no tokens; running servers hear of the change by NOTIFY.
            let revoked = tinjau_workflows::accounts::revoke_tokens(
                pool,
                &tinjau_workflows::accounts::token_cache::TokenCache::default(),
                &tinjau_workflows::audit::Actor::cli(),
                found.id,
                id,
            )
            .await?;
            say!("revoked {revoked} token(s) of {user}");
        }
    }
    Ok(())
}
