//! The in-memory user model: VMS users keyed by case-insensitive login.
//!
//! Users live in 16 shards chosen by the hash of the lower-cased login, each a
//! `parking_lot::Mutex` over a list of users and an index into it. Sharding keeps lock
//! contention low on many cores and bounds the pause of an index resize. Ids come from one
//! atomic counter, taken only once an insert can no longer fail, so they stay gapless.
//!
//! Every method locks inside and returns owned values, so no guard ever leaves this module
//! (and none crosses an `.await`). Only the licence pool needs every shard at once; it takes
//! them in index order. The store is bounded by `max_users`; soft-deleted users count
//! against the bound until a reset.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use compact_str::CompactString;
use hashbrown::HashTable;
use parking_lot::{Mutex, MutexGuard};

use crate::clock::Timestamp;
use crate::validation::write_json_str;

/// One `billing_properties` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Property {
    /// `type`, such as `phone`.
    pub kind: CompactString,
    /// `value`.
    pub value: CompactString,
}

/// Names of the analytics licence levels, in order.
pub const LICENSE_LEVELS: [&str; 3] = ["analytic_l1", "analytic_l2", "analytic_l3"];

/// What the lifecycle endpoints attach to a user. Boxed behind an `Option` on [`User`], so
/// users that never get any cost one pointer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Extra {
    /// Granted permissions, in the order first attached, without duplicates.
    pub permissions: Vec<Box<str>>,
    /// Licences per level (`analytic_l1..3`); `None`: none.
    pub licenses: [Option<u64>; 3],
    /// The last camera sync: `camera_ids`, `camera_external_ids`,
    /// `public_group_external_ids`, `private_group_external_ids`.
    pub cameras: Option<serde_json::Value>,
    /// The last intercom sync (`sync` list).
    pub intercoms: Option<serde_json::Value>,
}

/// A VMS user as the mock keeps it. The password is kept only as a salted hash.
#[derive(Clone, Debug)]
pub struct User {
    /// Assigned on insert, increasing, never reused.
    pub id: u64,
    /// As sent, after trimming. Strings of up to 24 bytes are stored inline.
    pub login: CompactString,
    /// `type`.
    pub kind: CompactString,
    /// `status`.
    pub status: CompactString,
    /// `billing_properties`, in request order.
    pub billing_properties: Box<[Property]>,
    /// `billing_info` as compact JSON, for the admin view; never returned by the vendor API.
    pub billing_info: Option<Box<str>>,
    /// Salted hash of the password.
    pub password_hash: u64,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// Soft-delete time.
    pub deleted_at: Option<Timestamp>,
    /// Permissions, licences, cameras, intercoms; `None` until one is set.
    pub extra: Option<Box<Extra>>,
}

impl User {
    /// The lifecycle state, created empty on first use.
    pub fn extra_mut(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Box::default)
    }

    fn license(&self, level: usize) -> u64 {
        self.extra
            .as_ref()
            .and_then(|e| e.licenses[level])
            .unwrap_or(0)
    }

    /// The vendor's user object without its leading `{"id":N`: everything from `,"login"` on,
    /// so it can be rendered before the id is known and outside the lock.
    pub fn render_tail(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b",\"login\":");
        write_json_str(out, &self.login);
        out.extend_from_slice(b",\"name\":null,\"type\":");
        write_json_str(out, &self.kind);
        out.extend_from_slice(b",\"status\":");
        write_json_str(out, &self.status);
        out.extend_from_slice(b",\"created_at\":\"");
        self.created_at.write_laravel(out);
        out.extend_from_slice(b"\",\"updated_at\":\"");
        self.updated_at.write_laravel(out);
        match self.deleted_at {
            Some(t) => {
                out.extend_from_slice(b"\",\"deleted_at\":\"");
                t.write_laravel(out);
                out.extend_from_slice(b"\",");
            }
            None => out.extend_from_slice(b"\",\"deleted_at\":null,"),
        }
        out.extend_from_slice(b"\"can_update_password\":false,\"billing_properties\":[");
        for (i, p) in self.billing_properties.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"type\":");
            write_json_str(out, &p.kind);
            out.extend_from_slice(b",\"value\":");
            write_json_str(out, &p.value);
            out.push(b'}');
        }
        out.extend_from_slice(b"]}");
    }

    /// The vendor's user object, keys in the documented order.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        render_head(self.id, &mut out);
        self.render_tail(&mut out);
        out
    }
}

