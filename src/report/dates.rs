//! Publication dates in reports: parsing and validating the dates articles give, with the
//! `time` crate, and the weekly or monthly periods of the report's timeline.
//!
//! A date is `YYYY-MM-DD` (optionally followed by a time, `T...` or ` ...`), `YYYY-MM` (known to
//! the month) or `YYYY` (known to the year). Anything else, and any impossible calendar date
//! (`2024-02-31`, `2024-13`), is an error the report turns into a warning naming the article;
//! the article then counts as undated.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use time::{Date, Duration, Month};

/// How precisely an article's date is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Precision {
    /// The day.
    Day,
    /// The month only (`YYYY-MM`).
    Month,
    /// The year only (`YYYY`).
    Year,
}

/// A validated publication date: its first possible day and how precisely it is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportDate {
    /// The day, or the first day of the month or year.
    pub day: Date,
    /// How precisely the date is known.
    pub precision: Precision,
}

fn digits(s: &str) -> Option<i32> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn month(m: i32, text: &str) -> Result<Month, String> {
    u8::try_from(m)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(|| format!("`{text}` has no month {m} (months run from 01 to 12)"))
}

/// Parses and validates a date as articles give it (`YYYY-MM-DD`, with an optional time after
/// `T` or a space; `YYYY-MM`; `YYYY`). The error says what is wrong, quoting the text.
pub fn parse_date(text: &str) -> Result<ReportDate, String> {
    let t = text.trim();
    let bad_form = || format!("`{t}` is not a date of the form YYYY-MM-DD (or YYYY-MM, YYYY)");
    let (head, rest) = match t.char_indices().nth(10) {
        Some((at, _)) => t.split_at(at),
        None => (t, ""),
    };
    if !rest.is_empty() {
        let mut r = rest.chars();
        let sep = r.next();
        if !matches!(sep, Some('T' | 't' | ' ')) || !r.next().is_some_and(|c| c.is_ascii_digit()) {
            return Err(bad_form());
        }
    }
    let parts: Vec<&str> = head.split('-').collect();
    let ok_len = |i: usize, n: usize| parts.get(i).is_some_and(|p| p.len() == n);
    if !ok_len(0, 4) || (parts.len() > 1 && !ok_len(1, 2)) || (parts.len() > 2 && !ok_len(2, 2)) {
        return Err(bad_form());
    }
    if parts.len() < 3 && !rest.is_empty() {
        return Err(bad_form());
    }
    let nums: Option<Vec<i32>> = parts.iter().map(|p| digits(p)).collect();
    let nums = nums.ok_or_else(bad_form)?;
    let (year, precision) = (nums[0], nums.len());
    let (m, d, precision) = match precision {
        1 => (1, 1, Precision::Year),
        2 => (nums[1], 1, Precision::Month),
        3 => (nums[1], nums[2], Precision::Day),
        _ => return Err(bad_form()),
    };
    let mon = month(m, t)?;
    let day = u8::try_from(d)
        .ok()
        .and_then(|d| Date::from_calendar_date(year, mon, d).ok())
        .ok_or_else(|| {
            format!(
                "`{t}` is not a calendar date ({} {year} has {} days)",
                mon,
                mon.length(year)
            )
        })?;
    Ok(ReportDate { day, precision })
}

/// The length of the timeline's periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// ISO weeks, Monday to Sunday, labelled `2024-W04`.
    Week,
    /// Calendar months, labelled `2024-01`.
    Month,
}

impl FromStr for Period {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "week" | "weekly" => Ok(Period::Week),
            "month" | "monthly" => Ok(Period::Month),
            other => Err(format!("unknown period `{other}` (expected week or month)")),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Period::Week => "week",
            Period::Month => "month",
        })
    }
}

/// Longest span of day-dated articles (first to last) that still gets weekly periods when the
/// period is chosen automatically: about six months, 26 weekly points.
pub const WEEKLY_SPAN_DAYS: i64 = 182;

impl Period {
    /// Whether a date of this precision can be placed in one period of this length.
    pub fn places(self, precision: Precision) -> bool {
        match self {
            Period::Week => precision == Precision::Day,
            Period::Month => precision != Precision::Year,
        }
    }

    /// The period chosen for a set of dates: weekly when every date placeable by the month is
    /// known to the day and they span at most [`WEEKLY_SPAN_DAYS`]; otherwise monthly.
    pub fn automatic(dates: impl IntoIterator<Item = ReportDate>) -> Period {
        let (mut lo, mut hi): (Option<Date>, Option<Date>) = (None, None);
        for d in dates {
            match d.precision {
                Precision::Year => continue,
                Precision::Month => return Period::Month,
                Precision::Day => {
                    lo = Some(lo.map_or(d.day, |x| x.min(d.day)));
                    hi = Some(hi.map_or(d.day, |x| x.max(d.day)));
                }
            }
        }
        match (lo, hi) {
            (Some(lo), Some(hi)) if (hi - lo).whole_days() <= WEEKLY_SPAN_DAYS => Period::Week,
            _ => Period::Month,
        }
    }

