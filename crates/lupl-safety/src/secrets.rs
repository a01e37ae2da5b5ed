//! The secrets this process holds, scrubbed from everything it prints or
//! writes.
//!
//! Whatever reads or receives a secret (a token file, a client secret, an
//! access token Auth0 issued) [`register`]s it; every printer and writer
//! passes its text through [`scrub`]. A server that echoes a token back
//! (in a header, in an error body) therefore cannot get it into a report,
//! a recording or a terminal: the mask is applied by value, wherever the
//! secret stands, not by knowing which header carried it.

use std::borrow::Cow;
use std::sync::RwLock;

/// The forms of every registered secret as it may appear in text: as is,
/// JSON-escaped and percent-encoded. Longest first, so a secret that
/// contains another is masked whole.
static SECRETS: RwLock<Vec<(String, String)>> = RwLock::new(Vec::new());

/// Shown of a secret: its first four characters, and only when it has at
/// least this many (a short secret would be half given away).
const SHOW_FROM: usize = 16;

/// Secrets shorter than this are not searched for in text: they would
/// match ordinary words (a test token `t` would mask every `t`). They are
/// still masked wholly where a tool shows a credential it sent
/// ([`mask_authorization`]). Real tokens and client secrets are far longer.
pub const MIN_SCRUBBED: usize = 6;

/// A secret as it is shown: the first four characters and `…` when it is
/// long, `…` alone when it is short.
///
/// ```
/// use lupl_safety::secrets::mask;
/// assert_eq!(mask("eyJhbGciOiJSUzI1NiJ9.payload.sig"), "eyJh…");
/// assert_eq!(mask("tok"), "…");
/// assert_eq!(mask("tok-acme"), "…");
/// ```
pub fn mask(secret: &str) -> String {
    if secret.chars().count() >= SHOW_FROM {
        let shown: String = secret.chars().take(4).collect();
        format!("{shown}…")
    } else {
        "…".to_owned()
    }
}

/// An `Authorization` value with its credential masked ([`mask`]); the
/// scheme stays.
///
/// ```
/// use lupl_safety::secrets::mask_authorization;
/// assert_eq!(mask_authorization("Bearer abcd"), "Bearer …");
/// assert_eq!(mask_authorization("Bearer abcdefghijklmnopqrstuvwxyz"), "Bearer abcd…");
/// assert_eq!(mask_authorization("sometoken"), "…");
/// ```
pub fn mask_authorization(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, credential)) => format!("{scheme} {}", mask(credential)),
        None => mask(value),
    }
}

fn json_escaped(secret: &str) -> String {
    let mut out = String::with_capacity(secret.len());
    for c in secret.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// `%2F` as `%2f`, the other characters as they are.
fn lowercase_escapes(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut chars = encoded.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '%' {
            for h in chars.by_ref().take(2) {
                out.push(h.to_ascii_lowercase());
            }
        }
    }
    out
}

fn percent_encoded(secret: &str) -> String {
    let mut out = String::with_capacity(secret.len());
    for b in secret.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Registers a secret: from now on [`scrub`] masks it in any text.
/// Secrets shorter than [`MIN_SCRUBBED`] and secrets registered before are
/// ignored.
///
/// ```
/// use lupl_safety::secrets::{register, scrub};
/// register("client-secret-for-the-docs");
/// assert_eq!(scrub("client_secret=client-secret-for-the-docs&x=1"), "client_secret=clie…&x=1");
/// ```
pub fn register(secret: &str) {
    if secret.chars().count() < MIN_SCRUBBED {
        return;
    }
    let shown = mask(secret);
    // As is, JSON-escaped (also with `/` as `\/`, as PHP and others write
    // it), percent-encoded (with upper- and lowercase hex).
    let json = json_escaped(secret);
    let percent = percent_encoded(secret);
    let mut forms = vec![
        secret.to_owned(),
        json.replace('/', "\\/"),
        json,
        lowercase_escapes(&percent),
        percent,
    ];
    forms.sort();
    forms.dedup();
    let mut secrets = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    for form in forms {
        if !secrets.iter().any(|(f, _)| *f == form) {
            secrets.push((form, shown.clone()));
        }
    }
    secrets.sort_by_key(|(f, _)| std::cmp::Reverse(f.len()));
}

/// `text` with every registered secret masked ([`mask`]).
///
/// ```
/// use lupl_safety::secrets::{register, scrub};
/// register("abc123");
/// assert_eq!(scrub("token abc123 echoed"), "token … echoed");
/// register("t");
/// assert_eq!(scrub("a test"), "a test", "too short to search for");
/// assert_eq!(scrub("nothing here"), "nothing here");
/// ```
pub fn scrub(text: &str) -> Cow<'_, str> {
    let secrets = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|(form, _)| text.contains(form.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_owned();
    for (form, shown) in secrets.iter() {
        if out.contains(form.as_str()) {
            out = out.replace(form.as_str(), shown);
        }
    }
    Cow::Owned(out)
}

/// [`scrub`] for bytes (a body that may not be UTF-8): the secrets'
/// bytes are replaced wherever they stand.
///
/// ```
/// use lupl_safety::secrets::{register, scrub_bytes};
/// register("byte-secret");
/// assert_eq!(scrub_bytes(b"\xff byte-secret"), b"\xff \xe2\x80\xa6".to_vec());
/// ```
pub fn scrub_bytes(bytes: &[u8]) -> Cow<'_, [u8]> {
    let secrets = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    if !secrets
        .iter()
        .any(|(form, _)| contains(bytes, form.as_bytes()))
    {
        return Cow::Borrowed(bytes);
    }
    let mut out = bytes.to_vec();
    for (form, shown) in secrets.iter() {
        let needle = form.as_bytes();
        let mut i = 0;
        let mut next = Vec::with_capacity(out.len());
        while i < out.len() {
            if out[i..].starts_with(needle) {
                next.extend_from_slice(shown.as_bytes());
                i += needle.len();
            } else {
                next.push(out[i]);
                i += 1;
            }
        }
        out = next;
    }
    Cow::Owned(out)
}

/// Whether any registered secret appears in `text` (for tests and
/// assertions before writing).
///
/// ```
/// lupl_safety::secrets::register("detectable-secret");
/// assert!(lupl_safety::secrets::appears_in("x detectable-secret y"));
/// assert!(!lupl_safety::secrets::appears_in("x y"));
/// ```
pub fn appears_in(text: &str) -> bool {
    let secrets = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    secrets.iter().any(|(form, _)| text.contains(form.as_str()))
}
