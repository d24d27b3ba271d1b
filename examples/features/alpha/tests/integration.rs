#[test]
fn base_from_outside() {
    assert_eq!(alpha::base(41), 42);
}
