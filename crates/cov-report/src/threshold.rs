//! `--fail-under-*`: coverage bars a run must meet, checked exactly.
//!
//! A bar is kept as the decimal the user wrote (`80`, `92.5`) and compared
//! with integer arithmetic, so `2/3` against `66.67` never depends on how a
//! float rounds.

use std::fmt;
use std::str::FromStr;

use wasm_cov_format::Totals;

use crate::ratio::Ratio;

/// A percentage from 0 to 100 as `num / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Percent {
    num: u64,
    scale: u32,
}

impl FromStr for Percent {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a percentage from 0 to 100 (like 80 or 92.5)");
        let t = s.trim().trim_end_matches('%');
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        if (int.is_empty() && frac.is_empty())
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 6
            || int.len() > 3
        {
            return Err(bad());
        }
        let scale = frac.len() as u32;
        let digits = format!("{int}{frac}");
        let num: u64 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| bad())?
        };
        let p = Percent { num, scale };
        if p.num > 100 * 10u64.pow(scale) {
            return Err(bad());
        }
        Ok(p)
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = 10u64.pow(self.scale);
        let (int, frac) = (self.num / d, self.num % d);
        if frac == 0 {
            write!(f, "{int}")
        } else {
            let frac = format!("{frac:0w$}", w = self.scale as usize);
            write!(f, "{int}.{}", frac.trim_end_matches('0'))
        }
    }
}

impl Percent {
    /// True when `hit / found` is at least this percentage.
    fn met_by(self, hit: u64, found: u64) -> bool {
        let lhs = u128::from(hit) * 100 * u128::from(10u64.pow(self.scale));
        lhs >= u128::from(self.num) * u128::from(found)
    }

    /// The fewest hits out of `found` that meet this percentage.
    fn hits_needed(self, found: u64) -> u64 {
        let den = 100 * u128::from(10u64.pow(self.scale));
        let need = (u128::from(self.num) * u128::from(found)).div_ceil(den);
        u64::try_from(need).unwrap_or(u64::MAX)
    }
}

/// What a bar is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Lines,
    Functions,
    Branches,
    /// Lines of code a change added or modified (`--diff`).
    Patch,
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Metric::Lines => "lines",
            Metric::Functions => "functions",
            Metric::Branches => "branches",
            Metric::Patch => "patch",
        }
    }

    fn flag(self) -> &'static str {
        match self {
            Metric::Lines => "--fail-under-lines",
            Metric::Functions => "--fail-under-functions",
            Metric::Branches => "--fail-under-branches",
            Metric::Patch => "--fail-under-patch",
        }
    }

    fn of(self, t: &Totals) -> Ratio {
        match self {
            Metric::Lines => Ratio::lines(t),
            Metric::Functions => Ratio::functions(t),
            Metric::Branches => Ratio::branches(t),
            // Not in the totals: see `check_patch`.
            Metric::Patch => Ratio::new(0, 0),
        }
    }
}

/// One bar and how the report fared against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub metric: Metric,
    pub bar: Percent,
    pub hit: u64,
    pub found: u64,
}

impl Outcome {
    /// A metric with nothing to measure does not meet a bar: the report
    /// cannot show that it is met, and an empty report is usually a broken
    /// CI setup that should not pass silently.
    ///
    /// Patch coverage is the exception: a change that touches no line of
    /// code (docs, tests outside the report, comments) has nothing to
    /// cover, and failing it would fail every such change.
    pub fn met(&self) -> bool {
        if self.found == 0 {
            return self.metric == Metric::Patch;
        }
        self.bar.met_by(self.hit, self.found)
    }
}

/// Checks `--fail-under-patch` against the patch coverage.
pub fn check_patch(patch: Ratio, bar: Percent) -> Outcome {
    Outcome {
        metric: Metric::Patch,
        bar,
        hit: patch.hit,
        found: patch.found,
    }
}

/// Checks each `(metric, bar)` against `totals`, in the order given.
pub fn check(totals: &Totals, bars: &[(Metric, Percent)]) -> Vec<Outcome> {
    bars.iter()
        .map(|&(metric, bar)| {
            let Ratio { hit, found } = metric.of(totals);
            Outcome {
                metric,
                bar,
                hit,
                found,
            }
        })
        .collect()
}

