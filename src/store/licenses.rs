//! The analytics licence pool: a scenario may make a number of licences per level available
//! (`settings.licenses_available`), shared by every active user of the session.
//!
//! Each shard keeps the running total of its active users' licences, so a check adds 16
//! counters instead of walking the users. A check or an assignment holds every shard lock
//! (in index order), so two concurrent assignments cannot overbook.

use super::{Licenses, MutexGuard, Shard, Store};

/// A licence level the request would take past what the scenario makes available.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LicenseShortfall {
    /// Index into [`super::LICENSE_LEVELS`].
    pub level: usize,
    /// How many are left for this user at that level.
    pub remaining: u64,
}

/// Licences of `level` held by active users, except the user at `own`.
fn used(shards: &[MutexGuard<'_, Shard>], own: Option<(usize, usize)>, level: usize) -> u64 {
    let total = shards
        .iter()
        .map(|s| s.licensed[level])
        .fold(0u64, u64::saturating_add);
    let mine = own.map_or(0, |(s, i)| shards[s].users.get(i).license(level));
    total.saturating_sub(mine)
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
    let used = used(shards, own, level);
    if used.saturating_add(want) > cap {
        Err(LicenseShortfall {
            level,
            remaining: cap.saturating_sub(used),
        })
    } else {
        Ok(())
    }
}

impl Store {
    fn locate(&self, shards: &[MutexGuard<'_, Shard>], login: &str) -> Option<(usize, usize)> {
        let hash = self.key_hash(login);
        let s = Self::shard_of(hash);
        shards[s].find(hash, login).map(|i| (s, i))
    }

    /// For each level, whether giving this user `wanted` licences keeps every active user's
    /// total within `available` (`None`: unlimited). The user's own current licences do not
    /// count, as they would be replaced.
    pub(crate) fn licenses_fit(
        &self,
        login: &str,
        wanted: Licenses,
        available: Licenses,
    ) -> [Result<(), LicenseShortfall>; 3] {
        if available.iter().all(Option::is_none) {
            return [Ok(()); 3];
        }
        let shards = self.lock_all();
        let own = self.locate(&shards, login);
        std::array::from_fn(|level| fits(&shards, own, level, wanted[level], available[level]))
    }

    /// Replaces the licences of the active user with this login, if they fit `available`.
    /// `Ok(false)`: no such user.
    ///
    /// # Errors
    /// The first level that does not fit.
    pub(crate) fn set_licenses(
        &self,
        login: &str,
        wanted: Licenses,
        available: Licenses,
    ) -> Result<bool, LicenseShortfall> {
        let mut shards = self.lock_all();
        let Some((s, index)) = self.locate(&shards, login) else {
            return Ok(false);
        };
        for level in 0..3 {
            fits(
                &shards,
                Some((s, index)),
                level,
                wanted[level],
                available[level],
            )?;
        }
        let shard = &mut *shards[s];
        let user = shard.users.get_mut(index);
        for (level, want) in wanted.iter().enumerate() {
            let total = shard.licensed[level].saturating_sub(user.license(level));
            shard.licensed[level] = total.saturating_add(want.unwrap_or(0));
        }
        user.lifecycle_mut().licenses = wanted;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{draft, unbounded};
    use super::*;
    use crate::clock::Timestamp;

    #[test]
    fn licences_are_a_pool_shared_by_active_users() {
        let store = Store::new(1, 10, unbounded());
        store.insert(draft("a"), false, |_| ()).unwrap();
        store.insert(draft("b"), false, |_| ()).unwrap();
        let caps = [Some(5), None, Some(0)];
        assert_eq!(
            store.set_licenses("a", [Some(3), Some(100), None], caps),
            Ok(true)
        );
        assert_eq!(
            store.set_licenses("b", [Some(3), None, None], caps),
            Err(LicenseShortfall {
                level: 0,
                remaining: 2
            })
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
        assert_eq!(store.set_licenses("nobody", [None; 3], caps), Ok(false));
        // Deleted users free their licences.
        assert!(store.delete("a", Timestamp::from_unix_seconds(2)));
        assert_eq!(
            store.set_licenses("b", [Some(5), None, None], caps),
            Ok(true)
        );
        // Replacing one's own licences updates the running total rather than adding to it.
        assert_eq!(
            store.set_licenses("b", [Some(4), None, None], caps),
            Ok(true)
        );
        assert_eq!(
            store.set_licenses("b", [Some(5), None, None], caps),
            Ok(true)
        );
    }

    #[test]
    fn running_totals_match_a_full_count_across_shards() {
        let store = Store::new(1, 1000, unbounded());
        for i in 0..200 {
            store
                .insert(draft(&format!("u{i}")), false, |_| ())
                .unwrap();
            store
                .set_licenses(&format!("u{i}"), [Some(i % 3), None, None], [None; 3])
                .unwrap();
        }
        for i in (0..200).step_by(7) {
            store.delete(&format!("u{i}"), Timestamp::from_unix_seconds(1));
        }
        let counted: u64 = store.list().iter().map(|u| u.license(0)).sum();
        let shards = store.lock_all();
        assert_eq!(used(&shards, None, 0), counted);
    }
}