/// `{"id":N`, the part of the user object that needs the id.
pub fn render_head(id: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"id\":");
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = id;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// A licence level the request would take past what the scenario makes available.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LicenseShortfall {
    /// Index into [`LICENSE_LEVELS`].
    pub level: usize,
    /// How many are left for this user at that level.
    pub remaining: u64,
}

/// Why an insert was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// An active user has this login (case-insensitively).
    #[error("login already taken")]
    LoginTaken,
    /// The store holds `max_users` users.
    #[error("store full ({0} users)")]
    Full(usize),
}

/// What an insert did.
#[derive(Debug, Clone)]
pub enum Inserted {
    /// A new user with this id.
    New(u64),
    /// An existing user (same login) was updated in place (upsert); here as it is now.
    Updated(User),
}

const SHARDS: usize = 16;

/// The user store of one session.
pub struct Store {
    shards: Box<[Mutex<Shard>]>,
    next_id: AtomicU64,
    held: AtomicUsize,
    capacity: usize,
    keys: foldhash::fast::RandomState,
    salt: RandomState,
}

/// Users per chunk of a shard's list. A list grows by whole chunks, so a growing store never
/// copies its users (only the first chunk grows by doubling, up to this size), and a small
/// one stays small.
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
}

impl<T> std::ops::Index<usize> for Chunked<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        &self.chunks[i / CHUNK][i % CHUNK]
    }
}

impl<T> std::ops::IndexMut<usize> for Chunked<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.chunks[i / CHUNK][i % CHUNK]
    }
}

#[derive(Default)]
struct Shard {
    /// Every user of this shard since the last reset, deleted ones included.
    users: Chunked<User>,
    /// Active users: indexes into `users`, hashed by lower-cased login.
    active: HashTable<Slot>,
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
                same_login(&self.users[s.index as usize].login, login)
            })
            .map(|s| s.index as usize)
    }

    fn remove(&mut self, hash: u64, login: &str) -> Option<usize> {
        let users = &self.users;
        let entry = self
            .active
            .find_entry(hash, |s| same_login(&users[s.index as usize].login, login))
            .ok()?;
        let (slot, _) = entry.remove();
        Some(slot.index as usize)
    }

    /// Licences of `level` held by the active users here, except the one at `own`.
    fn used(&self, own: Option<usize>, level: usize) -> u64 {
        self.users
            .iter()
            .enumerate()
            .filter(|(i, u)| Some(*i) != own && u.deleted_at.is_none())
            .map(|(_, u)| u.license(level))
            .fold(0u64, u64::saturating_add)
    }
}

impl Store {
    /// An empty store whose first id is `id_start`, holding at most `capacity` users.
    pub fn new(id_start: u64, capacity: usize) -> Self {
        Store {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            next_id: AtomicU64::new(id_start),
            held: AtomicUsize::new(0),
            capacity,
            keys: foldhash::fast::RandomState::default(),
            salt: RandomState::new(),
        }
    }

