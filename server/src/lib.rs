//! The `tinjau` command line: serve, migrate, import, users and tokens, review, audit, locate. It
//! reaches the workflows and the HTTP server; everything it does is there.

pub mod cli;
