//! Laravel's `email` rule.

/// Laravel's `email` rule (egulias' `RFCValidation`), as far as it matters in practice: a
/// dot-atom or quoted local part, optionally with `(comments)` at its ends, and a domain of
/// letter, digit and hyphen labels or a `[literal]`. Checked against Laravel in
/// `validation::tests`; obsolete RFC 5322 forms (folding white space, escaped pairs outside
/// quotes) are refused where egulias might accept them.
pub(super) fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    email_local(local) && email_domain(domain)
}

fn email_local(local: &str) -> bool {
    let Some(local) = strip_comments(local) else {
        return false;
    };
    if let Some(inner) = local.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
        let mut escaped = false;
        return inner.chars().all(|c| {
            let ok = escaped || (c != '"' && !c.is_control());
            escaped = !escaped && c == '\\';
            ok
        }) && !escaped;
    }
    !local.is_empty()
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .chars()
                    .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c))
        })
}

fn email_domain(domain: &str) -> bool {
    if let Some(literal) = domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) {
        return !literal.is_empty()
            && !literal.ends_with('.')
            && !literal.contains(['[', ']', '\\'])
            && !literal.chars().any(char::is_whitespace);
    }
    !domain.is_empty()
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// A local part without a leading or trailing `(comment)`; `None` for a comment that holds
/// `(` or `@`, which egulias refuses.
fn strip_comments(local: &str) -> Option<&str> {
    let plain = |comment: &str| !comment.contains(['(', '@']);
    let mut local = local;
    if let Some(rest) = local.strip_prefix('(')
        && let Some(end) = rest.find(')')
    {
        if !plain(&rest[..end]) {
            return None;
        }
        local = &rest[end + 1..];
    }
    if let Some(rest) = local.strip_suffix(')')
        && let Some(start) = rest.rfind('(')
    {
        if !plain(&rest[start + 1..]) {
            return None;
        }
        local = &rest[..start];
    }
    Some(local)
}

#[cfg(test)]
mod tests {
    use super::is_email;

    /// Laravel 10's `email` rule (egulias 4 `RFCValidation`) answered these; the mock is
    /// stricter only on obsolete forms (white space around comments, escapes outside quotes).
    #[test]
    fn email_agrees_with_laravel() {
        for valid in [
            "a@[1.2..3.41]",
            "xy@d.om",
            "x.y@d.acom",
            "1é@é.ф",
            "a@b-cd",
            "é-@bé.р",
            "a@éxn--d.e",
            "é@é.р-ф",
            "\"q\"@da.e",
            "!a@b-c.d",
            "a@b",
            "\"a b\"@c.d",
            "(c)a@b.c",
            "a@[1.2.3.4]",
            "é@é.рф",
        ] {
            assert!(is_email(valid), "{valid} is valid");
        }
        for invalid in [
            "@b.",
            "a@n--d.[",
            "@-c.d",
            ")a@b.c",
            "x.y@-d.com",
            "a@[1.2.3._4",
            "a@b\\-cd",
            "a@n-!-d.e",
            "a@[1.@.2.3.]",
            "a+@b#.c",
            "ab@b-.d_",
            "(c)a@]-b.c",
            "ab. ",
            "a@b..c",
            "a.@b.c",
            "a@-b.c",
            "a@b_c.d",
            "a@b.",
            ".a@b.c",
            "a(c@)@b.c",
            "a@[1.2.3.]",
        ] {
            assert!(!is_email(invalid), "{invalid} is invalid");
        }
    }
}
