//! Mutation families, as data beside the clause catalogue: near misses of
//! values a case already holds (the token, an option, a type name, a
//! stored string), derived by operators rather than written per rule, in
//! the way CATS groups its fuzzers. A lenient server takes a near miss
//! for the good value; CONTRACT.md says which it must refuse and which it
//! must store as sent. Each family names the clauses it serves; the
//! generators that use an operator say their family (`Gen::family`), and
//! the coverage table counts each family's requests.

use crate::clauses::Clause;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// A family of mutation operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Family {
    /// The real token, changed a little: a server must not take it.
    TokenNearMiss,
    /// The real token where the contract does not look for one: a query
    /// parameter, a cookie, another header.
    TokenCarrier,
    /// An allowed value in another letter case.
    LetterCase,
    /// A string in another Unicode normalization form (NFD): stored as sent.
    UnicodeForm,
    /// White space where a rule trims, and where it does not.
    WhiteSpace,
    /// A value of another JSON type that a lenient parser would coerce.
    TypeCoercion,
}

impl Family {
    /// Every family, in the coverage table's order.
    pub const ALL: [Family; 6] = [
        Family::TokenNearMiss,
        Family::TokenCarrier,
        Family::LetterCase,
        Family::UnicodeForm,
        Family::WhiteSpace,
        Family::TypeCoercion,
    ];

    /// The stable id, as the coverage table shows it.
    ///
    /// ```
    /// use conformance_core::mutations::Family;
    /// assert_eq!(Family::TokenCarrier.id(), "token-carrier");
    /// ```
    pub fn id(self) -> &'static str {
        match self {
            Family::TokenNearMiss => "token-near-miss",
            Family::TokenCarrier => "token-carrier",
            Family::LetterCase => "letter-case",
            Family::UnicodeForm => "unicode-form",
            Family::WhiteSpace => "white-space",
            Family::TypeCoercion => "type-coercion",
        }
    }

    /// The clauses its operators exercise.
    ///
    /// ```
    /// use conformance_core::{Clause, mutations::Family};
    /// assert!(Family::TokenNearMiss.clauses().contains(&Clause::AuthRejected));
    /// ```
    pub fn clauses(self) -> &'static [Clause] {
        match self {
            Family::TokenNearMiss | Family::TokenCarrier => {
                &[Clause::AuthRejected, Clause::AuthChallenge]
            }
            Family::LetterCase => &[
                Clause::ProviderAuthType,
                Clause::ProviderFieldType,
                Clause::ProviderEndpoints,
                Clause::OrgSelect,
            ],
            Family::UnicodeForm => &[Clause::StoreExact],
            Family::WhiteSpace => &[
                Clause::ProviderName,
                Clause::ProviderFieldLabel,
                Clause::OrgSelect,
            ],
            Family::TypeCoercion => &[Clause::OrgString, Clause::OrgNumber, Clause::OrgBoolean],
        }
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// A change to the real token that leaves it close to, but not, the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenMutation {
    /// The first letter in the other case.
    FlipCase,
    /// The last character dropped.
    DropLast,
    /// One character more.
    AppendOne,
    /// The middle character replaced.
    ChangeOne,
}

impl TokenMutation {
    /// Every operator.
    pub const ALL: [TokenMutation; 4] = [
        TokenMutation::FlipCase,
        TokenMutation::DropLast,
        TokenMutation::AppendOne,
        TokenMutation::ChangeOne,
    ];

    /// `token` changed this way; never `token` itself.
    ///
    /// ```
    /// use conformance_core::mutations::TokenMutation;
    /// assert_eq!(TokenMutation::FlipCase.apply("tok-acme"), "Tok-acme");
    /// assert_eq!(TokenMutation::DropLast.apply("tok-acme"), "tok-acm");
    /// for m in TokenMutation::ALL {
    ///     assert_ne!(m.apply("12345"), "12345");
    ///     assert_ne!(m.apply(""), "");
    /// }
    /// ```
    pub fn apply(self, token: &str) -> String {
        let changed = match self {
            TokenMutation::FlipCase => flip_first_letter(token),
            TokenMutation::DropLast => {
                let mut t = token.to_owned();
                t.pop();
                t
            }
            TokenMutation::AppendOne => format!("{token}x"),
            TokenMutation::ChangeOne => {
                let mut chars: Vec<char> = token.chars().collect();
                let middle = chars.len() / 2;
                if let Some(c) = chars.get_mut(middle) {
                    *c = if *c == 'A' { 'B' } else { 'A' };
                }
                chars.into_iter().collect()
            }
        };
        if changed == token {
            format!("{token}0")
        } else {
            changed
        }
    }
}

/// Where else a client might put a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Carrier {
    /// `?access_token=…`, as OAuth 2.0's RFC 6750 allows some servers.
    Query,
    /// `Cookie: access_token=…`.
    Cookie,
    /// `X-Access-Token: …`.
    Header,
}

impl Carrier {
    /// Every carrier.
    pub const ALL: [Carrier; 3] = [Carrier::Query, Carrier::Cookie, Carrier::Header];

    /// The query parameter, cookie or header name.
    pub fn name(self) -> &'static str {
        match self {
            Carrier::Query | Carrier::Cookie => "access_token",
            Carrier::Header => "X-Access-Token",
        }
    }
}

/// `text` with its first letter in the other case (unchanged without one).
///
/// ```
/// use conformance_core::mutations::flip_first_letter;
/// assert_eq!(flip_first_letter("oauth2"), "Oauth2");
/// assert_eq!(flip_first_letter("apiKey"), "ApiKey");
/// assert_eq!(flip_first_letter("42"), "42");
/// ```
pub fn flip_first_letter(text: &str) -> String {
    let mut done = false;
    text.chars()
        .flat_map(|c| {
            if !done && c.is_alphabetic() {
                done = true;
                if c.is_lowercase() {
                    c.to_uppercase().collect::<Vec<_>>()
                } else {
                    c.to_lowercase().collect()
                }
            } else {
                vec![c]
            }
        })
        .collect()
}

/// `text` in Unicode normalization form D (decomposed): `ü` as `u` and a
/// combining diaeresis. Equal to `text` when it has nothing to decompose.
///
/// ```
/// use conformance_core::mutations::decomposed;
/// assert_eq!(decomposed("Zürich"), "Zu\u{308}rich");
/// assert_ne!(decomposed("Zürich"), "Zürich");
/// ```
pub fn decomposed(text: &str) -> String {
    text.nfd().collect()
}

/// `text` with a space on each side.
///
/// ```
/// assert_eq!(conformance_core::mutations::padded("eu"), " eu ");
/// ```
pub fn padded(text: &str) -> String {
    format!(" {text} ")
}

/// As many spaces as `text` has characters (at least one).
///
/// ```
/// assert_eq!(conformance_core::mutations::blank("Région"), "      ");
/// ```
pub fn blank(text: &str) -> String {
    " ".repeat(text.chars().count().max(1))
}
