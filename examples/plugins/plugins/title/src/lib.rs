//! A plugin that title-cases its input.

wit_bindgen::generate!({ path: "../../wit", world: "plugin" });

use exports::example::text::transform::{Error, Guest};

/// Every word's first letter upper case, the rest lower case, one space
/// between words.
pub fn title_case(input: &str) -> Result<String, Error> {
    let mut out = String::new();
    for word in input.split_whitespace() {
        if !out.is_empty() {
            out.push(' '); // cov: title-gap
        }
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase()); // cov: title-first
            out.extend(chars.flat_map(char::to_lowercase));
        }
    }
    if out.is_empty() {
        return Err(Error::EmptyInput); // cov: title-empty
    }
    Ok(out)
}

struct Title;

impl Guest for Title {
    fn name() -> String {
        "title".to_owned() // cov: title-name
    }

    fn transform(input: String) -> Result<String, Error> {
        title_case(&input) // cov: title-transform
    }
}

export!(Title);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_cases_a_word() {
        assert_eq!(title_case("rust").unwrap(), "Rust"); // cov: title-unit-test
    }
}
