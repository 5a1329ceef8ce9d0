//! Which guide a page's help link opens: the one written for the reader's role, in the reader's
//! language, under `/bantuan/` where [`super::help`] serves the book.

use survey_schema::Role;

use super::i18n::Lang;

/// Where the guides are served.
pub const HELP_ROOT: &str = "/bantuan/";

/// The guide a person opens from the bar: the one written for their role, in their language.
///
/// ```
/// # use tinjau_http::web::guides::guide_for;
/// # use survey_schema::{Role, say::Lang};
/// assert_eq!(guide_for(Some(Role::Camat), Lang::Id), "/bantuan/id/camat.html");
/// assert_eq!(guide_for(Some(Role::Opd), Lang::En), "/bantuan/en/planner.html");
/// assert_eq!(guide_for(None, Lang::Id), "/bantuan/");
/// ```
pub fn guide_for(role: Option<Role>, lang: Lang) -> String {
    let page = match (role, lang) {
        (None, _) => return HELP_ROOT.to_owned(),
        (Some(Role::Camat | Role::Lurah), _) => "camat",
        (Some(Role::Surveyor), _) => "surveyor",
        (Some(Role::Opd), Lang::Id) => "perencana",
        (Some(Role::Opd), Lang::En) => "planner",
        (Some(Role::Admin), _) => "operator",
    };
    format!("{HELP_ROOT}{}/{page}.html", lang.code())
}
