#[test]
fn max_first() {
    assert_eq!(shards::max(3, 1), 3);
}

#[test]
fn max_second() {
    assert_eq!(shards::max(1, 3), 3);
}

#[test]
fn double_negative() {
    assert_eq!(shards::double(-2), -4);
}
