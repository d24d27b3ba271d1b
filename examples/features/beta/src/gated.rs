pub fn gated(x: u32) -> u32 {
    x + 5 // cov: beta gated
}