    /// The salted hash under which a password is remembered.
    pub fn hash_password(&self, password: &str) -> u64 {
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
    pub fn login_taken(&self, login: &str) -> bool {
        let hash = self.key_hash(login);
        self.shard(hash).find(hash, login).is_some()
    }

    /// Inserts a user, assigning the next id. Uniqueness is checked again under the lock,
    /// so of two concurrent creates of one login exactly one succeeds. With `upsert`, a taken
    /// login updates that user instead (keeping its id, login and `created_at`).
    ///
    /// # Errors
    /// [`StoreError::LoginTaken`] or [`StoreError::Full`]; no id is consumed then.
    pub fn insert(&self, mut user: User, upsert: bool) -> Result<Inserted, StoreError> {
        let hash = self.key_hash(&user.login);
        let mut guard = self.shard(hash);
        let shard = &mut *guard;
        if let Some(index) = shard.find(hash, &user.login) {
            if !upsert {
                return Err(StoreError::LoginTaken);
            }
            let existing = &mut shard.users[index];
            existing.kind = user.kind;
            existing.status = user.status;
            existing.billing_properties = user.billing_properties;
            existing.billing_info = user.billing_info;
            existing.password_hash = user.password_hash;
            existing.updated_at = user.updated_at;
            return Ok(Inserted::Updated(existing.clone()));
        }
        if self.held.fetch_add(1, Ordering::SeqCst) >= self.capacity
            || shard.users.len() >= u32::MAX as usize
        {
            self.held.fetch_sub(1, Ordering::SeqCst);
            return Err(StoreError::Full(self.capacity));
        }
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        user.id = id;
        let index = shard.users.len() as u32;
        shard.users.push(user);
        shard
            .active
            .insert_unique(hash, Slot { hash, index }, |s| s.hash);
        Ok(Inserted::New(id))
    }

    /// Soft-deletes the active user with this login: it leaves the API, keeps its id, and
    /// the login is free again. Returns the user as deleted.
    pub fn delete(&self, login: &str, at: Timestamp) -> Option<User> {
        let hash = self.key_hash(login);
        let mut shard = self.shard(hash);
        let index = shard.remove(hash, login)?;
        let user = &mut shard.users[index];
        user.deleted_at = Some(at);
        Some(user.clone())
    }

    /// The active user with this login, if any.
    pub fn get(&self, login: &str) -> Option<User> {
        let hash = self.key_hash(login);
        let shard = self.shard(hash);
        shard.find(hash, login).map(|i| shard.users[i].clone())
    }

    /// The active user with this login, else the most recently deleted one.
    pub fn get_any(&self, login: &str) -> Option<User> {
        let hash = self.key_hash(login);
        let shard = self.shard(hash);
        match shard.find(hash, login) {
            Some(i) => Some(shard.users[i].clone()),
            None => shard
                .users
                .iter()
                .rev()
                .find(|u| same_login(&u.login, login))
                .cloned(),
        }
    }

    /// Applies `change` to the active user with this login and returns the result.
    pub fn modify(&self, login: &str, change: impl FnOnce(&mut User)) -> Option<User> {
        let hash = self.key_hash(login);
        let mut shard = self.shard(hash);
        let index = shard.find(hash, login)?;
        let user = &mut shard.users[index];
        change(user);
        Some(user.clone())
    }

    /// Whether `password` is the one the active (or last deleted) user with this login has.
    pub fn password_matches(&self, login: &str, password: &str) -> Option<bool> {
        let hash = self.hash_password(password);
        self.get_any(login).map(|u| u.password_hash == hash)
    }

    /// Every shard, locked in index order (the one lock order of this module).
    fn lock_all(&self) -> Vec<MutexGuard<'_, Shard>> {
        self.shards.iter().map(|s| s.lock()).collect()
    }

