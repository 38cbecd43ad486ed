use super::*;

/// A budget no test store reaches.
pub(crate) fn unbounded() -> Arc<Budget> {
    Arc::new(Budget::new(usize::MAX))
}

pub(crate) fn draft(login: &str) -> UserDraft {
    UserDraft {
        login: login.into(),
        kind: "b2c".into(),
        status: "active".into(),
        billing_properties: Box::new([]),
        billing_info: None,
        password: "secret".into(),
        now: Timestamp::from_unix_seconds(0),
    }
}

fn id_of(store: &Store, login: &str) -> Result<(Inserted, u64), StoreError> {
    store.insert(draft(login), false, |u| u.id)
}

#[test]
fn ids_increase_and_refusals_consume_none() {
    let store = Store::new(7, 10, unbounded());
    assert_eq!(id_of(&store, "a@x"), Ok((Inserted::New, 7)));
    assert_eq!(id_of(&store, "A@X"), Err(StoreError::LoginTaken));
    assert_eq!(id_of(&store, "b@x"), Ok((Inserted::New, 8)));
    assert!(store.login_taken("B@x"));
    assert_eq!(store.get_any("A@x").map(|u| u.id), Some(7));
}

#[test]
fn logins_match_ignoring_unicode_case() {
    let store = Store::new(1, 10, unbounded());
    id_of(&store, "Ärger@X.com").unwrap();
    assert!(store.login_taken("ärger@x.COM"));
    // The Kelvin sign lower-cases to an ASCII k.
    id_of(&store, "k@x").unwrap();
    assert!(store.login_taken("\u{212A}@x"));
    let long = "L".repeat(100);
    id_of(&store, &long).unwrap();
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
        (
            *list.get(0),
            *list.get(CHUNK - 1),
            *list.get(CHUNK),
            *list.get(CHUNK * 2 + 4)
        ),
        (0, CHUNK - 1, CHUNK, CHUNK * 2 + 4)
    );
    *list.get_mut(CHUNK) = 7;
    assert_eq!(list.iter().rev().nth(CHUNK + 4), Some(&7));
    assert_eq!(list.iter().count(), CHUNK * 2 + 5);
}

#[test]
fn capacity_is_enforced() {
    let store = Store::new(1, 1, unbounded());
    assert_eq!(id_of(&store, "a"), Ok((Inserted::New, 1)));
    assert_eq!(id_of(&store, "b"), Err(StoreError::Full(1)));
    assert_eq!(store.list().len(), 1);
}

#[test]
fn upsert_updates_in_place_and_delete_frees_the_login() {
    let store = Store::new(1, 10, unbounded());
    id_of(&store, "a@x").unwrap();
    let mut again = draft("A@x");
    again.status = "blocked".into();
    again.now = Timestamp::from_unix_seconds(9);
    let (inserted, seen) = store
        .insert(again, true, |u| {
            (
                u.id,
                u.login.to_string(),
                u.status.to_string(),
                u.updated_at,
            )
        })
        .unwrap();
    assert_eq!(inserted, Inserted::Updated);
    assert_eq!(
        seen,
        (
            1,
            "a@x".to_owned(),
            "blocked".to_owned(),
            Timestamp::from_unix_seconds(9)
        )
    );
    assert!(store.delete("a@X", Timestamp::from_unix_seconds(10)));
    assert_eq!(
        store.get_any("a@x").and_then(|u| u.deleted_at),
        Some(Timestamp::from_unix_seconds(10))
    );
    assert!(!store.login_taken("a@x"));
    assert_eq!(id_of(&store, "a@x"), Ok((Inserted::New, 2)));
    assert_eq!(store.list().len(), 1);
}

#[test]
fn password_hash_is_stable_within_a_store_and_never_the_password() {
    let store = Store::new(1, 2, unbounded());
    assert_eq!(store.hash_password("x"), store.hash_password("x"));
    assert_ne!(store.hash_password("x"), store.hash_password("y"));
    id_of(&store, "a").unwrap();
    assert_eq!(store.password_matches("a", "secret"), Some(true));
    assert_eq!(store.password_matches("a", "other"), Some(false));
    assert_eq!(store.password_matches("b", "secret"), None);
}
