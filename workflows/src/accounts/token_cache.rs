//! The device tokens this server accepted lately, so a request does not read its token from the
//! database every time (issue 29: the read was a sixth of a survey's cost under load).
//!
//! Only accepted tokens are kept, each for at most [`KEPT_FOR`]; an unknown token is read every
//! time. Any change to a token or an account (revoked, disabled, its role or area changed,
//! deleted) empties the cache: this process empties it as its own change commits, and a trigger's
//! NOTIFY on `tinjau_accounts` tells every server of a change made elsewhere (the CLI, another
//! instance, SQL by hand), milliseconds after it commits. While that listener is not connected
//! (or its connection fails the check it gets after a quiet while, `db::next_notice`), nothing is
//! kept and every request reads its token, as before the cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::db::user::UserRow;

/// The PostgreSQL channel a change to a token or an account is announced on (see the migration
/// `accounts_changed`).
pub const CHANGED_CHANNEL: &str = "tinjau_accounts";
/// How long an accepted token is taken on trust. Also how stale a token's `last_used_at` may be:
/// the database read that refills the cache notes the use.
pub const KEPT_FOR: Duration = Duration::from_mins(1);
/// Most tokens kept; beyond it the cache starts again empty (a city's phones are a few hundred).
const MOST_KEPT: usize = 65_536;

/// Tokens accepted lately, by their SHA-256 (cheap to share).
#[derive(Debug, Default)]
pub struct TokenCache {
    state: Mutex<Kept>,
}

#[derive(Debug, Default)]
struct Kept {
    by_digest: HashMap<[u8; 32], (UserRow, Instant)>,
    /// Counts the emptyings: a read begun before one is not kept.
    generation: u64,
    /// Whether changes made elsewhere reach this cache; nothing is kept while they do not.
    listening: bool,
}

/// Taken before a token is read from the database: the read is kept only if the cache was not
/// emptied meanwhile, so a token revoked during the read is not kept as it was before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(u64);

impl TokenCache {
    /// The account of a token accepted less than [`KEPT_FOR`] ago.
    pub fn get(&self, digest: &[u8; 32]) -> Option<UserRow> {
        let kept = self.lock();
        let (user, read_at) = kept.by_digest.get(digest)?;
        (read_at.elapsed() < KEPT_FOR).then(|| user.clone())
    }

    /// To take before reading a token from the database; see [`TokenCache::keep`].
    pub fn ticket(&self) -> Ticket {
        Ticket(self.lock().generation)
    }

    /// Keeps `user`, read for `digest` after `ticket` was taken, unless the cache was emptied since
    /// or changes made elsewhere do not reach it.
    pub fn keep(&self, ticket: Ticket, digest: [u8; 32], user: UserRow) {
        let mut kept = self.lock();
        if !kept.listening || kept.generation != ticket.0 {
            return;
        }
        if kept.by_digest.len() >= MOST_KEPT {
            kept.by_digest.clear();
        }
        kept.by_digest.insert(digest, (user, Instant::now()));
    }

    /// Forgets every token: a token or an account changed.
    pub fn forget_all(&self) {
        let mut kept = self.lock();
        kept.generation += 1;
        kept.by_digest.clear();
    }

    /// Whether changes made elsewhere reach the cache; either way it starts again empty.
    fn set_listening(&self, listening: bool) {
        let mut kept = self.lock();
        kept.listening = listening;
        kept.generation += 1;
        kept.by_digest.clear();
    }

    fn lock(&self) -> MutexGuard<'_, Kept> {
        // Every change leaves `Kept` whole, so a panic elsewhere while holding it leaves it usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Empties `cache` whenever a token or an account changes, until the process ends. While the
/// listener is down (and after it reconnects, since notices may have been missed), the cache
/// keeps nothing and starts again empty.
pub fn spawn_listener(pool: PgPool, cache: Arc<TokenCache>) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = listen(&pool, &cache).await {
                tracing::warn!(error = %e, "account listener failed; tokens are read from the database until it is back");
            }
            cache.set_listening(false);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

async fn listen(pool: &PgPool, cache: &TokenCache) -> Result<(), sqlx::Error> {
    let mut listener = crate::db::listener(pool).await?;
    listener.listen(CHANGED_CHANNEL).await?;
    cache.set_listening(true);
    // `false`: the connection dropped; notices may have been lost, so start again.
    while crate::db::next_notice(&mut listener).await? {
        cache.forget_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str) -> UserRow {
        UserRow {
            id: 7,
            name: name.into(),
            role: "surveyor".into(),
            wilayah_kode: None,
        }
    }

    fn listening() -> TokenCache {
        let cache = TokenCache::default();
        cache.set_listening(true);
        cache
    }

    #[test]
    fn a_token_read_is_kept_and_forgotten_when_accounts_change() {
        let cache = listening();
        let ticket = cache.ticket();
        cache.keep(ticket, [1; 32], user("a"));
        assert_eq!(cache.get(&[1; 32]).map(|u| u.name), Some("a".into()));
        assert!(cache.get(&[2; 32]).is_none());
        cache.forget_all();
        assert!(cache.get(&[1; 32]).is_none());
    }

    /// Keeps the token `[1; 32]` from a read begun now; whether the cache then holds it.
    fn read_and_kept(cache: &TokenCache) -> bool {
        cache.keep(cache.ticket(), [1; 32], user("a"));
        cache.get(&[1; 32]).is_some()
    }

    #[test]
    fn a_read_that_began_before_a_change_is_not_kept() {
        let cache = listening();
        let ticket = cache.ticket();
        // The token is revoked while it is being read: the read saw it valid.
        cache.forget_all();
        cache.keep(ticket, [1; 32], user("a"));
        assert!(cache.get(&[1; 32]).is_none());
        assert!(read_and_kept(&cache), "a read begun after the change");
    }

    #[test]
    fn nothing_is_kept_unless_changes_made_elsewhere_reach_the_cache() {
        assert!(
            !read_and_kept(&TokenCache::default()),
            "kept before listening"
        );

        let cache = listening();
        assert!(read_and_kept(&cache));
        // The listener's connection drops: what was kept is forgotten and nothing more is kept.
        cache.set_listening(false);
        assert!(cache.get(&[1; 32]).is_none());
        assert!(!read_and_kept(&cache));
    }

    #[test]
    fn a_full_cache_starts_again_rather_than_grow() {
        let cache = listening();
        for n in 0..=MOST_KEPT {
            let mut digest = [0; 32];
            digest[..8].copy_from_slice(&n.to_le_bytes());
            cache.keep(cache.ticket(), digest, user("a"));
        }
        assert_eq!(cache.lock().by_digest.len(), 1);
    }
}
