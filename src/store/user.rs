//! The user model: what the mock keeps of a VMS user, and what the lifecycle endpoints
//! attach to it. Plain data; the store owns locking and the API owns rendering.

use compact_str::CompactString;

use crate::clock::Timestamp;
use crate::php::json::write_string;
use crate::php::{Array, Value};

/// Names of the analytics licence levels, in order.
pub(crate) const LICENSE_LEVELS: [&str; 3] = ["analytic_l1", "analytic_l2", "analytic_l3"];

/// Licences per level (`analytic_l1..3`); `None`: none set.
pub(crate) type Licenses = [Option<u64>; 3];

/// The lists a camera sync sets, in the order the admin view shows them.
pub(crate) const CAMERA_LISTS: [&str; 4] = [
    "camera_ids",
    "camera_external_ids",
    "public_group_external_ids",
    "private_group_external_ids",
];

/// One `billing_properties` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Property {
    /// `type`, such as `phone`.
    pub kind: CompactString,
    /// `value`.
    pub value: CompactString,
}

/// What the lifecycle endpoints attach to a user. Boxed behind an `Option` on [`User`], so
/// users that never get any cost one pointer.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Lifecycle {
    /// Granted permissions, in the order first attached, without duplicates.
    pub permissions: Vec<Box<str>>,
    /// Licences per level.
    pub licenses: Licenses,
    /// The last camera sync: an object of the four [`CAMERA_LISTS`].
    pub cameras: Option<serde_json::Value>,
    /// The last intercom sync (`sync` list).
    pub intercoms: Option<serde_json::Value>,
}

/// A user about to be created: the validated create input, password still in clear (the
/// store hashes it with its own salt on insert and forgets it).
#[derive(Clone, Debug)]
pub(crate) struct UserDraft {
    /// `login`, trimmed.
    pub login: CompactString,
    /// `type`.
    pub kind: CompactString,
    /// `status`.
    pub status: CompactString,
    /// `billing_properties`, in request order.
    pub billing_properties: Box<[Property]>,
    /// `billing_info` as compact JSON; never returned by the vendor API.
    pub billing_info: Option<Box<str>>,
    /// The password as sent.
    pub password: String,
    /// Creation time.
    pub now: Timestamp,
}

/// A VMS user as the mock keeps it. The password is kept only as a salted hash.
#[derive(Clone, Debug)]
pub(crate) struct User {
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
    lifecycle: Option<Box<Lifecycle>>,
}

