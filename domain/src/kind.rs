//! The kinds of refusal, apart from the catalogue that assigns them and the refusal that carries
//! one, so neither has to reach into the other.

/// What kind of refusal: decides the HTTP status and the CLI's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// Malformed input (400).
    BadRequest,
    /// No valid credentials (401).
    Unauthorized,
    /// The method is not one the endpoint takes (405).
    MethodNotAllowed,
    /// The server cannot answer for a moment; nothing was changed (503).
    Unavailable,
    /// Ours, not the caller's: logged, answered without detail (500).
    Internal,
    /// The caller may not do this (403).
    Forbidden,
    /// No such thing (404).
    NotFound,
    /// It clashes with what is stored (409).
    Conflict,
    /// A precondition header is stale (412).
    PreconditionFailed,
    /// Larger than allowed (413).
    TooLarge,
    /// Too many attempts; wait (429).
    TooManyRequests,
    /// Not a kind of content taken here (415).
    UnsupportedMediaType,
    /// Well-formed but not acceptable (422).
    Unprocessable,
    /// Too slow: the request outlived its deadline (408).
    RequestTimeout,
    /// Locked: sent up with Kirim (423).
    Locked,
    /// A precondition header is missing (428).
    PreconditionRequired,
}
