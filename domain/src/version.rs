//! What version of a thing a caller says it saw before changing it: optimistic concurrency, so two
//! people deciding on the same proposal cannot overwrite each other unseen. The API reads it from
//! `If-Match`, a page from its form; the workflows only see the versions.

/// The versions a caller saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// Nothing said (no `If-Match`): a change is refused until the caller says what it saw.
    Unsaid,
    /// Something said that names no version (`If-Match: *`, or garbage).
    NoVersion,
    /// One or more versions (`If-Match: "3", "4"`).
    Versions(Vec<i32>),
}

impl Seen {
    /// The version a page's form carries.
    pub fn version(v: i32) -> Self {
        Self::Versions(vec![v])
    }

    /// Whether `current` is among the versions seen.
    pub fn includes(&self, current: i32) -> bool {
        matches!(self, Self::Versions(v) if v.contains(&current))
    }

    /// The first version named, for messages.
    pub fn first(&self) -> Option<i32> {
        match self {
            Self::Versions(v) => v.first().copied(),
            Self::Unsaid | Self::NoVersion => None,
        }
    }
}