impl User {
    /// The vendor's user object, keys in the documented order, escaped as `JsonResponse` does.
    /// Written by hand into one buffer: it is the body of nearly every successful request,
    /// rendered while the user is stored (under its shard's lock) rather than from a copy.
    pub(crate) fn vendor_json(&self) -> Vec<u8> {
        // The fixed text is about 250 bytes; sized so plain ASCII values never grow the buffer.
        let properties: usize = self
            .billing_properties
            .iter()
            .map(|p| 32 + p.kind.len() + p.value.len())
            .sum();
        let mut out = Vec::with_capacity(
            288 + self.login.len() + self.kind.len() + self.status.len() + properties,
        );
        out.extend_from_slice(b"{\"id\":");
        out.extend_from_slice(itoa::Buffer::new().format(self.id).as_bytes());
        out.extend_from_slice(b",\"login\":");
        write_string(&mut out, &self.login, true);
        out.extend_from_slice(b",\"name\":null,\"type\":");
        write_string(&mut out, &self.kind, true);
        out.extend_from_slice(b",\"status\":");
        write_string(&mut out, &self.status, true);
        out.extend_from_slice(b",\"created_at\":\"");
        let created = out.len();
        self.created_at.write_laravel(&mut out);
        let created = created..out.len();
        out.extend_from_slice(b"\",\"updated_at\":\"");
        if self.updated_at == self.created_at {
            // A user not updated since (every create): the same text again.
            out.extend_from_within(created);
        } else {
            self.updated_at.write_laravel(&mut out);
        }
        match self.deleted_at {
            Some(t) => {
                out.extend_from_slice(b"\",\"deleted_at\":\"");
                t.write_laravel(&mut out);
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
            write_string(&mut out, &p.kind, true);
            out.extend_from_slice(b",\"value\":");
            write_string(&mut out, &p.value, true);
            out.push(b'}');
        }
        out.extend_from_slice(b"]}");
        out
    }

    /// A new user from a draft (id 0 until the store assigns one).
    pub(crate) fn new(draft: UserDraft, password_hash: u64) -> Self {
        User {
            id: 0,
            login: draft.login,
            kind: draft.kind,
            status: draft.status,
            billing_properties: draft.billing_properties,
            billing_info: draft.billing_info,
            password_hash,
            created_at: draft.now,
            updated_at: draft.now,
            deleted_at: None,
            lifecycle: None,
        }
    }

    /// The lifecycle state; empty when none was ever set.
    pub(crate) fn lifecycle(&self) -> Lifecycle {
        self.lifecycle.as_deref().cloned().unwrap_or_default()
    }

    /// The lifecycle state, if one was ever set.
    pub(crate) fn lifecycle_ref(&self) -> Option<&Lifecycle> {
        self.lifecycle.as_deref()
    }

    /// The lifecycle state, created empty on first use.
    pub(crate) fn lifecycle_mut(&mut self) -> &mut Lifecycle {
        self.lifecycle.get_or_insert_with(Box::default)
    }

    /// Licences held at `level` (0 when none).
    pub(crate) fn license(&self, level: usize) -> u64 {
        self.lifecycle
            .as_ref()
            .and_then(|l| l.licenses[level])
            .unwrap_or(0)
    }

    /// Whether the user is soft-deleted.
    pub(crate) fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// Takes over the fields a create with `upsert` replaces; id, login and `created_at` stay.
    pub(crate) fn overwrite(&mut self, draft: UserDraft, password_hash: u64) {
        self.kind = draft.kind;
        self.status = draft.status;
        self.billing_properties = draft.billing_properties;
        self.billing_info = draft.billing_info;
        self.password_hash = password_hash;
        self.updated_at = draft.now;
    }
}

impl UserDraft {
    /// The user a validated create input describes (`login`, `password`, `type`, `status`,
    /// `billing_info`, `billing_properties`), created at `now`.
    pub(crate) fn from_create_input(input: &Array, now: Timestamp) -> Self {
        let [login, kind, status, props, info, password] = input.get_strs([
            "login",
            "type",
            "status",
            "billing_properties",
            "billing_info",
            "password",
        ]);
        UserDraft {
            login: str_or_empty(login).into(),
            kind: str_or_empty(kind).into(),
            status: str_or_empty(status).into(),
            billing_properties: properties(props),
            billing_info: billing_info(info),
            password: str_or_empty(password).to_owned(),
            now,
        }
    }
}

/// A validated string field (empty if absent, which validation has ruled out).
fn str_or_empty(value: Option<&Value>) -> &str {
    value.and_then(Value::as_str).unwrap_or_default()
}

/// `billing_info` as the compact JSON the store keeps (`None` for absent or null), written
/// as the vendor's `json_encode` would store it.
pub(crate) fn billing_info(value: Option<&Value>) -> Option<Box<str>> {
    value.filter(|v| !v.is_null()).map(|v| {
        let mut out = Vec::with_capacity(128);
        crate::php::write_json(&mut out, v);
        // ASCII only: write_json escapes every other character.
        match String::from_utf8(out) {
            Ok(text) => text.into_boxed_str(),
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into(),
        }
    })
}

/// `billing_properties` as a list of pairs, in the array's order (PHP walks a JSON object
/// given in its place by its keys, as the vendor's `array_values` does).
pub(crate) fn properties(value: Option<&Value>) -> Box<[Property]> {
    let Some(Value::Array(items)) = value else {
        return Box::new([]);
    };
    items
        .values()
        .map(|item| {
            let [kind, value] = item
                .as_array()
                .map_or([None, None], |a| a.get_strs(["type", "value"]));
            Property {
                kind: str_or_empty(kind).into(),
                value: str_or_empty(value).into(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_object_has_the_documented_key_order_and_laravel_escaping() {
        let mut u = User::new(
            UserDraft {
                login: "é/x@mail.com".into(),
                kind: "b2c".into(),
                status: "active".into(),
                billing_properties: vec![Property {
                    kind: "phone".into(),
                    value: "+8\"0".into(),
                }]
                .into(),
                billing_info: None,
                password: String::new(),
                now: Timestamp::from_unix_seconds(0),
            },
            0,
        );
        u.id = 1;
        assert_eq!(
            String::from_utf8(u.vendor_json()).unwrap(),
            r#"{"id":1,"login":"\u00e9\/x@mail.com","name":null,"type":"b2c","status":"active","created_at":"1970-01-01T00:00:00.000000Z","updated_at":"1970-01-01T00:00:00.000000Z","deleted_at":null,"can_update_password":false,"billing_properties":[{"type":"phone","value":"+8\"0"}]}"#
        );
    }

    #[test]
    fn an_updated_and_deleted_user_shows_its_own_dates() {
        let draft = UserDraft {
            login: "u".into(),
            kind: "t".into(),
            status: "active".into(),
            billing_properties: Box::new([]),
            billing_info: None,
            password: String::new(),
            now: Timestamp::from_unix_seconds(0),
        };
        let mut u = User::new(draft, 0);
        u.id = 7;
        u.updated_at = Timestamp::from_unix_seconds(86_461);
        u.deleted_at = Some(Timestamp::from_unix_seconds(1_682_993_930));
        assert_eq!(
            String::from_utf8(u.vendor_json()).unwrap(),
            r#"{"id":7,"login":"u","name":null,"type":"t","status":"active","created_at":"1970-01-01T00:00:00.000000Z","updated_at":"1970-01-02T00:01:01.000000Z","deleted_at":"2023-05-02T02:18:50.000000Z","can_update_password":false,"billing_properties":[]}"#
        );
    }
}
