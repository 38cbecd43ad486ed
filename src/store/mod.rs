//! The user store of one session: VMS users keyed by case-insensitive login.
//!
//! Users live in 16 shards chosen by the hash of the lower-cased login, each a
//! `parking_lot::Mutex` over a list of users and an index into it. Sharding keeps lock
//! contention low on many cores and bounds the pause of an index resize. Ids come from one
//! atomic counter, taken only once an insert can no longer fail, so they stay gapless.
//!
//! Every method locks inside; callers get owned values or a closure's result, so no guard
//! leaves this module (and none crosses an `.await`). Only the licence pool needs every
//! shard at once ([`licenses`]); it takes them in index order, the one lock order here. The
//! store is bounded by `capacity`; soft-deleted users count against it until a reset.

mod budget;
mod licenses;
mod user;

use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use hashbrown::HashTable;
use parking_lot::{Mutex, MutexGuard};

use crate::clock::Timestamp;

pub(crate) use budget::{Budget, json_bytes};

pub(crate) use user::{
    CAMERA_LISTS, LICENSE_LEVELS, Licenses, User, UserDraft, billing_info, properties,
};

/// Why an insert was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum StoreError {
    /// An active user has this login (case-insensitively).
    #[error("login already taken")]
    LoginTaken,
    /// The store holds `capacity` users.
    #[error("store full ({0} users)")]
    Full(usize),
    /// The users of all sessions together would take more than `--max-store-bytes`.
    #[error("store full ({0} bytes)")]
    NoRoom(usize),
}

/// What an insert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inserted {
    /// A new user.
    New,
    /// An existing user (same login) was updated in place (upsert).
    Updated,
}

const SHARDS: usize = 16;

/// The user store of one session.
pub(crate) struct Store {
    shards: Box<[Mutex<Shard>]>,
    next_id: AtomicU64,
    held: AtomicUsize,
    capacity: usize,
    /// The server-wide byte budget, and what this store took from it.
    budget: Arc<Budget>,
    bytes: AtomicUsize,
    keys: foldhash::fast::RandomState,
    /// Seeded per store: a remembered password is a 64-bit hash no view shows, compared
    /// only for equality (foldhash's quality variant; SipHash cost three times as much).
    salt: foldhash::quality::RandomState,
}

impl Drop for Store {
    fn drop(&mut self) {
        self.budget.give_back(*self.bytes.get_mut());
    }
}

/// Users per chunk of a shard's list. A list grows by whole chunks, so a growing store never
/// copies its users (only the first chunk grows by doubling, up to this size), and a small
/// one stays small. Measured: a plain `Vec` doubling under the lock put 3-8 ms pauses into
/// the load benchmark's p99 once a shard held ~100,000 users.
const CHUNK: usize = 1024;

