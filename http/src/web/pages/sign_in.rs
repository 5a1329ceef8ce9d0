//! The start page, signing in and out.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Signed in: the person's own area; else the sign-in page.
pub async fn home(ctx: Ctx) -> Response {
    let Some(session) = &ctx.session else {
        return Redirect::to("/masuk").into_response();
    };
    let user = &session.user;
    let kecamatan = user
        .scope
        .as_ref()
        .and_then(|scope| scope.ancestor(WilayahLevel::Kecamatan));
    match (&user.role, kecamatan) {
        // Agency and Bappeda planners work at the trilateral desk.
        (Role::Opd, _) => Redirect::to("/trilateral").into_response(),
        (_, Some(kecamatan)) => Redirect::to(&format!("/kecamatan/{kecamatan}")).into_response(),
        _ => page(
            &ctx,
            "Tinjau",
            None,
            false,
            &html! {
                h1 { (ctx.lang.t("Pilih kecamatan", "Choose a kecamatan")) }
                form method="get" action="/kecamatan" onsubmit="location.href='/kecamatan/'+this.kode.value;return false" {
                    label { (ctx.lang.t("Kode kecamatan", "Kecamatan code")) " " input name="kode" placeholder="31.71.01" required; }
                    button type="submit" { (ctx.lang.t("Buka", "Open")) }
                }
            },
        ),
    }
}

#[derive(Debug, Deserialize)]
pub struct SignInQuery {
    pub lanjut: Option<String>,
}

fn sign_in_form(lang: Lang, token: &str, lanjut: &str, name: &str, error: Option<&str>) -> Markup {
    html! {
        section.signin {
            h1 { (lang.t("Masuk ke Tinjau", "Sign in to Tinjau")) }
            p.lead { (lang.t("Tinjauan lapangan sebelum Musrenbang Kecamatan.", "The field check before the Musrenbang Kecamatan.")) }
            @if let Some(e) = error { p.alert.error role="alert" { (e) } }
            form method="post" action="/masuk" {
                input type="hidden" name="csrf" value=(token);
                input type="hidden" name="lanjut" value=(lanjut);
                label { (lang.t("Nama pengguna", "User name")) input name="name" value=(name) autocomplete="username" required autofocus; }
                label { (lang.t("Kata sandi", "Password")) input type="password" name="password" autocomplete="current-password" required; }
                button.primary type="submit" { (lang.t("Masuk", "Sign in")) }
            }
        }
    }
}

pub async fn sign_in_page(ctx: Ctx, Query(q): Query<SignInQuery>) -> Response {
    let token = session::random_token();
    let lanjut = local_path(q.lanjut.as_deref());
    let mut response = bare(
        ctx.lang,
        ctx.lang.t("Masuk", "Sign in"),
        &sign_in_form(ctx.lang, &token, &lanjut, "", None),
    );
    response.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(crate::web::SIGN_IN_COOKIE, &token, 3600, ctx.secure),
    );
    response
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    pub name: String,
    pub password: String,
    #[serde(default)]
    pub csrf: String,
    pub lanjut: Option<String>,
}

pub async fn sign_in(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let lang = ctx.lang;
    let lanjut = local_path(form.lanjut.as_deref());
    let expected = cookie(&headers, crate::web::SIGN_IN_COOKIE).unwrap_or_default();
    let again = |status: StatusCode, message: &str| {
        let token = session::random_token();
        let mut response = bare(
            lang,
            lang.t("Masuk", "Sign in"),
            &sign_in_form(lang, &token, &lanjut, &form.name, Some(message)),
        );
        *response.status_mut() = status;
        response.headers_mut().insert(
            header::SET_COOKIE,
            set_cookie(crate::web::SIGN_IN_COOKIE, &token, 3600, ctx.secure),
        );
        response
    };
    if expected.is_empty() || !session::same_secret(expected, &form.csrf) {
        return again(
            StatusCode::FORBIDDEN,
            lang.t(
                "Formulir masuk kedaluwarsa; coba lagi.",
                "The sign-in form expired; try again.",
            ),
        );
    }
    match session::sign_in(&state, &form.name, &form.password, chrono::Utc::now()).await {
        Ok((id, _expires)) => {
            let mut response = Redirect::to(&lanjut).into_response();
            let lifetime = session::LIFETIME.num_seconds();
            let headers = response.headers_mut();
            headers.append(
                header::SET_COOKIE,
                set_cookie(crate::web::SESSION_COOKIE, &id, lifetime, ctx.secure),
            );
            headers.append(
                header::SET_COOKIE,
                set_cookie(crate::web::SIGN_IN_COOKIE, "", 0, ctx.secure),
            );
            response
        }
        Err(WorkflowError::Refused(r)) => {
            let status = if r.kind() == RefusalKind::TooManyRequests {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::FORBIDDEN
            };
            let message = lang.t(&r.id(), &r.en()).to_owned();
            again(status, &message)
        }
        Err(e) => WebError::new(lang, e.into()).into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

pub async fn sign_out(
    State(state): State<AppState>,
    signed: SignedIn,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let lang = signed.ctx.lang;
    check_csrf(lang, &signed.session, &form.csrf)?;
    session::sign_out(&state, &signed.session.id)
        .await
        .map_err(fail(lang))?;
    let mut response = Redirect::to("/masuk").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(crate::web::SESSION_COOKIE, "", 0, signed.ctx.secure),
    );
    Ok(response)
}