    /// First day of the period that holds `day`.
    pub fn start(self, day: Date) -> Date {
        match self {
            Period::Week => {
                day - Duration::days(i64::from(day.weekday().number_days_from_monday()))
            }
            Period::Month => day.replace_day(1).unwrap_or(day),
        }
    }

    /// First day of the period after the one starting on `start`.
    pub fn next(self, start: Date) -> Date {
        match self {
            Period::Week => start + Duration::days(7),
            Period::Month => {
                let (y, m) = if start.month() == Month::December {
                    (start.year() + 1, Month::January)
                } else {
                    (start.year(), start.month().next())
                };
                Date::from_calendar_date(y, m, 1).unwrap_or(start)
            }
        }
    }

    /// The period's label: `2024-W04` (ISO week-numbering year and week) or `2024-01`.
    pub fn label(self, start: Date) -> String {
        match self {
            Period::Week => {
                let (y, w, _) = start.to_iso_week_date();
                format!("{y}-W{w:02}")
            }
            Period::Month => format!("{}-{:02}", start.year(), u8::from(start.month())),
        }
    }
}

/// A day as `YYYY-MM-DD`.
pub fn iso(day: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

/// A date of the given precision as text (`2024-01-25`, `2024-01`, `2024`).
pub fn show(d: ReportDate) -> String {
    match d.precision {
        Precision::Day => iso(d.day),
        Precision::Month => format!("{:04}-{:02}", d.day.year(), u8::from(d.day.month())),
        Precision::Year => format!("{:04}", d.day.year()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Weekday;

    fn day(y: i32, m: u8, d: u8) -> Date {
        Date::from_calendar_date(y, Month::try_from(m).unwrap(), d).unwrap()
    }

    #[test]
    fn valid_dates_parse_with_their_precision() {
        let d = parse_date("2024-01-25").unwrap();
        assert_eq!((d.day, d.precision), (day(2024, 1, 25), Precision::Day));
        assert_eq!(
            parse_date(" 2024-01-25T10:00:00Z ").unwrap().day,
            day(2024, 1, 25)
        );
        assert_eq!(
            parse_date("2024-01-25 10:00").unwrap().day,
            day(2024, 1, 25)
        );
        let m = parse_date("2024-02").unwrap();
        assert_eq!((m.day, m.precision), (day(2024, 2, 1), Precision::Month));
        let y = parse_date("2024").unwrap();
        assert_eq!((y.day, y.precision), (day(2024, 1, 1), Precision::Year));
        assert_eq!(parse_date("2024-02-29").unwrap().day, day(2024, 2, 29));
        assert_eq!(show(m), "2024-02");
        assert_eq!(show(y), "2024");
        assert_eq!(show(d), "2024-01-25");
    }

    #[test]
    fn impossible_and_malformed_dates_are_errors_that_quote_the_text() {
        for bad in [
            "2024-02-31",
            "2023-02-29",
            "2024-04-31",
            "2024-13-01",
            "2024-00-10",
            "2024-13",
            "2024-01-00",
        ] {
            let e = parse_date(bad).unwrap_err();
            assert!(e.contains(bad), "{bad}: {e}");
        }
        assert!(parse_date("2024-02-31").unwrap_err().contains("29 days"));
        for bad in [
            "January 25, 2024",
            "25/01/2024",
            "2024-1-5",
            "24-01-25",
            "2024-01-25x",
            "2024-01-25T",
            "2024-01T10:00",
            "",
            "+2024-01-01",
            "２０２４-01-01",
        ] {
            assert!(parse_date(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn weeks_start_on_monday_and_are_labelled_by_iso_week() {
        let thu = day(2024, 1, 25);
        let start = Period::Week.start(thu);
        assert_eq!(start, day(2024, 1, 22));
        assert_eq!(start.weekday(), Weekday::Monday);
        assert_eq!(Period::Week.label(start), "2024-W04");
        assert_eq!(Period::Week.next(start), day(2024, 1, 29));
        // 2024-12-30 is in ISO week 1 of 2025.
        assert_eq!(
            Period::Week.label(Period::Week.start(day(2024, 12, 31))),
            "2025-W01"
        );
        assert_eq!(Period::Month.start(thu), day(2024, 1, 1));
        assert_eq!(Period::Month.label(day(2024, 1, 1)), "2024-01");
        assert_eq!(Period::Month.next(day(2024, 12, 1)), day(2025, 1, 1));
    }

    #[test]
    fn the_automatic_period_follows_the_span_and_the_precision() {
        let p = |s: &[&str]| Period::automatic(s.iter().map(|d| parse_date(d).unwrap()));
        assert_eq!(p(&["2024-01-25", "2024-03-01"]), Period::Week);
        assert_eq!(p(&["2024-01-25", "2024-09-01"]), Period::Month);
        assert_eq!(p(&["2024-01-25", "2024-02"]), Period::Month);
        assert_eq!(p(&["2024-01-25", "2023"]), Period::Week);
        assert_eq!(p(&[]), Period::Month);
        assert!(Period::Week.places(Precision::Day) && !Period::Week.places(Precision::Month));
        assert!(Period::Month.places(Precision::Month) && !Period::Month.places(Precision::Year));
        assert_eq!("Week".parse::<Period>().unwrap(), Period::Week);
        assert!("fortnight".parse::<Period>().is_err());
    }
}
