//! The files in `examples/` that the README's commands use stay what they
//! claim to be: the vendor's ACME configuration as openapi.json has it, and
//! organization fields that fit it.

use serde_json::Value;

fn example(name: &str) -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/").to_owned() + name;
    let text = std::fs::read_to_string(&path).expect("the example exists");
    serde_json::from_str(&text).expect("the example is JSON")
}

#[test]
fn acme_json_is_the_specs_provider_example() {
    let spec = lupl_spec::Spec::workspace();
    assert_eq!(
        Some(&example("acme.json")),
        spec.schema_example("ProviderConfiguration")
    );
}

#[test]
fn fields_json_fits_acme() {
    let acme = example("acme.json");
    assert!(lupl_model::rules::provider_configuration(&acme).is_empty());
    let Value::Object(fields) = example("fields.json") else {
        panic!("fields.json is an object");
    };
    let errors = lupl_model::rules::organization_fields(&acme, &fields);
    assert!(errors.is_empty(), "{errors:?}");
}