impl fmt::Display for Outcome {
    /// One line saying whether the bar is met and, if not, by how much.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.metric.name();
        let flag = self.metric.flag();
        if self.found == 0 && self.metric == Metric::Patch {
            return write!(
                f,
                "patch: the change touches no line of code, so {flag} {} is met",
                self.bar
            );
        }
        if self.found == 0 {
            return write!(
                f,
                "{name}: no {name} in the report to measure, so {flag} {} is not met",
                self.bar
            );
        }
        let pct = Ratio::new(self.hit, self.found)
            .floor_2dp()
            .map_or_else(|| "-".to_owned(), |p| format!("{p}%"));
        if self.met() {
            return write!(
                f,
                "{name}: {pct} ({}/{}) meets {flag} {}",
                self.hit, self.found, self.bar
            );
        }
        // The shortfall in hundredths of a point, rounded up so it is never
        // shown as 0.
        let scale = 10u128.pow(self.bar.scale);
        let bar_h = u128::from(self.bar.num) * 100 * u128::from(self.found);
        let have_h = u128::from(self.hit) * 10_000 * scale;
        let den = u128::from(self.found) * scale;
        let short = (bar_h.saturating_sub(have_h)).div_ceil(den);
        let more = self.bar.hits_needed(self.found).saturating_sub(self.hit);
        let unit = match (self.metric, more) {
            (Metric::Lines, 1) => "line",
            (Metric::Lines, _) => "lines",
            (Metric::Patch, 1) => "changed line",
            (Metric::Patch, _) => "changed lines",
            (Metric::Functions, 1) => "function",
            (Metric::Functions, _) => "functions",
            (Metric::Branches, 1) => "branch",
            (Metric::Branches, _) => "branches",
        };
        write!(
            f,
            "{name}: {pct} ({}/{}) is below {flag} {} by {}.{:02} points; \
             {more} more {unit} must be covered",
            self.hit,
            self.found,
            self.bar,
            short / 100,
            short % 100
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    fn p(s: &str) -> Percent {
        s.parse().unwrap()
    }

    #[test]
    fn parses_percentages() {
        assert_eq!(p("80").to_string(), "80");
        assert_eq!(p("92.50").to_string(), "92.5");
        assert_eq!(p("0.001").to_string(), "0.001");
        assert_eq!(p("100%").to_string(), "100");
        assert_eq!(p(".5").to_string(), "0.5");
        for bad in [
            "",
            ".",
            "-1",
            "100.01",
            "101",
            "1e2",
            "abc",
            "80,5",
            "1.1234567",
        ] {
            assert!(bad.parse::<Percent>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn compares_exactly() {
        assert!(p("66.66").met_by(2, 3));
        assert!(!p("66.67").met_by(2, 3));
        assert!(p("100").met_by(5, 5));
        assert!(!p("100").met_by(4, 5));
        assert!(p("0").met_by(0, 5));
        assert_eq!(p("80").hits_needed(28), 23);
        assert_eq!(p("75").hits_needed(4), 3);
    }

    fn totals(lh: u64, lf: u64) -> Totals {
        Totals {
            lines_hit: lh,
            lines_found: lf,
            functions_hit: 7,
            functions_found: 10,
            ..Totals::default()
        }
    }

    #[test]
    fn says_which_bar_and_by_how_much() {
        let out = check(
            &totals(20, 28),
            &[
                (Metric::Lines, p("80")),
                (Metric::Functions, p("70")),
                (Metric::Branches, p("50")),
            ],
        );
        assert!(!out[0].met());
        assert_eq!(
            out[0].to_string(),
            "lines: 71.42% (20/28) is below --fail-under-lines 80 by 8.58 points; \
             3 more lines must be covered"
        );
        assert!(out[1].met());
        assert_eq!(
            out[1].to_string(),
            "functions: 70.00% (7/10) meets --fail-under-functions 70"
        );
        assert!(!out[2].met());
        assert_eq!(
            out[2].to_string(),
            "branches: no branches in the report to measure, so --fail-under-branches 50 is not met"
        );
        let patch = check_patch(Ratio::new(3, 5), p("80"));
        assert!(!patch.met());
        assert_eq!(
            patch.to_string(),
            "patch: 60.00% (3/5) is below --fail-under-patch 80 by 20.00 points; \
             1 more changed line must be covered"
        );
        let none = check_patch(Ratio::new(0, 0), p("80"));
        assert!(none.met());
        assert_eq!(
            none.to_string(),
            "patch: the change touches no line of code, so --fail-under-patch 80 is met"
        );
        let out = check(&totals(2, 3), &[(Metric::Lines, p("66.67"))]);
        assert_eq!(
            out[0].to_string(),
            "lines: 66.66% (2/3) is below --fail-under-lines 66.67 by 0.01 points; \
             1 more line must be covered"
        );
    }
}
