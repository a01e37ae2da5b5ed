//! Text and JSON from a server or a file on its way to a terminal: control
//! characters (an `ESC[2J`, an OSC title sequence, a bell) are written as
//! escapes, so data cannot drive the terminal.

/// `text` with every control character but the line break escaped as
/// `\u{…}`.
///
/// ```
/// assert_eq!(lupl_cli::terminal::printable("a\u{1b}[2Jb\nc"), "a\\u{1b}[2Jb\nc");
/// ```
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' => "\n".to_owned(),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
                c.escape_unicode().to_string()
            }
            c => c.to_string(),
        })
        .collect()
}

/// `value` as compact JSON whose text holds no control character: serde
/// already escapes C0; DEL, C1 (U+009B starts an escape sequence on some
/// terminals) and the Unicode line separators are written as `\uXXXX`
/// too. The JSON value is the same.
///
/// ```
/// let value = serde_json::json!({"name": "a\u{9b}31mb"});
/// let text = lupl_cli::terminal::json_text(&value);
/// assert_eq!(text, r#"{"name":"a\u009b31mb"}"#);
/// assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), value);
/// ```
pub fn json_text(value: &serde_json::Value) -> String {
    // Outside strings JSON text holds no such character, so every one
    // replaced here sits inside a string, where `\uXXXX` means it.
    value
        .to_string()
        .chars()
        .map(|c| match c {
            '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' => format!("\\u{:04x}", c as u32),
            c => c.to_string(),
        })
        .collect()
}
