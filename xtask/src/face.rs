//! The second pass of `cargo xtask codegen`: the public face of the
//! generated client, derived from progenitor's output and the document.
//!
//! progenitor's client stays private (`generated::progenitor`). For each of
//! its operations this pass emits one method on `lupl_api::Client` and a
//! request builder (`lupl_api::operations`) whose setters are progenitor's
//! own and whose `send` returns `Result<T, lupl_api::Error>`: an operation
//! added to openapi.json becomes a method of the public client with no
//! hand-written code. For every discriminated union it emits an internally
//! tagged enum over the members' generated structs (`lupl_api::types`),
//! which typify does not make.

use crate::normalize::{Problem, Union};
use openapiv3::{OpenAPI, ReferenceOr, StatusCode};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use std::collections::BTreeMap;

/// The methods `lupl_api::Client` has by hand (`crates/lupl-api/src/client.rs`;
/// a test keeps the two equal): an operation may not take their names.
pub const CLIENT_METHODS: [&str; 4] = ["new", "base_url", "state", "api_version"];

/// Where the face's unions live, for typify's `with_replacement`.
pub fn union_path(union: &Union) -> String {
    format!("crate::generated::unions::{}", type_ident(&union.name))
}

/// The unions as internally tagged enums over the members' generated
/// structs (from which normalization removed the tag property), each with
/// `From` a member and `TryFrom` a member's builder.
pub fn unions(unions: &[Union]) -> TokenStream {
    let enums = unions.iter().map(|u| {
        let name = type_ident(&u.name);
        let tag = &u.property;
        let doc = u
            .description
            .clone()
            .unwrap_or_else(|| format!("`{}`, by `{tag}`.", u.name));
        let doc = format!(
            "{doc}\n\nThe `{tag}` member is the variant: it is read and written by serde, never set by hand."
        );
        let names = variant_names(u);
        let variants = u.variants.iter().zip(&names).map(|(v, variant)| {
            let (value, ty) = (&v.tag, type_ident(&v.schema));
            let doc = format!("`\"{tag}\": \"{value}\"`: a [`types::{ty}`].");
            quote! {
                #[doc = #doc]
                #[serde(rename = #value)]
                #variant(types::#ty),
            }
        });
        let conversions = u.variants.iter().zip(&names).map(|(v, variant)| {
            let ty = type_ident(&v.schema);
            let from = quote! {
                impl ::std::convert::From<types::#ty> for #name {
                    fn from(value: types::#ty) -> Self {
                        Self::#variant(value)
                    }
                }
            };
            // typify makes builders for members with properties only.
            if !v.has_properties {
                return from;
            }
            quote! {
                #from
                impl ::std::convert::TryFrom<types::builder::#ty> for #name {
                    type Error = types::error::ConversionError;
                    fn try_from(
                        value: types::builder::#ty,
                    ) -> ::std::result::Result<Self, types::error::ConversionError> {
                        types::#ty::try_from(value).map(Self::#variant)
                    }
                }
            }
        });
        quote! {
            #[doc = #doc]
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug, PartialEq)]
            #[serde(tag = #tag)]
            pub enum #name {
                #(#variants)*
            }
            #(#conversions)*
        }
    });
    quote! {
        #[allow(unused_imports)]
        use super::progenitor::types;
        #(#enums)*
    }
}

