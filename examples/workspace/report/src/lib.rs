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
}
