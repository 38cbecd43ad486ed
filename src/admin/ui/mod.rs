//! The dashboard at `/__admin/ui`: one page, its script and its stylesheet, embedded in the
//! binary (no files at runtime, no build step, nothing from a CDN). The page is a client of
//! the admin API like any other: it sends `X-Mock-Admin: 1` (and the token, once given) on
//! every call, so the access rules apply to it unchanged.

/// Where the dashboard lives.
pub(crate) const PATH: &str = "/__admin/ui";

/// A file of the dashboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Asset {
    /// `/__admin/ui`: the page.
    Page,
    /// `/__admin/ui/app.js`.
    Script,
    /// `/__admin/ui/app.css`.
    Style,
}

impl Asset {
    /// The asset at the path segments after `/__admin/ui`.
    pub(crate) fn at(segments: &[&str]) -> Option<Asset> {
        match segments {
            [] | [""] => Some(Asset::Page),
            ["app.js"] => Some(Asset::Script),
            ["app.css"] => Some(Asset::Style),
            _ => None,
        }
    }

    /// Its `Content-Type`.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Asset::Page => "text/html; charset=utf-8",
            Asset::Script => "text/javascript; charset=utf-8",
            Asset::Style => "text/css; charset=utf-8",
        }
    }

    /// Its bytes.
    pub(crate) fn bytes(self) -> &'static [u8] {
        match self {
            Asset::Page => include_bytes!("index.html"),
            Asset::Script => include_bytes!("app.js"),
            Asset::Style => include_bytes!("app.css"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_its_script_and_stylesheet_by_the_paths_that_serve_them() {
        let page = std::str::from_utf8(Asset::Page.bytes()).unwrap();
        assert!(page.contains("src=\"/__admin/ui/app.js\""));
        assert!(page.contains("href=\"/__admin/ui/app.css\""));
        assert_eq!(Asset::at(&["app.js"]), Some(Asset::Script));
        assert_eq!(Asset::at(&["app.css"]), Some(Asset::Style));
        assert_eq!(Asset::at(&[]), Some(Asset::Page));
        assert_eq!(Asset::at(&["x.js"]), None);
    }
}
