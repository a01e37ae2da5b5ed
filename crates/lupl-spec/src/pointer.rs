//! JSON pointers (RFC 6901), built one reference token at a time.
//!
//! ```
//! use lupl_spec::pointer;
//!
//! let at = pointer::join("/paths", "/api/1.0/pms/providerconfig");
//! assert_eq!(at, "/paths/~1api~11.0~1pms~1providerconfig");
//! ```

use std::borrow::Cow;

/// Escapes one reference token: `~` becomes `~0` first, then `/` becomes
/// `~1` (the other order would turn `/` into `~01`). A token with neither
/// is borrowed as it is.
///
/// ```
/// use lupl_spec::pointer::escape;
/// use std::borrow::Cow;
///
/// assert_eq!(escape("a/b"), "a~1b");
/// assert_eq!(escape("m~n"), "m~0n");
/// assert_eq!(escape("~1"), "~01", "a literal ~1 is not a slash");
/// assert!(matches!(escape("plain"), Cow::Borrowed("plain")));
/// ```
pub fn escape(token: &str) -> Cow<'_, str> {
    if token.contains(['~', '/']) {
        Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(token)
    }
}

/// `base` with one more reference token, escaped (`base` is a pointer
/// already: `""` for the whole document).
///
/// ```
/// use lupl_spec::pointer::join;
///
/// assert_eq!(join("", "paths"), "/paths");
/// assert_eq!(join("/components/schemas", "a/b~c"), "/components/schemas/a~1b~0c");
/// ```
pub fn join(base: &str, token: &str) -> String {
    format!("{base}/{}", escape(token))
}
