//! Describes shapes with `shapes`: the member that depends on the other.

/// "w x h = area".
pub fn describe(w: u32, h: u32) -> String {
    let area = shapes::rect_area(w, h); // cov: describe
    format!("{w} x {h} = {area}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn describes() {
        assert_eq!(super::describe(2, 5), "2 x 5 = 10");
    }

    /// As under `cargo test`, a test runs in its package's folder.
    #[test]
    fn runs_in_its_package_folder() {
        let manifest = std::fs::read_to_string("Cargo.toml").unwrap();
        assert!(manifest.contains("name = \"report\""), "{manifest}");
    }
}
