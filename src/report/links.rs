//! Which article URLs a report may turn into links: only plain `http://` and `https://`
//! addresses with a host. Everything else (`javascript:`, `data:`, their mixed-case, entity-
//! encoded or whitespace- and control-prefixed spellings, relative paths) is shown as text.

/// The URL when a report may link to it: it starts with `http://` or `https://` (any case)
/// at its very first character, names a host, and holds no whitespace, control character,
/// quote, backslash, angle bracket or backtick anywhere. `None` otherwise: the caller shows the
/// text, escaped, instead of a link.
pub fn safe_link(url: &str) -> Option<&str> {
    let lower_prefix = |p: &str| {
        url.len() >= p.len() && url.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
    };
    let rest = if lower_prefix("https://") {
        &url[8..]
    } else if lower_prefix("http://") {
        &url[7..]
    } else {
        return None;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.starts_with(['@', ':']) {
        return None;
    }
    let forbidden = |c: char| {
        c.is_whitespace()
            || c.is_control()
            || matches!(
                c,
                '"' | '\'' | '<' | '>' | '\\' | '`' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'
            )
    };
    if url.chars().any(forbidden) {
        return None;
    }
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_and_https_addresses_are_links() {
        for ok in [
            "https://example.org/a",
            "http://example.org",
            "HTTPS://Example.org/x?y=1&z=2#f",
            "https://nypost.com/2024/01/25/news/putin-sends-backchannel-signals",
        ] {
            assert_eq!(safe_link(ok), Some(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "\u{1}javascript:alert(1)",
            "\tjavascript:alert(1)",
            "java\nscript:alert(1)",
            "&#106;avascript:alert(1)",
            "&#x6A;avascript:alert(1)",
            "javascript&colon;alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "DATA:text/html;base64,PHNjcmlwdD4=",
            "vbscript:msgbox(1)",
            " https://example.org",
            "\u{0}https://example.org",
            "\u{feff}https://example.org",
            "https:/example.org",
            "https:example.org",
            "https://",
            "https:///path",
            "https://@evil",
            "//example.org/a",
            "/relative/path",
            "example.org",
            "https://example.org/\"onmouseover=\"alert(1)",
            "https://example.org/<script>",
            "https://exa mple.org",
            "https://example.org/\u{202e}gpj.exe",
            "unknown",
            "",
        ] {
            assert_eq!(safe_link(bad), None, "{bad:?} became a link");
        }
    }
}
