//! Laravel's `MessageBag` of failed attributes and its 422 body.

use super::late_index::LateIndex;
use super::messages::{Locale, summarize};

/// Attribute to messages, in the order they failed.
#[derive(Clone, Debug, Default)]
pub(crate) struct ErrorBag {
    fields: Vec<(String, Vec<String>)>,
    /// Where each attribute is in `fields`: a pathological body fails tens of thousands, a
    /// real one a handful.
    index: LateIndex<String>,
    /// [`ErrorBag::byte_size`], kept as messages are added.
    bytes: usize,
}

impl PartialEq for ErrorBag {
    fn eq(&self, other: &Self) -> bool {
        self.fields == other.fields
    }
}

impl ErrorBag {
    /// Adds a message to an attribute, as `MessageBag::add`: a message the attribute already
    /// has is not added twice.
    pub(crate) fn add(&mut self, attribute: &str, message: String) {
        match self.position(attribute) {
            Some(i) => {
                let messages = &mut self.fields[i].1;
                if !messages.contains(&message) {
                    self.bytes += message.len() + 3;
                    messages.push(message);
                }
            }
            None => {
                self.bytes += attribute.len() + 6 + message.len() + 3;
                if self.fields.is_empty() {
                    // A 422 nearly always has a few: one allocation rather than three.
                    self.fields.reserve(8);
                }
                self.fields.push((attribute.to_owned(), vec![message]));
                self.index.pushed(&self.fields, |(a, _)| a.clone());
            }
        }
    }

    fn position(&self, attribute: &str) -> Option<usize> {
        self.index
            .position(&self.fields, attribute, |(a, _)| a.as_str())
    }

    /// The failing attributes, in order.
    pub(crate) fn attributes(&self) -> impl Iterator<Item = &str> + Clone {
        self.fields.iter().map(|(a, _)| a.as_str())
    }

    /// Whether an attribute has a message.
    pub(crate) fn has(&self, attribute: &str) -> bool {
        self.position(attribute).is_some()
    }

    /// Whether there are no messages at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The attributes and their messages, in order.
    pub(crate) fn into_fields(self) -> impl Iterator<Item = (String, Vec<String>)> {
        self.fields.into_iter()
    }

    /// Every message, in order.
    fn messages(&self) -> impl Iterator<Item = &str> {
        self.fields
            .iter()
            .flat_map(|(_, m)| m.iter().map(String::as_str))
    }

    /// Roughly how many bytes the 422 body of this bag takes.
    pub(crate) fn byte_size(&self) -> usize {
        self.bytes
    }

    /// The 422 body: `{"message": summary, "errors": {...}}`, compact and escaped as Laravel's
    /// `JsonResponse` writes it.
    pub(crate) fn to_json(&self, locale: Locale) -> Vec<u8> {
        let summary = summarize(self.messages(), locale);
        let mut out = Vec::with_capacity(32 + summary.len() + self.byte_size());
        out.extend_from_slice(b"{\"message\":");
        write_json_str(&mut out, &summary);
        out.extend_from_slice(b",\"errors\":{");
        for (i, (attribute, messages)) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_json_str(&mut out, attribute);
            out.extend_from_slice(b":[");
            for (j, m) in messages.iter().enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                write_json_str(&mut out, m);
            }
            out.push(b']');
        }
        out.extend_from_slice(b"}}");
        out
    }
}

/// Appends `s` as Laravel's `JsonResponse` writes a string (`json_encode` without flags:
/// `/` and non-ASCII escaped).
pub(crate) fn write_json_str(out: &mut Vec<u8>, s: &str) {
    crate::php::json::write_string(out, s, true);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_422_envelope_counts_messages_and_keeps_order() {
        let mut bag = ErrorBag::default();
        bag.add("status", "b".into());
        bag.add("login", "a".into());
        bag.add("status", "c".into());
        bag.add("status", "b".into());
        assert_eq!(
            String::from_utf8(bag.to_json(Locale::En)).unwrap(),
            r#"{"message":"b (and 2 more errors)","errors":{"status":["b","c"],"login":["a"]}}"#
        );
    }
}
