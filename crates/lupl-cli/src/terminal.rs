//! Text from a server or a file on its way to a terminal: control
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