/// typify's builders treat the flattened map of unknown members (`extra`)
/// as a required property, so a builder that does not set it fails with
/// "no value supplied for extra". Its natural default is the empty map.
pub fn default_extra_maps(file: &mut syn::File) {
    fn walk(items: &mut [syn::Item]) {
        for item in items {
            match item {
                syn::Item::Mod(m) => {
                    if let Some((_, items)) = &mut m.content {
                        walk(items);
                    }
                }
                syn::Item::Impl(imp) => {
                    let is_default = imp
                        .trait_
                        .as_ref()
                        .and_then(|(_, path, _)| path.segments.last())
                        .is_some_and(|s| s.ident == "Default");
                    if !is_default {
                        continue;
                    }
                    for it in &mut imp.items {
                        let syn::ImplItem::Fn(f) = it else { continue };
                        for stmt in &mut f.block.stmts {
                            let syn::Stmt::Expr(syn::Expr::Struct(s), _) = stmt else {
                                continue;
                            };
                            for field in &mut s.fields {
                                let is_extra =
                                    matches!(&field.member, syn::Member::Named(n) if n == "extra");
                                let is_err = matches!(&field.expr, syn::Expr::Call(c)
                                    if matches!(&*c.func, syn::Expr::Path(p) if p.path.is_ident("Err")));
                                if is_extra && is_err {
                                    field.expr = syn::parse_quote!(Ok(Default::default()));
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    walk(&mut file.items);
}

/// typify's builder types (`types::builder::X`) come without a word: each
/// gets a page that says what it builds and shows it, and the `From` and
/// `TryFrom` between it and its type say which way they go.
pub fn document_builders(file: &mut syn::File) {
    fn walk(items: &mut [syn::Item], in_builder: bool) {
        for item in items {
            match item {
                syn::Item::Mod(m) => {
                    let is_builder = m.ident == "builder";
                    if let Some((_, items)) = &mut m.content {
                        walk(items, is_builder);
                    }
                }
                syn::Item::Struct(st) if in_builder && doc_text(&st.attrs).is_empty() => {
                    let name = st.ident.to_string();
                    let doc = format!(
                        "Builds a [`{name}`](super::{name}), one member per setter. A setter \
                         takes anything that converts into the member's type; a value the \
                         schema refuses is kept as an error, not panicked on. `try_into()` \
                         returns the built value or a \
                         [`ConversionError`](super::error::ConversionError) naming the \
                         member, and a request's setter (`.body(…)`) takes the builder \
                         itself.\n\nStart from [`{name}::builder()`](super::{name}::builder) \
                         or from a value, to change some members:\n\n\
                         ```\n\
                         use lupl_api::types::{{builder, error::ConversionError, {name}}};\n\
                         fn unchanged(value: {name}) -> Result<{name}, ConversionError> {{\n\
                         \x20   builder::{name}::from(value).try_into()\n\
                         }}\n\
                         ```"
                    );
                    st.attrs.insert(0, syn::parse_quote!(#[doc = #doc]));
                }
                syn::Item::Impl(imp) if in_builder => {
                    let Some((_, path, _)) = &imp.trait_ else {
                        continue;
                    };
                    let Some(last) = path.segments.last() else {
                        continue;
                    };
                    let doc = if last.ident == "TryFrom" {
                        "Checks every member and builds the value: the first refused member is the error."
                    } else if last.ident == "From" {
                        "Starts a builder from a value, every member set as it is."
                    } else {
                        continue;
                    };
                    imp.attrs.insert(0, syn::parse_quote!(#[doc = #doc]));
                }
                _ => {}
            }
        }
    }
    walk(&mut file.items, false);
}

/// A Rust type name as typify makes it from a schema name
/// (`typify_impl::util::sanitize` with `Case::Pascal`).
fn type_ident(name: &str) -> Ident {
    use heck::ToPascalCase;
    let cleaned: String = name
        .replace('\'', "")
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut out = cleaned.to_pascal_case();
    if !out.chars().next().is_some_and(char::is_alphabetic) {
        out.insert(0, 'X');
    }
    Ident::new(&out, Span::call_site())
}

/// Variant names: the member names without the suffix they share
/// (`OAuth2Authentication`, `ApiKeyAuthentication` → `OAuth2`, `ApiKey`),
/// else the tag values in upper camel case.
fn variant_names(u: &Union) -> Vec<Ident> {
    let names: Vec<Vec<char>> = u
        .variants
        .iter()
        .map(|v| type_ident(&v.schema).to_string().chars().collect())
        .collect();
    let first = names.first().cloned().unwrap_or_default();
    let mut suffix = first.len();
    for n in &names {
        let common = first
            .iter()
            .rev()
            .zip(n.iter().rev())
            .take_while(|(a, b)| a == b)
            .count();
        suffix = suffix.min(common);
    }
    let stems: Vec<String> = names
        .iter()
        .map(|n| n[..n.len() - suffix].iter().collect())
        .collect();
    let usable = |s: &String| s.chars().next().is_some_and(char::is_alphabetic);
    if names.len() > 1 && stems.iter().all(usable) {
        stems
            .iter()
            .map(|s| Ident::new(s, Span::call_site()))
            .collect()
    } else {
        u.variants.iter().map(|v| type_ident(&v.tag)).collect()
    }
}

/// One operation of progenitor's client: its method, its builder's name,
/// and the method's documentation.
struct Operation {
    method: Ident,
    builder: Ident,
    docs: String,
}

fn doc_text(attrs: &[syn::Attribute]) -> String {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn operations(file: &syn::File) -> Vec<Operation> {
    let mut out = Vec::new();
    for item in &file.items {
        let syn::Item::Impl(imp) = item else { continue };
        let is_client = imp.trait_.is_none()
            && matches!(&*imp.self_ty, syn::Type::Path(p) if p.path.is_ident("Client"));
        if !is_client {
            continue;
        }
        for it in &imp.items {
            let syn::ImplItem::Fn(f) = it else { continue };
            let syn::ReturnType::Type(_, ty) = &f.sig.output else {
                continue;
            };
            let syn::Type::Path(p) = &**ty else { continue };
            let segments: Vec<&syn::PathSegment> = p.path.segments.iter().collect();
            if let [module, builder] = segments.as_slice()
                && module.ident == "builder"
            {
                out.push(Operation {
                    method: f.sig.ident.clone(),
                    builder: builder.ident.clone(),
                    docs: doc_text(&f.attrs),
                });
            }
        }
    }
    out
}

/// Progenitor's builders, by name: their setters and `send`.
fn builders(file: &syn::File) -> BTreeMap<String, Vec<syn::ImplItemFn>> {
    let mut out = BTreeMap::new();
    for item in &file.items {
        let syn::Item::Mod(m) = item else { continue };
        if m.ident != "builder" {
            continue;
        }
        for it in m.content.iter().flat_map(|(_, items)| items) {
            let syn::Item::Impl(imp) = it else { continue };
            let syn::Type::Path(p) = &*imp.self_ty else {
                continue;
            };
            let Some(name) = p.path.segments.last().map(|s| s.ident.to_string()) else {
                continue;
            };
            let fns = imp
                .items
                .iter()
                .filter_map(|i| match i {
                    syn::ImplItem::Fn(f) => Some(f.clone()),
                    _ => None,
                })
                .collect();
            out.insert(name, fns);
        }
    }
    out
}

/// `T` of `Result<ResponseValue<T>, Error<E>>`.
fn success_type(sig: &syn::Signature) -> Option<syn::Type> {
    let syn::ReturnType::Type(_, ty) = &sig.output else {
        return None;
    };
    let first_generic = |ty: &syn::Type| -> Option<syn::Type> {
        let syn::Type::Path(p) = ty else { return None };
        let syn::PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
            return None;
        };
        args.args.iter().find_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        })
    };
    first_generic(&first_generic(ty)?)
}

/// The target type of a setter's `V: TryInto<T>` bound.
fn setter_target(f: &syn::ImplItemFn) -> Option<String> {
    let clause = f.sig.generics.where_clause.as_ref()?;
    clause.predicates.iter().find_map(|p| {
        let syn::WherePredicate::Type(t) = p else {
            return None;
        };
        t.bounds.iter().find_map(|b| {
            let syn::TypeParamBound::Trait(tb) = b else {
                return None;
            };
            let last = tb.path.segments.last()?;
            if last.ident != "TryInto" {
                return None;
            }
            let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                return None;
            };
            args.args.iter().find_map(|a| match a {
                syn::GenericArgument::Type(ty) => Some(quote!(#ty).to_string().replace(' ', "")),
                _ => None,
            })
        })
    })
}

/// What progenitor's method documentation says of a parameter
/// (`- `name`: description`).
fn parameter_doc(docs: &str, name: &str) -> Option<String> {
    docs.lines().find_map(|l| {
        l.trim()
            .strip_prefix(&format!("- `{name}`: "))
            .map(str::to_owned)
    })
}

/// The HTTP method and path progenitor's documentation names
/// ("Sends a `GET` request to `/api/…`").
fn method_and_path(docs: &str) -> Option<(String, String)> {
    let rest = docs.split("Sends a `").nth(1)?;
    let (method, rest) = rest.split_once("` request to `")?;
    let (path, _) = rest.split_once('`')?;
    Some((method.to_ascii_lowercase(), path.to_owned()))
}

/// The statuses the document lists for an operation, with their
/// descriptions, as a Markdown list.
fn documented_answers(spec: &OpenAPI, method: &str, path: &str) -> String {
    let Some(ReferenceOr::Item(item)) = spec.paths.paths.get(path) else {
        return String::new();
    };
    let Some((_, op)) = item.iter().find(|(m, _)| *m == method) else {
        return String::new();
    };
    let mut lines = Vec::new();
    for (status, response) in &op.responses.responses {
        let description = match response {
            ReferenceOr::Item(r) => r.description.trim().to_owned(),
            ReferenceOr::Reference { reference } => {
                let name = reference.rsplit('/').next().unwrap_or_default();
                match spec.components.as_ref().and_then(|c| c.responses.get(name)) {
                    Some(ReferenceOr::Item(r)) => r.description.trim().to_owned(),
                    _ => name.to_owned(),
                }
            }
        };
        let status = match status {
            StatusCode::Code(code) => code.to_string(),
            StatusCode::Range(r) => format!("{r}XX"),
        };
        lines.push(format!("- `{status}`: {description}"));
    }
    if op.responses.default.is_some() {
        lines.push("- any other status (`default`)".to_owned());
    }
    if lines.is_empty() {
        return String::new();
    }
    format!(
        "\n\nDocumented answers (a success is the returned value; any other status is a [`crate::Error`] whose [`status`](crate::Error::status) it is):\n{}",
        lines.join("\n")
    )
}

/// A type as a user names it: through `lupl_api`, without `::std` noise.
fn public_type(ty: &str) -> String {
    ty.replace("::std::option::Option", "Option")
        .replace("::std::vec::Vec", "Vec")
        .replace("::std::string::String", "String")
        .replace("::uuid::", "lupl_api::uuid::")
        .replace("types::", "lupl_api::types::")
}

/// A compiled example (`no_run`) of one call through this crate's face.
fn example(method: &Ident, setters: &[(String, String)], returns: &str) -> String {
    let params: String = setters
        .iter()
        .map(|(name, ty)| format!(", {name}: {}", public_type(ty)))
        .collect();
    let calls: String = setters
        .iter()
        .map(|(name, _)| format!("\n    .{name}({name})"))
        .collect();
    let (binding, used) = if returns == "()" {
        ("", "")
    } else {
        ("let value = ", "\n# let _ = value;")
    };
    format!(
        "```no_run\n# async fn example(client: &lupl_api::Client{params}) -> Result<(), lupl_api::Error> {{\n{binding}client\n    .{method}(){calls}\n    .send()\n    .await?;{used}\n# Ok(()) }}\n```"
    )
}

/// The operation's documentation without progenitor's uncompiled example,
/// with its documented answers and an example.
fn method_doc(op: &Operation, answers: &str, example: &str, returns: &str) -> String {
    let text = match op.docs.find("```ignore") {
        Some(i) => op.docs[..i].trim_end(),
        None => op.docs.trim_end(),
    };
    format!(
        "{text}{answers}\n\nReturns `{}`.\n\n{example}",
        public_type(returns)
    )
}

/// The doc of the face's `Client` (its constructors and accessors are
/// hand-written, in `lupl-api`'s `client` module).
const CLIENT_DOC: &str = r#"A client of the Lupl Open API.

It has one method per operation of `openapi.json` (`get_provider_config`,
`set_provider_config`, …), each returning a request of
[`operations`](crate::operations): set its parameters, then `send` it for
a `Result<_, `[`Error`](crate::Error)`>`. These methods are generated by
`cargo xtask codegen`; an operation added to the spec appears here.

Build one with [`Environment::client`](crate::Environment::client) (no
token) or `lupl_auth::ClientBuilder` (tokens, rate limit, retries).
Clones share the HTTP connection pool and the middleware.

```no_run
# async fn run() -> Result<(), lupl_api::Error> {
use lupl_api::{Environment, uuid::Uuid};
let client = Environment::custom("http://127.0.0.1:8080")?.client()?;
let pms_id = Uuid::parse_str("4efafdc0-2783-4af6-9cac-d2b2be27a080").expect("a uuid");
if let Some(config) = client.get_provider_config().pms_id(pms_id).send().await? {
    println!("{}", *config.name);
}
# Ok(()) }
```"#;

/// The operations' face: `Client`, a method per operation on it, and a
/// request builder per operation whose `send` returns `crate::Error`. An
/// operation whose method would take the name of a hand-written one is a
/// [`Problem`].
pub fn operations_face(file: &syn::File, spec: &OpenAPI) -> Result<TokenStream, Vec<Problem>> {
    let builders = builders(file);
    let mut methods = Vec::new();
    let mut structs = Vec::new();
    let mut problems = Vec::new();
    for op in operations(file) {
        if CLIENT_METHODS.contains(&op.method.to_string().as_str()) {
            let pointer = method_and_path(&op.docs)
                .map(|(m, p)| format!("/paths/{}/{m}/operationId", lupl_spec::pointer::escape(&p)))
                .unwrap_or_default();
            problems.push(Problem::new(
                pointer,
                format!(
                    "the operation's method `{}` would clash with lupl_api::Client::{}; choose another operationId",
                    op.method, op.method
                ),
            ));
            continue;
        }
        let Some(fns) = builders.get(&op.builder.to_string()) else {
            continue;
        };
        let builder = &op.builder;
        let mut setters = Vec::new();
        let mut plain = Vec::new();
        let mut returns = quote!(());
        for f in fns {
            let name = &f.sig.ident;
            if name == "new" {
                continue;
            }
            if name == "send" {
                if let Some(t) = success_type(&f.sig) {
                    returns = quote!(#t);
                }
                continue;
            }
            let generics = &f.sig.generics;
            let where_clause = &f.sig.generics.where_clause;
            let args: Vec<&syn::PatType> = f
                .sig
                .inputs
                .iter()
                .filter_map(|a| match a {
                    syn::FnArg::Typed(t) => Some(t),
                    syn::FnArg::Receiver(_) => None,
                })
                .collect();
            let arg_names: Vec<&syn::Pat> = args.iter().map(|a| &*a.pat).collect();
            let shown = name.to_string();
            let doc = match (shown.strip_suffix("_map"), parameter_doc(&op.docs, &shown)) {
                (Some(base), _) => format!(
                    "Changes `{base}` with a function of its builder, for the members not set yet."
                ),
                (None, Some(d)) => format!("Sets `{shown}`: {d}"),
                (None, None) if shown == "body" => "Sets the request body, as a value or its builder; the spec's constraints are checked when the request is sent, and a broken one is an [`Error::InvalidRequest`](crate::Error::InvalidRequest) naming the member.".to_owned(),
                (None, None) => format!("Sets `{shown}`."),
            };
            if !shown.ends_with("_map")
                && let Some(target) = setter_target(f)
            {
                plain.push((shown.clone(), target));
            }
            setters.push(quote! {
                #[doc = #doc]
                pub fn #name #generics (self, #(#args),*) -> Self #where_clause {
                    Self(self.0.#name(#(#arg_names),*))
                }
            });
        }
        let method = &op.method;
        let answers = method_and_path(&op.docs)
            .map(|(m, p)| documented_answers(spec, &m, &p))
            .unwrap_or_default();
        let returns_text = returns.to_string().replace(' ', "");
        let example = example(method, &plain, &returns_text);
        let doc = method_doc(&op, &answers, &example, &returns_text);
        let builder_doc = format!(
            "The request of [`Client::{method}`](crate::Client::{method}): set its parameters, then [`send`]({builder}::send) it.\n\n{example}"
        );
        methods.push(quote! {
            #[doc = #doc]
            pub fn #method(&self) -> #builder<'_> {
                #builder(self.inner.#method())
            }
        });
        structs.push(quote! {
            #[doc = #builder_doc]
            #[derive(Debug, Clone)]
            #[must_use = "a request does nothing until it is sent"]
            pub struct #builder<'a>(super::progenitor::builder::#builder<'a>);
            impl<'a> #builder<'a> {
                #(#setters)*
                /// Sends the request: the value on success, else the
                /// [`crate::Error`] that says what went wrong.
                pub async fn send(self) -> ::std::result::Result<#returns, crate::error::Error> {
                    crate::error::Error::from_call(self.0.send()).await
                }
            }
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let client_doc = CLIENT_DOC;
    Ok(quote! {
        #[allow(unused_imports)]
        use super::progenitor::{types, ByteStream};
        #[doc = #client_doc]
        #[derive(Clone, Debug)]
        pub struct Client {
            pub(crate) inner: super::progenitor::Client,
        }
        impl Client {
            #(#methods)*
        }
        #(#structs)*
    })
}
