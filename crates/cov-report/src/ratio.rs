//! `hit` of `found`, and every way an output shows it as a number.
//!
//! One place for the arithmetic, so the outputs cannot drift apart: all of
//! it is in integers, so the rounding never depends on floating point; and,
//! as coverage.py does, a rounded value of a partial result never reads as
//! complete and a non-zero one never reads as nothing, because those two
//! would be lies. Floored values (for bars and thresholds) never round up
//! to a bar that was not reached.

use std::fmt;

use wasm_cov_format::Totals;

/// `hit` covered of `found` measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    pub hit: u64,
    pub found: u64,
}

impl Ratio {
    pub const fn new(hit: u64, found: u64) -> Ratio {
        Ratio { hit, found }
    }

    pub const fn lines(t: &Totals) -> Ratio {
        Ratio::new(t.lines_hit, t.lines_found)
    }

    pub const fn functions(t: &Totals) -> Ratio {
        Ratio::new(t.functions_hit, t.functions_found)
    }

    pub const fn branches(t: &Totals) -> Ratio {
        Ratio::new(t.branches_hit, t.branches_found)
    }

    /// `hit/found` in units of `1/scale`, rounded half up but kept off
    /// `scale` when partial and off 0 when non-zero; `None` when there is
    /// nothing to measure.
    fn honest(self, scale: u128) -> Option<u128> {
        if self.found == 0 {
            return None;
        }
        let (hit, found) = (u128::from(self.hit.min(self.found)), u128::from(self.found));
        let mut r = (hit * 2 * scale + found) / (2 * found);
        if hit < found {
            r = r.min(scale - 1);
        }
        if hit > 0 {
            r = r.max(1);
        }
        Some(r)
    }

    /// `hit/found` in units of `1/scale`, rounded down.
    fn floor(self, scale: u128) -> Option<u128> {
        (self.found != 0)
            .then(|| u128::from(self.hit.min(self.found)) * scale / u128::from(self.found))
    }

    /// Percent with one decimal, `85.7%`; `-` when there is nothing to
    /// measure. The table, the Markdown summary and the HTML pages.
    pub fn percent_1dp(self) -> String {
        match self.honest(1000) {
            None => "-".to_owned(),
            Some(t) => format!("{}.{}%", t / 10, t % 10),
        }
    }

    /// Percent with at most two decimals as a JSON number (`71.43`, `12.5`,
    /// `50`); `null` when there is nothing to measure. The JSON summary.
    pub fn percent_json(self) -> String {
        match self.honest(10_000) {
            None => "null".to_owned(),
            Some(h) => match h % 100 {
                0 => format!("{}", h / 100),
                f if f % 10 == 0 => format!("{}.{}", h / 100, f / 10),
                f => format!("{}.{f:02}", h / 100),
            },
        }
    }

    /// A fraction of 1 with at most four decimals (`0.3333`, `0.5`, `0`),
    /// `1` when there is nothing to measure, as coverage.py writes
    /// Cobertura rates.
    pub fn fraction(self) -> String {
        match self.honest(10_000) {
            None | Some(10_000) => "1".to_owned(),
            Some(0) => "0".to_owned(),
            Some(r) => format!("0.{}", format!("{r:04}").trim_end_matches('0')),
        }
    }

    /// Percent with two decimals rounded down, without a `%` (`71.42`);
    /// `None` when there is nothing to measure. Bar widths, sort keys and
    /// `--fail-under` messages.
    pub fn floor_2dp(self) -> Option<String> {
        self.floor(10_000)
            .map(|h| format!("{}.{:02}", h / 100, h % 100))
    }

    /// Whole percent rounded down; 0 when there is nothing to measure.
    /// Cobertura's `condition-coverage`.
    pub fn floor_percent(self) -> u128 {
        self.floor(100).unwrap_or(0)
    }

    /// True when `hit/found` is at least `pct` percent.
    pub fn at_least(self, pct: u64) -> bool {
        u128::from(self.hit) * 100 >= u128::from(self.found) * u128::from(pct)
    }
}

/// `hit/found`, as every output shows the counts.
impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.hit, self.found)
    }
}

/// `hit` of `found` as a percentage with one decimal, `-` when `found` is
/// 0: [`Ratio::percent_1dp`].
pub fn percent(hit: u64, found: u64) -> String {
    Ratio::new(hit, found).percent_1dp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_presentation_rounds_honestly() {
        // (hit, found): 1 decimal, JSON, fraction, floor 2 decimals, floor whole
        let cases = [
            (0, 0, "-", "null", "1", None, 0),
            (6, 7, "85.7%", "85.71", "0.8571", Some("85.71"), 85),
            (1, 8, "12.5%", "12.5", "0.125", Some("12.50"), 12),
            (1, 3, "33.3%", "33.33", "0.3333", Some("33.33"), 33),
            (2, 3, "66.7%", "66.67", "0.6667", Some("66.66"), 66),
            (20, 28, "71.4%", "71.43", "0.7143", Some("71.42"), 71),
            (1, 2, "50.0%", "50", "0.5", Some("50.00"), 50),
            (0, 5, "0.0%", "0", "0", Some("0.00"), 0),
            (5, 5, "100.0%", "100", "1", Some("100.00"), 100),
            (9999, 10000, "99.9%", "99.99", "0.9999", Some("99.99"), 99),
            (1, 10000, "0.1%", "0.01", "0.0001", Some("0.01"), 0),
            (1, 100_000, "0.1%", "0.01", "0.0001", Some("0.00"), 0),
            (
                99_999,
                100_000,
                "99.9%",
                "99.99",
                "0.9999",
                Some("99.99"),
                99,
            ),
            (
                u64::MAX - 1,
                u64::MAX,
                "99.9%",
                "99.99",
                "0.9999",
                Some("99.99"),
                99,
            ),
        ];
        for (hit, found, one, json, fraction, floor, whole) in cases {
            let r = Ratio::new(hit, found);
            let got = (
                r.percent_1dp(),
                r.percent_json(),
                r.fraction(),
                r.floor_2dp(),
                r.floor_percent(),
            );
            let want = (
                one.to_owned(),
                json.to_owned(),
                fraction.to_owned(),
                floor.map(str::to_owned),
                whole,
            );
            assert_eq!(got, want, "{r}");
        }
    }

    #[test]
    fn at_least_is_exact() {
        assert!(Ratio::new(9, 10).at_least(90));
        assert!(!Ratio::new(89, 100).at_least(90));
        assert!(Ratio::new(0, 0).at_least(90));
    }
}
