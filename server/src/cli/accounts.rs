//! Accounts and tokens: `tinjau user add`, `tinjau token ...`.

#[allow(clippy::wildcard_imports)]
use super::*;

/// `tinjau user add`.
pub(super) async fn add_user(
    database_url: &str,
    name: String,
    role: survey_schema::Role,
    wilayah: Option<survey_schema::WilayahKode>,
    password_stdin: bool,
    opd: Option<String>,
) -> anyhow::Result<()> {
    let pool = tinjau_workflows::database::migrated_pool(database_url, 2).await?;
    let agency = match &opd {
        None => None,
        Some(kode) => {
            anyhow::ensure!(
                role == survey_schema::Role::Opd,
                "--opd is for an opd account"
            );
            let register = tinjau_workflows::trilateral::register::Register::load(&pool).await?;
            Some(register.by_kode(kode).with_context(|| {
                format!("no agency '{kode}' in the register (tinjau import opd)")
            })?)
        }
    };
    anyhow::ensure!(
        role.accepts_scope(wilayah.as_ref()),
        "a {role} needs {}",
        match role {
            survey_schema::Role::Admin => "no --wilayah (an admin sees everything)",
            survey_schema::Role::Camat | survey_schema::Role::Surveyor =>
                "--wilayah with a kecamatan code (PP.KK.CC)",
            survey_schema::Role::Lurah => "--wilayah with a kelurahan code (PP.KK.CC.VVVV)",
            survey_schema::Role::Opd =>
                "--wilayah with a kota or provinsi code, or none for the whole city",
        }
    );
    let password_hash = if password_stdin {
        Some(read_password_hash()?)
    } else {
        None
    };
    let id = tinjau_workflows::accounts::create_user(
        &pool,
        &tinjau_workflows::audit::Actor::cli(),
        &name,
        role.as_str(),
        wilayah.as_ref().map(survey_schema::WilayahKode::as_str),
        password_hash.as_deref(),
    )
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            anyhow::anyhow!("a user named '{name}' already exists")
        }
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            anyhow::anyhow!("the wilayah is not in the code list")
        }
        sqlx::Error::Database(d) if d.is_check_violation() => {
            anyhow::anyhow!("'{name}' is not a valid user name (letters, digits, . _ @ -; 2 to 64)")
        }
        _ => anyhow::Error::from(e),
    })?;
    if let Some(agency) = agency {
        tinjau_workflows::accounts::set_opd(
            &pool,
            &tinjau_workflows::audit::Actor::cli(),
            id,
            agency,
        )
        .await?;
    }
    say!(
        "user {name} (id {id}): {role}{}{}",
        wilayah.map(|w| format!(" of {w}")).unwrap_or_default(),
        opd.map(|o| format!(", planner of {o}")).unwrap_or_default()
    );
    Ok(())
}

pub(super) fn read_password_hash() -> anyhow::Result<String> {
    use argon2::PasswordHasher as _;
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password")?;
    let password = line.trim_end_matches(['\r', '\n']);
    anyhow::ensure!(
        password.chars().count() >= 10,
        "the password must have at least 10 characters"
    );
    let mut salt_bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt_bytes);
    let salt = argon2::password_hash::SaltString::encode_b64(&salt_bytes)
        .map_err(|e| anyhow::anyhow!("making a salt: {e}"))?;
    Ok(argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))?
        .to_string())
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
            let revoked = tinjau_workflows::accounts::revoke_tokens(
                pool,
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
