//! How the oracle spells what it sends: query values, letter case, a
//! `Basic` credential, and CONTRACT.md's uuid forms.

/// A `Basic` credential made from the token (the right token under
/// another scheme); registered as a secret, since it gives the token back.
pub(crate) fn basic(token: &str) -> String {
    use base64::Engine;
    let credential = base64::engine::general_purpose::STANDARD.encode(format!("{token}:"));
    // Derived from the token, it gives the token back: masked as it is.
    lupl_safety::secrets::register(&credential);
    format!("Basic {credential}")
}

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `text` with the case of its ASCII letters flipped by `mask` (bit
/// `i % 64` for the `i`th letter).
pub fn flip_case(text: &str, mask: u64) -> String {
    let mut letter = 0;
    text.chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                let flip = (mask >> (letter % 64)) & 1 == 1;
                letter += 1;
                if flip {
                    if c.is_ascii_lowercase() {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                } else {
                    c
                }
            } else {
                c
            }
        })
        .collect()
}

/// CONTRACT.md step 4's uuid forms: 32 hex digits, either case, bare or
/// 8-4-4-4-12, optionally wrapped in `{}` or `()` (the wrapped forms being
/// hyphenated, as .NET's `B` and `P` formats are).
pub fn is_uuid_by_contract(text: &str) -> bool {
    let hyphenated = |s: &str| {
        s.len() == 36
            && s.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_hexdigit(),
            })
    };
    let bare = |s: &str| s.len() == 32 && s.chars().all(|c| c.is_ascii_hexdigit());
    if let Some(inner) = text
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .or_else(|| text.strip_prefix('(').and_then(|s| s.strip_suffix(')')))
    {
        return hyphenated(inner);
    }
    hyphenated(text) || bare(text)
}
