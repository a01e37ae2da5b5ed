//! Text from a server or a file on its way to a terminal or a report:
//! control characters (an `ESC[2J`, an OSC title sequence, a bell), the
//! Unicode line separators and the bidirectional controls (U+202E turns
//! the rest of a line around) are written as `\u{…}` escapes, so data can
//! neither drive the terminal nor disguise itself. [`for_terminal`]
//! masks secrets too: the function for text a user is shown.

use std::borrow::Cow;

/// Whether `c` is written as an escape: C0 and C1 controls and DEL, the
/// line and paragraph separators, and the bidirectional formatting
/// characters (U+200E/F, U+202A–U+202E, U+2066–U+2069, U+061C).
///
/// ```
/// use lupl_safety::text::is_unsafe;
/// assert!(is_unsafe('\u{1b}') && is_unsafe('\u{9b}') && is_unsafe('\u{202e}'));
/// assert!(!is_unsafe('é') && !is_unsafe(' '));
/// ```
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{061c}'
        )
}

/// `text` with every unsafe character ([`is_unsafe`]) escaped as
/// `\u{…}`; line breaks are kept when `multiline`.
///
/// ```
/// use lupl_safety::text::printable;
/// assert_eq!(printable("a\u{1b}[2Jb\nc", true), "a\\u{1b}[2Jb\nc");
/// assert_eq!(printable("a\nb", false), "a\\u{a}b");
/// assert_eq!(printable("evil\u{202e}txt", true), "evil\\u{202e}txt");
/// ```
pub fn printable(text: &str, multiline: bool) -> Cow<'_, str> {
    let keep = |c: char| !is_unsafe(c) || (multiline && c == '\n');
    if text.chars().all(keep) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if keep(c) {
            out.push(c);
        } else {
            out.extend(c.escape_unicode());
        }
    }
    Cow::Owned(out)
}

/// `text` as it may be shown to a user on a terminal or in a report: every
/// secret the process holds masked ([`crate::secrets::scrub`]), then every
/// unsafe character escaped ([`printable`]; line breaks kept when
/// `multiline`). The one function `lupl` and `conformance` print server
/// and file text through.
///
/// ```
/// use lupl_safety::text::for_terminal;
/// lupl_safety::secrets::register("s3cr3t-token-value");
/// assert_eq!(
///     for_terminal("Bearer s3cr3t-token-value\u{1b}[2J\nnext", true),
///     "Bearer s3cr…\\u{1b}[2J\nnext"
/// );
/// assert_eq!(for_terminal("a\nb", false), "a\\u{a}b");
/// ```
pub fn for_terminal(text: &str, multiline: bool) -> String {
    printable(&crate::secrets::scrub(text), multiline).into_owned()
}

/// JSON text whose every unsafe character inside a string is written as
/// `\uXXXX` (serde already escapes C0): the JSON value is the same.
///
/// ```
/// let raw = format!(r#"{{"name":"a{}31mb{}"}}"#, '\u{9b}', '\u{202e}');
/// let text = lupl_safety::text::json_safe(raw);
/// assert_eq!(text, r#"{"name":"a\u009b31mb\u202e"}"#);
/// ```
pub fn json_safe(json: String) -> String {
    if !json.chars().any(is_unsafe) {
        return json;
    }
    // Outside strings JSON text holds no such character (serde writes no
    // raw control characters), so every one replaced sits inside a string.
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if is_unsafe(c) && !matches!(c, '\n' | '\r' | '\t') {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}