/// An append-only list in chunks of [`CHUNK`]: stable indexes, no big reallocations.
struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunked<T> {
    fn push(&mut self, value: T) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => chunk.push(value),
            _ => {
                let mut chunk = if self.chunks.is_empty() {
                    Vec::new()
                } else {
                    Vec::with_capacity(CHUNK)
                };
                chunk.push(value);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    fn len(&self) -> usize {
        self.len
    }

    fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    fn get(&self, i: usize) -> &T {
        &self.chunks[i / CHUNK][i % CHUNK]
    }

    fn get_mut(&mut self, i: usize) -> &mut T {
        &mut self.chunks[i / CHUNK][i % CHUNK]
    }
}

#[derive(Default)]
struct Shard {
    /// Every user of this shard since the last reset, deleted ones included.
    users: Chunked<User>,
    /// Active users: indexes into `users`, hashed by lower-cased login.
    active: HashTable<Slot>,
    /// Licences per level held by this shard's active users: the pool's running total.
    licensed: [u64; 3],
}

/// An index entry. Keeping the hash makes a resize move entries without touching the users
/// or hashing logins again: the resize of a shard of 65,000 users takes well under a
/// millisecond instead of several (a p99 spike in the load benchmark).
#[derive(Clone, Copy)]
struct Slot {
    hash: u64,
    index: u32,
}

/// Unicode lower-case equality without allocating.
fn same_login(a: &str, b: &str) -> bool {
    a == b
        || a.chars()
            .flat_map(char::to_lowercase)
            .eq(b.chars().flat_map(char::to_lowercase))
}

impl Shard {
    fn find(&self, hash: u64, login: &str) -> Option<usize> {
        self.active
            .find(hash, |s| {
                same_login(&self.users.get(s.index as usize).login, login)
            })
            .map(|s| s.index as usize)
    }

    fn remove(&mut self, hash: u64, login: &str) -> Option<usize> {
        let users = &self.users;
        let entry = self
            .active
            .find_entry(hash, |s| {
                same_login(&users.get(s.index as usize).login, login)
            })
            .ok()?;
        let (slot, _) = entry.remove();
        Some(slot.index as usize)
    }
}

impl Store {
    /// An empty store whose first id is `id_start`, holding at most `capacity` users, whose
    /// bytes come out of `budget`.
    pub(crate) fn new(id_start: u64, capacity: usize, budget: Arc<Budget>) -> Self {
        Store {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            next_id: AtomicU64::new(id_start),
            held: AtomicUsize::new(0),
            capacity,
            budget,
            bytes: AtomicUsize::new(0),
            keys: foldhash::fast::RandomState::default(),
            salt: foldhash::quality::RandomState::default(),
        }
    }

    /// The salted hash under which a password is remembered.
    pub(crate) fn hash_password(&self, password: &str) -> u64 {
        self.salt.hash_one(password)
    }

    /// The hash of the lower-cased login (char by char, as `same_login` compares). ASCII
    /// logins, nearly all of them, are lower-cased on the stack.
    fn key_hash(&self, login: &str) -> u64 {
        let mut buf = [0u8; 64];
        if login.is_ascii() && login.len() <= buf.len() {
            let lower = &mut buf[..login.len()];
            lower.copy_from_slice(login.as_bytes());
            lower.make_ascii_lowercase();
            return self.keys.hash_one(&*lower);
        }
        let lower: String = login.chars().flat_map(char::to_lowercase).collect();
        self.keys.hash_one(lower.as_bytes())
    }

    /// Middle bits pick the shard: hashbrown uses the low bits for the bucket and the top 7
    /// as the tag, which must keep their spread within a shard.
    fn shard_of(hash: u64) -> usize {
        (hash >> 32) as usize % SHARDS
    }

    fn shard(&self, hash: u64) -> MutexGuard<'_, Shard> {
        self.shards[Self::shard_of(hash)].lock()
    }

    /// Whether an active user has this login, compared case-insensitively.
    pub(crate) fn login_taken(&self, login: &str) -> bool {
        let hash = self.key_hash(login);
        self.shard(hash).find(hash, login).is_some()
    }

    /// Inserts a user, assigning the next id, and hands the stored user to `view` under the
    /// lock. Uniqueness is checked again under the lock, so of two concurrent creates of one
    /// login exactly one succeeds. With `upsert`, a taken login updates that user instead
    /// (keeping its id, login and `created_at`).
    ///
    /// # Errors
    /// [`StoreError::LoginTaken`] or [`StoreError::Full`]; no id is consumed then.
    pub(crate) fn insert<R>(
        &self,
        draft: UserDraft,
        upsert: bool,
        view: impl FnOnce(&User) -> R,
    ) -> Result<(Inserted, R), StoreError> {
        let hash = self.key_hash(&draft.login);
        let mut guard = self.shard(hash);
        let shard = &mut *guard;
        if let Some(index) = shard.find(hash, &draft.login) {
            if !upsert {
                return Err(StoreError::LoginTaken);
            }
            let password_hash = self.hash_password(&draft.password);
            let existing = shard.users.get_mut(index);
            let mut updated = existing.clone();
            updated.overwrite(draft, password_hash);
            self.resize(existing, updated)?;
            return Ok((Inserted::Updated, view(existing)));
        }
        if self.held.fetch_add(1, Ordering::SeqCst) >= self.capacity
            || shard.users.len() >= u32::MAX as usize
        {
            self.held.fetch_sub(1, Ordering::SeqCst);
            return Err(StoreError::Full(self.capacity));
        }
        let password_hash = self.hash_password(&draft.password);
        let mut user = User::new(draft, password_hash);
        let bytes = budget::user_bytes(&user);
        if !self.budget.take(bytes) {
            self.held.fetch_sub(1, Ordering::SeqCst);
            return Err(StoreError::NoRoom(self.budget.limit()));
        }
        self.bytes.fetch_add(bytes, Ordering::SeqCst);
        user.id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let index = shard.users.len() as u32;
        shard.users.push(user);
        shard
            .active
            .insert_unique(hash, Slot { hash, index }, |s| s.hash);
        Ok((Inserted::New, view(shard.users.get(index as usize))))
    }

    /// Soft-deletes the active user with this login: it leaves the API, keeps its id, the
    /// login is free again and its licences return to the pool. False when there is none.
    pub(crate) fn delete(&self, login: &str, at: Timestamp) -> bool {
        let hash = self.key_hash(login);
        let mut guard = self.shard(hash);
        let shard = &mut *guard;
        let Some(index) = shard.remove(hash, login) else {
            return false;
        };
        let user = shard.users.get_mut(index);
        user.deleted_at = Some(at);
        for level in 0..3 {
            shard.licensed[level] = shard.licensed[level].saturating_sub(user.license(level));
        }
        true
    }

    /// The active user with this login, else the most recently deleted one.
    pub(crate) fn get_any(&self, login: &str) -> Option<User> {
        let hash = self.key_hash(login);
        let shard = self.shard(hash);
        match shard.find(hash, login) {
            Some(i) => Some(shard.users.get(i).clone()),
            None => shard
                .users
                .iter()
                .rev()
                .find(|u| same_login(&u.login, login))
                .cloned(),
        }
    }

    /// Applies `change` to the active user with this login, then hands it to `view`.
    /// `Ok(None)` when there is no such user.
    ///
    /// # Errors
    /// [`StoreError::NoRoom`] when the change would grow the users past the byte budget;
    /// the user is left as it was.
    pub(crate) fn modify<R>(
        &self,
        login: &str,
        change: impl FnOnce(&mut User),
        view: impl FnOnce(&User) -> R,
    ) -> Result<Option<R>, StoreError> {
        let hash = self.key_hash(login);
        let mut shard = self.shard(hash);
        let Some(index) = shard.find(hash, login) else {
            return Ok(None);
        };
        let user = shard.users.get_mut(index);
        let mut changed = user.clone();
        change(&mut changed);
        self.resize(user, changed)?;
        Ok(Some(view(user)))
    }

    /// Replaces `user` by `changed` if the difference in size fits the budget.
    fn resize(&self, user: &mut User, changed: User) -> Result<(), StoreError> {
        let (before, after) = (budget::user_bytes(user), budget::user_bytes(&changed));
        if after > before {
            if !self.budget.take(after - before) {
                return Err(StoreError::NoRoom(self.budget.limit()));
            }
            self.bytes.fetch_add(after - before, Ordering::SeqCst);
        } else {
            self.budget.give_back(before - after);
            self.bytes.fetch_sub(before - after, Ordering::SeqCst);
        }
        *user = changed;
        Ok(())
    }

    /// Whether `password` is the one the active (or last deleted) user with this login has.
    pub(crate) fn password_matches(&self, login: &str, password: &str) -> Option<bool> {
        let hash = self.hash_password(password);
        self.get_any(login).map(|u| u.password_hash == hash)
    }

    /// How many users are active.
    pub(crate) fn active_count(&self) -> usize {
        self.shards.iter().map(|s| s.lock().active.len()).sum()
    }

    /// Every active user, in id order.
    pub(crate) fn list(&self) -> Vec<User> {
        let mut all: Vec<User> = self
            .shards
            .iter()
            .flat_map(|s| {
                s.lock()
                    .users
                    .iter()
                    .filter(|u| !u.is_deleted())
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .collect();
        all.sort_by_key(|u| u.id);
        all
    }

    /// Every shard, locked in index order (the one lock order of this module).
    fn lock_all(&self) -> Vec<MutexGuard<'_, Shard>> {
        self.shards.iter().map(|s| s.lock()).collect()
    }
}

#[cfg(test)]
pub(crate) mod tests;
