//! An integration test: the only caller of `triangle_area`.

#[test]
fn triangle() {
    assert_eq!(shapes::triangle_area(4, 3), 6);
}
