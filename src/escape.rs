//! Escaping user text that error and warning messages quote.
//!
//! Messages name files and quote keys, terms or field values taken from the user's data.
//! Written raw to a terminal, a control character in them (ESC starts a terminal escape
//! sequence; CR rewrites the line) or a bidirectional override could hide or fake text, so
//! every such character is shown as a Rust-style escape (`\u{1b}`) instead.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal raw: a control character (C0, DEL, C1) or an
/// invisible bidirectional formatting character (marks, embeddings, overrides, isolates).
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every control or bidirectional formatting character written as `\u{HEX}`
/// (ESC becomes `\u{1b}`); borrowed unchanged when there is none.
pub fn controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_escaped_and_the_rest_kept() {
        assert!(matches!(
            controls("plain \"text\" é 😀 \\"),
            Cow::Borrowed(_)
        ));
        assert_eq!(controls("plain é"), "plain é");
        assert_eq!(
            controls("\u{1b}[31mred\u{1b}[0m"),
            "\\u{1b}[31mred\\u{1b}[0m"
        );
        assert_eq!(
            controls("a\rb\nc\td\0e\u{7f}f\u{9b}"),
            "a\\u{d}b\\u{a}c\\u{9}d\\u{0}e\\u{7f}f\\u{9b}"
        );
        assert_eq!(controls("x\u{202e}y\u{2066}z"), "x\\u{202e}y\\u{2066}z");
        for s in ["\u{1b}", "a\u{7}b", "\u{85}", "\u{200f}"] {
            assert!(!controls(s).chars().any(is_unsafe), "{s:?}");
        }
    }
}
