#[test]
fn sign_of_many() {
    for x in [-2, 0, 2] {
        assert_eq!(shards::sign(x).abs(), i64::from(x != 0));
    }
}

#[test]
fn squares_of_none() {
    assert_eq!(shards::sum_squares(&[]), 0);
}
