//! JSON and traces on their way to a terminal or a file a user reads:
//! every secret the process holds is masked ([`lupl_safety::secrets`]) and
//! control and bidirectional characters are escaped
//! ([`lupl_safety::text`]), so data can neither leak a token nor drive the
//! terminal. Plain text goes through [`lupl_safety::text::for_terminal`].

/// `value` as compact JSON with secrets masked and no unsafe character in
/// its text: serde already escapes C0; DEL, C1 (U+009B starts an escape
/// sequence on some terminals), the Unicode line separators and the
/// bidirectional controls are written as `\uXXXX` too. The JSON value is
/// the same (but for masked secrets).
///
/// ```
/// let value = serde_json::json!({"name": "a\u{9b}31mb"});
/// let text = lupl_cli::terminal::json_text(&value);
/// assert_eq!(text, r#"{"name":"a\u009b31mb"}"#);
/// assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), value);
/// ```
pub fn json_text(value: &serde_json::Value) -> String {
    lupl_safety::text::json_safe(lupl_safety::secrets::scrub(&value.to_string()).into_owned())
}

/// Standard error with every secret masked: the writer of `-v` traces, so
/// a server's text in a traced error cannot show a token either.
///
/// ```
/// use std::io::Write;
/// let mut err = lupl_cli::terminal::ScrubbedStderr;
/// err.write_all(b"a trace line\n")?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ScrubbedStderr;

impl std::io::Write for ScrubbedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = lupl_safety::secrets::scrub_bytes(buf);
        std::io::stderr().write_all(&text)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
