//! A plugin that counts the words of its input.

wit_bindgen::generate!({ path: "../../wit", world: "plugin" });

use exports::example::text::transform::{Error, Guest};

/// The longest input accepted, in bytes.
pub const MAX_INPUT: usize = 1024;

/// "N words, M letters".
pub fn describe(input: &str) -> Result<String, Error> {
    if input.len() > MAX_INPUT {
        let len = u32::try_from(input.len()).unwrap_or(u32::MAX);
        return Err(Error::TooLong(len)); // cov: stats-too-long
    }
    let words = input.split_whitespace().count();
    if words == 0 {
        return Err(Error::EmptyInput); // cov: stats-empty
    }
    let letters = input.chars().filter(|c| c.is_alphabetic()).count();
    Ok(format!("{words} words, {letters} letters")) // cov: stats-describe
}

/// What no host test asks for.
pub fn longest_word(input: &str) -> Option<&str> {
    input.split_whitespace().max_by_key(|w| w.len()) // cov: stats-longest
}

struct Stats;

impl Guest for Stats {
    fn name() -> String {
        // No host test calls this.
        let longest = longest_word("stats plugin").unwrap_or("stats");
        longest.to_owned() // cov: stats-name
    }

    fn transform(input: String) -> Result<String, Error> {
        describe(&input)
    }
}

export!(Stats);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_words_and_letters() {
        assert_eq!(describe("a bc").unwrap(), "2 words, 3 letters");
    }
}
