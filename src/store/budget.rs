//! The bytes of user data every store of the server may hold together (`--max-store-bytes`).
//!
//! A user is small (about 300 bytes) unless a client makes it big: a `billing_info` or a
//! camera sync can be as large as a request body. Counting users is therefore not enough;
//! each store takes its users' estimated size from one budget shared by all sessions, and
//! gives it back when the store goes (reset, scenario change, session eviction).

use std::sync::atomic::{AtomicUsize, Ordering};

use compact_str::CompactString;

use super::user::{Lifecycle, Property, User};

/// A shared byte budget.
#[derive(Debug)]
pub(crate) struct Budget {
    used: AtomicUsize,
    limit: usize,
}

impl Budget {
    /// A budget of `limit` bytes.
    pub(crate) fn new(limit: usize) -> Self {
        Budget {
            used: AtomicUsize::new(0),
            limit,
        }
    }

    /// Takes `bytes` if they fit; false (and nothing taken) if they do not.
    pub(crate) fn take(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                used.checked_add(bytes).filter(|total| *total <= self.limit)
            })
            .is_ok()
    }

    /// Gives back `bytes` taken before.
    pub(crate) fn give_back(&self, bytes: usize) {
        let _ = self
            .used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                Some(used.saturating_sub(bytes))
            });
    }

    /// Bytes in use.
    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::SeqCst)
    }

    /// The limit.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }
}

/// What a stored user costs: the struct, its index slot and the heap it owns.
pub(crate) fn user_bytes(user: &User) -> usize {
    std::mem::size_of::<User>()
        + 16
        + text_bytes(&user.login)
        + text_bytes(&user.kind)
        + text_bytes(&user.status)
        + user
            .billing_properties
            .iter()
            .map(|p: &Property| {
                std::mem::size_of::<Property>() + text_bytes(&p.kind) + text_bytes(&p.value)
            })
            .sum::<usize>()
        + user.billing_info.as_ref().map_or(0, |b| b.len())
        + user.lifecycle_ref().map_or(0, lifecycle_bytes)
}

fn lifecycle_bytes(l: &Lifecycle) -> usize {
    std::mem::size_of::<Lifecycle>()
        + l.permissions.iter().map(|p| 16 + p.len()).sum::<usize>()
        + l.cameras.as_ref().map_or(0, json_bytes)
        + l.intercoms.as_ref().map_or(0, json_bytes)
}

/// Heap bytes of a compact string: none up to 24 bytes (kept inline).
fn text_bytes(s: &CompactString) -> usize {
    if s.len() > 24 { s.len() } else { 0 }
}

/// An estimate of what a JSON value takes in memory.
pub(crate) fn json_bytes(value: &serde_json::Value) -> usize {
    use serde_json::Value;
    const NODE: usize = std::mem::size_of::<Value>();
    NODE + match value {
        Value::String(s) => s.len(),
        Value::Array(items) => items.iter().map(json_bytes).sum(),
        Value::Object(map) => map.iter().map(|(k, v)| 48 + k.len() + json_bytes(v)).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_only_what_fits_and_gets_it_back() {
        let budget = Budget::new(100);
        assert!(budget.take(60));
        assert!(!budget.take(41));
        assert!(budget.take(40));
        assert_eq!(budget.used(), 100);
        budget.give_back(70);
        assert_eq!(budget.used(), 30);
        budget.give_back(1000);
        assert_eq!(budget.used(), 0);
    }
}
