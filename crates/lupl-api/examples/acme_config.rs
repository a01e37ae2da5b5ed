//! ACME's provider configuration (the vendor document's example), built
//! with the typed builders instead of `json!`: each value is checked
//! against the spec as it is set, and a broken one is an error that names
//! its member.
//!
//! ```text
//! cargo run -p lupl-api --example acme_config
//! ```

use lupl_api::types::{
    OAuth2Authentication, ProviderConfiguration, ProviderEndpoints, ProviderField,
    ProviderFieldType,
};

/// The configuration, as the vendor document shows it.
pub fn acme() -> Result<ProviderConfiguration, lupl_api::Error> {
    let region = ProviderField::builder()
        .key("region")
        .label("Region")
        .type_(ProviderFieldType::Select)
        .required(true)
        .options(vec!["us".to_owned(), "eu".to_owned(), "apac".to_owned()]);
    let firm_code = ProviderField::builder()
        .key("firmCode")
        .label("Firm code")
        .type_(ProviderFieldType::String)
        .required(false)
        .pattern("^[A-Z]{3}[0-9]{3}$".to_owned());
    let authentication = OAuth2Authentication::builder()
        .authorization_url("https://{region}.auth.acme.example/authorize")
        .token_url("https://{region}.auth.acme.example/token")
        .scopes(vec!["hours.read".parse()?, "billing.read".parse()?]);
    let endpoints = ProviderEndpoints::builder()
        .hours(Some("/v2/hours".parse()?))
        .billing(Some("/v2/billing".parse()?));
    let config = ProviderConfiguration::builder()
        .name("ACME Inc.")
        .description(Some("Hours and billing from ACME PM".parse()?))
        .base_url("https://{region}.api.acme.example")
        .authentication(authentication)
        .endpoints(endpoints)
        .fields(vec![region.try_into()?, firm_code.try_into()?]);
    Ok(config.try_into()?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("{}", serde_json::to_string_pretty(&acme()?)?);
    // A value the spec refuses is caught when the configuration is built.
    let broken: Result<ProviderField, _> = ProviderField::builder()
        .key("9lives")
        .label("Lives")
        .type_(ProviderFieldType::Number)
        .try_into();
    if let Err(e) = broken {
        eprintln!("refused as expected: {e}");
    }
    Ok(())
}
