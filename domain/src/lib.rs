//! Tinjau's domain: who is acting, what a request may be refused with, and the input types parsed
//! once at the edge. No I/O, no database, no HTTP: the workflows, the database layer and every
//! adapter (the JSON API, OpenRosa, the pages, the CLI) build on it, never the other way round.

pub mod caller;
pub mod kind;
pub mod merkle;
pub mod messages;
pub mod refusal;
pub mod text;
pub mod version;

pub use caller::{Actor, CurrentUser};
pub use messages::Message;
pub use refusal::{Refusal, RefusalKind};
pub use version::Seen;