    /// Licences of `level` held by active users other than the one at (`shard`, `index`).
    fn used(shards: &[MutexGuard<'_, Shard>], own: Option<(usize, usize)>, level: usize) -> u64 {
        shards
            .iter()
            .enumerate()
            .map(|(s, shard)| shard.used(own.filter(|(o, _)| *o == s).map(|(_, i)| i), level))
            .fold(0u64, u64::saturating_add)
    }

    fn fits(
        shards: &[MutexGuard<'_, Shard>],
        own: Option<(usize, usize)>,
        level: usize,
        want: Option<u64>,
        cap: Option<u64>,
    ) -> Result<(), LicenseShortfall> {
        let (Some(cap), Some(want)) = (cap, want) else {
            return Ok(());
        };
        let used = Self::used(shards, own, level);
        if used.saturating_add(want) > cap {
            Err(LicenseShortfall {
                level,
                remaining: cap.saturating_sub(used),
            })
        } else {
            Ok(())
        }
    }

    fn locate(&self, shards: &[MutexGuard<'_, Shard>], login: &str) -> Option<(usize, usize)> {
        let hash = self.key_hash(login);
        let s = Self::shard_of(hash);
        shards[s].find(hash, login).map(|i| (s, i))
    }

    /// For each level, whether giving this user `wanted` licences keeps every active user's
    /// total within `available` (`None`: unlimited). The user's own current licences do not
    /// count, as they would be replaced.
    pub fn licenses_fit(
        &self,
        login: &str,
        wanted: [Option<u64>; 3],
        available: [Option<u64>; 3],
    ) -> [Result<(), LicenseShortfall>; 3] {
        if available.iter().all(Option::is_none) {
            return [Ok(()); 3];
        }
        let shards = self.lock_all();
        let own = self.locate(&shards, login);
        std::array::from_fn(|level| {
            Self::fits(&shards, own, level, wanted[level], available[level])
        })
    }

    /// Replaces the licences of the active user with this login, if they fit `available`.
    /// Check and change happen under the locks of every shard, so concurrent requests cannot
    /// overbook. `Ok(None)`: no such user.
    ///
    /// # Errors
    /// The first level that does not fit.
    pub fn set_licenses(
        &self,
        login: &str,
        wanted: [Option<u64>; 3],
        available: [Option<u64>; 3],
    ) -> Result<Option<User>, LicenseShortfall> {
        let mut shards = self.lock_all();
        let Some((s, index)) = self.locate(&shards, login) else {
            return Ok(None);
        };
        for level in 0..3 {
            Self::fits(
                &shards,
                Some((s, index)),
                level,
                wanted[level],
                available[level],
            )?;
        }
        let user = &mut shards[s].users[index];
        user.extra_mut().licenses = wanted;
        Ok(Some(user.clone()))
    }

    /// Every active user, in id order.
    pub fn list(&self) -> Vec<User> {
        let mut all: Vec<User> = self
            .shards
            .iter()
            .flat_map(|s| {
                s.lock()
                    .users
                    .iter()
                    .filter(|u| u.deleted_at.is_none())
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .collect();
        all.sort_by_key(|u| u.id);
        all
    }

    /// How many users (active and deleted) the store holds.
    pub fn len(&self) -> usize {
        self.held.load(Ordering::SeqCst)
    }

    /// Whether the store holds no user at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many users are active (not deleted).
    pub fn active(&self) -> usize {
        self.shards.iter().map(|s| s.lock().active.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(login: &str) -> User {
        User {
            id: 0,
            login: login.into(),
            kind: "b2c".into(),
            status: "active".into(),
            billing_properties: Box::new([]),
            billing_info: None,
            password_hash: 0,
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
            deleted_at: None,
            extra: None,
        }
    }

    #[test]
    fn licences_are_a_pool_shared_by_active_users() {
        let store = Store::new(1, 10);
        store.insert(user("a"), false).unwrap();
        store.insert(user("b"), false).unwrap();
        let caps = [Some(5), None, Some(0)];
        assert!(
            store
                .set_licenses("a", [Some(3), Some(100), None], caps)
                .unwrap()
                .is_some()
        );
        assert_eq!(
            store
                .set_licenses("b", [Some(3), None, None], caps)
                .unwrap_err(),
            LicenseShortfall {
                level: 0,
                remaining: 2
            }
        );
        assert_eq!(
            store.licenses_fit("b", [Some(2), Some(1), Some(1)], caps),
            [
                Ok(()),
                Ok(()),
                Err(LicenseShortfall {
                    level: 2,
                    remaining: 0
                })
            ]
        );
        // A user's own licences are replaced, so they do not count against it.
        assert_eq!(
            store.licenses_fit("a", [Some(5), None, None], caps)[0],
            Ok(())
        );
        assert!(matches!(
            store.set_licenses("nobody", [None; 3], caps),
            Ok(None)
        ));
        // Deleted users free their licences.
        store.delete("a", Timestamp(2));
        assert!(
            store
                .set_licenses("b", [Some(5), None, None], caps)
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn ids_increase_and_refusals_consume_none() {
        let store = Store::new(7, 10);
        assert!(matches!(
            store.insert(user("a@x"), false),
            Ok(Inserted::New(7))
        ));
        assert_eq!(
            store.insert(user("A@X"), false).unwrap_err(),
            StoreError::LoginTaken
        );
        assert!(matches!(
            store.insert(user("b@x"), false),
            Ok(Inserted::New(8))
        ));
        assert!(store.login_taken("B@x"));
        assert_eq!(store.get("A@x").map(|u| u.id), Some(7));
    }

    #[test]
    fn logins_match_ignoring_unicode_case() {
        let store = Store::new(1, 10);
        store.insert(user("Ärger@X.com"), false).unwrap();
        assert!(store.login_taken("ärger@x.COM"));
        // The Kelvin sign lower-cases to an ASCII k.
        store.insert(user("k@x"), false).unwrap();
        assert!(store.login_taken("\u{212A}@x"));
        let long = "L".repeat(100);
        store.insert(user(&long), false).unwrap();
        assert!(store.login_taken(&long.to_lowercase()));
    }

    #[test]
    fn chunked_lists_keep_indexes_across_chunks() {
        let mut list = Chunked::default();
        for i in 0..(CHUNK * 2 + 5) {
            list.push(i);
        }
        assert_eq!(list.len(), CHUNK * 2 + 5);
        assert_eq!(
            (list[0], list[CHUNK - 1], list[CHUNK], list[CHUNK * 2 + 4]),
            (0, CHUNK - 1, CHUNK, CHUNK * 2 + 4)
        );
        list[CHUNK] = 7;
        assert_eq!(list.iter().rev().nth(CHUNK + 4), Some(&7));
        assert_eq!(list.iter().count(), CHUNK * 2 + 5);
    }

    #[test]
    fn capacity_is_enforced() {
        let store = Store::new(1, 1);
        assert!(matches!(
            store.insert(user("a"), false),
            Ok(Inserted::New(1))
        ));
        assert_eq!(
            store.insert(user("b"), false).unwrap_err(),
            StoreError::Full(1)
        );
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn upsert_updates_in_place_and_delete_frees_the_login() {
        let store = Store::new(1, 10);
        store.insert(user("a@x"), false).unwrap();
        let mut again = user("A@x");
        again.status = "blocked".into();
        again.updated_at = Timestamp(9);
        match store.insert(again, true).unwrap() {
            Inserted::Updated(u) => {
                assert_eq!(
                    (u.id, &*u.login, &*u.status, u.updated_at),
                    (1, "a@x", "blocked", Timestamp(9))
                );
            }
            Inserted::New(_) => panic!("expected an update"),
        }
        assert_eq!(
            store.delete("a@X", Timestamp(10)).map(|u| u.deleted_at),
            Some(Some(Timestamp(10)))
        );
        assert!(store.get("a@x").is_none());
        assert!(matches!(
            store.insert(user("a@x"), false),
            Ok(Inserted::New(2))
        ));
        assert_eq!(store.list().len(), 1);
    }

    #[test]
    fn user_object_has_the_documented_key_order() {
        let mut u = user("test@mail.com");
        u.id = 1;
        u.billing_properties = vec![Property {
            kind: "phone".into(),
            value: "+8\"0".into(),
        }]
        .into();
        assert_eq!(
            String::from_utf8(u.to_json()).unwrap(),
            r#"{"id":1,"login":"test@mail.com","name":null,"type":"b2c","status":"active","created_at":"1970-01-01T00:00:00.000000Z","updated_at":"1970-01-01T00:00:00.000000Z","deleted_at":null,"can_update_password":false,"billing_properties":[{"type":"phone","value":"+8\"0"}]}"#
        );
    }

    #[test]
    fn password_hash_is_stable_within_a_store() {
        let store = Store::new(1, 1);
        assert_eq!(store.hash_password("x"), store.hash_password("x"));
        assert_ne!(store.hash_password("x"), store.hash_password("y"));
    }
}
