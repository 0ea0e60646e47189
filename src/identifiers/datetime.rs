//! The Sosmeta representations `Pvm` (date) and `Hetki` (date-time), graded into errors
//! and partial values.

use super::calendar::*;

/// What is wrong with a `Pvm` or `Hetki` value. Every variant is an error-level finding.
/// Holds nothing of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum DateTimeProblem {
    /// Not of the form the representation allows at all.
    #[error("value does not have the form of a date or date-time")]
    Malformed,
    /// The year is zero or negative (the Sosmeta date pattern allows a minus sign).
    #[error("year must be positive")]
    NonPositiveYear,
    /// Month outside one to twelve.
    #[error("month does not exist")]
    MonthOutOfRange,
    /// Day zero, or past the end of the month (`2023-02-30`).
    #[error("day does not exist in that month")]
    DayOutOfRange,
    /// Hour outside zero to twenty-three.
    #[error("hour does not exist")]
    HourOutOfRange,
    /// Minute outside zero to fifty-nine.
    #[error("minute does not exist")]
    MinuteOutOfRange,
    /// Second outside zero to fifty-nine (leap seconds are not accepted).
    #[error("second does not exist")]
    SecondOutOfRange,
    /// Zone offset beyond fourteen hours, or minutes of sixty or more.
    #[error("zone offset is out of range")]
    ZoneOutOfRange,
}

/// Which part of a `Pvm` date is given when it is not a full date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartialDate {
    /// `YYYY`
    Year,
    /// `YYYY-MM`
    YearMonth,
}

/// Classification of a Sosmeta `Pvm` value.
///
/// The schemas pattern-check `Pvm` with
/// `^-?[0-9]{4}(-(0[1-9]|1[0-2])(-(0[0-9]|[1-2][0-9]|3[0-1]))?)?$`, which lets through
/// impossible days, day `00`, negative years and year-only or year-month values. Grading
/// decided here: impossible values and non-positive years are errors; a partial date that
/// is otherwise real is its own outcome, meant to be reported as a warning (a birth date
/// may legitimately be known only to the year).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PvmCheck {
    /// A real calendar date `YYYY-MM-DD`.
    Valid,
    /// A real year or year and month, without the rest.
    Partial(PartialDate),
    /// Not a real date.
    Invalid(DateTimeProblem),
}

impl PvmCheck {
    /// Whether the outcome is error-level.
    #[must_use]
    pub const fn is_error(&self) -> bool {
        matches!(self, Self::Invalid(_))
    }
}

/// Which part of a `Hetki` value is given when it has no time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartialHetki {
    /// `YYYY`
    Year,
    /// `YYYY-MM`
    YearMonth,
    /// `YYYY-MM-DD`
    Date,
}

/// Classification of a Sosmeta `Hetki` (date-time) value.
///
/// The schemas' `Hetki` pattern allows a bare year, a year-month or a date without time,
/// and an impossible day. Grading decided here: impossible dates or times are errors; a
/// value without time of day is `Partial` and a time without zone is `NoZone`, both meant
/// to be warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HetkiCheck {
    /// A real date and time with a zone.
    Valid,
    /// A real date and time without a zone: the instant is ambiguous.
    NoZone,
    /// A real date or part of one, with no time of day.
    Partial(PartialHetki),
    /// Not a real date-time.
    Invalid(DateTimeProblem),
}

impl HetkiCheck {
    /// Whether the outcome is error-level.
    #[must_use]
    pub const fn is_error(&self) -> bool {
        matches!(self, Self::Invalid(_))
    }
}

/// Date part of a `Pvm`/`Hetki` value: `[-]YYYY[-MM[-DD]]`, checked for the calendar.
/// Returns how many of year, month and day are given (1-3).
fn check_date_part(b: &[u8]) -> Result<u8, DateTimeProblem> {
    let (negative, rest) = match b {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, b),
    };
    let (year_digits, rest) = rest.split_at_checked(4).ok_or(DateTimeProblem::Malformed)?;
    let year = ascii_number(year_digits).ok_or(DateTimeProblem::Malformed)?;
    let (month, day, parts) = match rest {
        [] => (None, None, 1),
        [b'-', m1, m2] => (Some([*m1, *m2]), None, 2),
        [b'-', m1, m2, b'-', d1, d2] => (Some([*m1, *m2]), Some([*d1, *d2]), 3),
        _ => return Err(DateTimeProblem::Malformed),
    };
    let month = month
        .map(|m| two_digits(&m).ok_or(DateTimeProblem::Malformed))
        .transpose()?;
    let day = day
        .map(|d| two_digits(&d).ok_or(DateTimeProblem::Malformed))
        .transpose()?;
    if negative || year == 0 {
        return Err(DateTimeProblem::NonPositiveYear);
    }
    let year = i32::try_from(year).map_err(|_| DateTimeProblem::Malformed)?;
    if let Some(month) = month {
        if !(1..=12).contains(&month) {
            return Err(DateTimeProblem::MonthOutOfRange);
        }
        if let Some(day) = day
            && (day == 0 || day > days_in_month(year, month))
        {
            return Err(DateTimeProblem::DayOutOfRange);
        }
    }
    Ok(parts)
}

/// Classifies a Sosmeta `Pvm` value; see [`PvmCheck`] for the grading. Never panics, on
/// any input.
#[must_use]
pub fn check_pvm(s: &str) -> PvmCheck {
    match check_date_part(s.as_bytes()) {
        Ok(1) => PvmCheck::Partial(PartialDate::Year),
        Ok(2) => PvmCheck::Partial(PartialDate::YearMonth),
        Ok(_) => PvmCheck::Valid,
        Err(problem) => PvmCheck::Invalid(problem),
    }
}

/// Classifies a Sosmeta `Hetki` value; see [`HetkiCheck`] for the grading.
///
/// Accepted form: `YYYY-MM-DDThh:mm[:ss[.fraction]]` followed by `Z`, `±hh:mm`, `±hhmm` or
/// nothing (the last gives [`HetkiCheck::NoZone`]); or a date part alone (`YYYY`,
/// `YYYY-MM`, `YYYY-MM-DD`, giving [`HetkiCheck::Partial`]). `T` and `Z` must be uppercase
/// as in the Sosmeta pattern; the fraction may have any number of digits. Zone offsets up
/// to 14:00 either way. Never panics, on any input.
#[must_use]
pub fn check_hetki(s: &str) -> HetkiCheck {
    let b = s.as_bytes();
    let (date, time) = match b.iter().position(|&c| c == b'T') {
        Some(i) => (&b[..i], Some(&b[i + 1..])),
        None => (b, None),
    };
    let parts = match check_date_part(date) {
        Ok(parts) => parts,
        Err(problem) => return HetkiCheck::Invalid(problem),
    };
    let Some(time) = time else {
        return HetkiCheck::Partial(match parts {
            1 => PartialHetki::Year,
            2 => PartialHetki::YearMonth,
            _ => PartialHetki::Date,
        });
    };
    if parts != 3 {
        return HetkiCheck::Invalid(DateTimeProblem::Malformed);
    }
    match check_time_part(time) {
        Ok(true) => HetkiCheck::Valid,
        Ok(false) => HetkiCheck::NoZone,
        Err(problem) => HetkiCheck::Invalid(problem),
    }
}

/// Time part of a `Hetki` value after the `T`. Returns whether a zone is given.
fn check_time_part(b: &[u8]) -> Result<bool, DateTimeProblem> {
    use DateTimeProblem as P;
    let zone_at = b
        .iter()
        .position(|&c| matches!(c, b'Z' | b'+' | b'-'))
        .unwrap_or(b.len());
    let (clock, zone) = b.split_at(zone_at);
    let (hms, fraction) = match clock.iter().position(|&c| c == b'.') {
        Some(i) => (&clock[..i], Some(&clock[i + 1..])),
        None => (clock, None),
    };
    let (hour, minute, second) = match hms {
        [h1, h2, b':', m1, m2] => (two_digits(&[*h1, *h2]), two_digits(&[*m1, *m2]), Some(0)),
        [h1, h2, b':', m1, m2, b':', s1, s2] => (
            two_digits(&[*h1, *h2]),
            two_digits(&[*m1, *m2]),
            two_digits(&[*s1, *s2]),
        ),
        _ => return Err(P::Malformed),
    };
    let (Some(hour), Some(minute), Some(second)) = (hour, minute, second) else {
        return Err(P::Malformed);
    };
    if let Some(f) = fraction
        && (hms.len() != 8 || f.is_empty() || !f.iter().all(u8::is_ascii_digit))
    {
        return Err(P::Malformed);
    }
    let zone = match zone {
        [] => None,
        [b'Z'] => Some((0, 0)),
        [b'+' | b'-', h1, h2, b':', m1, m2] | [b'+' | b'-', h1, h2, m1, m2] => {
            match (two_digits(&[*h1, *h2]), two_digits(&[*m1, *m2])) {
                (Some(h), Some(m)) => Some((h, m)),
                _ => return Err(P::Malformed),
            }
        }
        _ => return Err(P::Malformed),
    };
    if hour > 23 {
        return Err(P::HourOutOfRange);
    }
    if minute > 59 {
        return Err(P::MinuteOutOfRange);
    }
    if second > 59 {
        return Err(P::SecondOutOfRange);
    }
    if let Some((h, m)) = zone
        && !zone_in_range(h, m)
    {
        return Err(P::ZoneOutOfRange);
    }
    Ok(zone.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    // ----- Pvm -----

    #[test]
    fn pvm_cases() {
        use DateTimeProblem as P;
        for (s, want) in [
            ("2023-02-28", PvmCheck::Valid),
            ("2024-02-29", PvmCheck::Valid),
            ("2000-02-29", PvmCheck::Valid),
            ("0001-01-01", PvmCheck::Valid),
            ("2023-12-31", PvmCheck::Valid),
            ("2023", PvmCheck::Partial(PartialDate::Year)),
            ("2023-07", PvmCheck::Partial(PartialDate::YearMonth)),
            ("2023-02-30", PvmCheck::Invalid(P::DayOutOfRange)),
            ("2023-02-29", PvmCheck::Invalid(P::DayOutOfRange)),
            ("1900-02-29", PvmCheck::Invalid(P::DayOutOfRange)),
            ("2023-04-31", PvmCheck::Invalid(P::DayOutOfRange)),
            ("2023-01-00", PvmCheck::Invalid(P::DayOutOfRange)),
            ("2023-13-01", PvmCheck::Invalid(P::MonthOutOfRange)),
            ("2023-13", PvmCheck::Invalid(P::MonthOutOfRange)),
            ("2023-00", PvmCheck::Invalid(P::MonthOutOfRange)),
            ("-2023-01-01", PvmCheck::Invalid(P::NonPositiveYear)),
            ("-2023", PvmCheck::Invalid(P::NonPositiveYear)),
            ("0000-01-01", PvmCheck::Invalid(P::NonPositiveYear)),
            ("0000", PvmCheck::Invalid(P::NonPositiveYear)),
            ("-0000", PvmCheck::Invalid(P::NonPositiveYear)),
            ("", PvmCheck::Invalid(P::Malformed)),
            ("-", PvmCheck::Invalid(P::Malformed)),
            ("--2023", PvmCheck::Invalid(P::Malformed)),
            ("202", PvmCheck::Invalid(P::Malformed)),
            ("20230", PvmCheck::Invalid(P::Malformed)),
            ("2023-1-01", PvmCheck::Invalid(P::Malformed)),
            ("2023-01-1", PvmCheck::Invalid(P::Malformed)),
            ("2023-01-01T00:00:00Z", PvmCheck::Invalid(P::Malformed)),
            ("2023/01/01", PvmCheck::Invalid(P::Malformed)),
            ("20230101", PvmCheck::Invalid(P::Malformed)),
            ("2023-01-", PvmCheck::Invalid(P::Malformed)),
            ("2023-0a", PvmCheck::Invalid(P::Malformed)),
            ("01.01.2023", PvmCheck::Invalid(P::Malformed)),
            ("２023-01-01", PvmCheck::Invalid(P::Malformed)),
        ] {
            assert_eq!(check_pvm(s), want, "{s}");
        }
        assert!(check_pvm("2023-02-30").is_error());
        assert!(!check_pvm("2023").is_error());
    }

    /// Every value the schemas' Pvm pattern accepts, for a set of years, is classified
    /// and is `Valid` exactly when it is a real date.
    #[test]
    fn pvm_pattern_space_is_classified() {
        for year in [
            "2023", "2024", "1900", "2000", "0000", "-2024", "-0001", "9999",
        ] {
            let negative_or_zero = year.starts_with('-') || year == "0000";
            assert_eq!(check_pvm(year).is_error(), negative_or_zero);
            for month in 1..=12u8 {
                let ym = format!("{year}-{month:02}");
                assert_eq!(check_pvm(&ym).is_error(), negative_or_zero, "{ym}");
                for day in 0..=31u8 {
                    let s = format!("{ym}-{day:02}");
                    let y: i32 = year.parse().unwrap();
                    let real = y > 0 && day >= 1 && day <= days_in_month(y, month);
                    assert_eq!(check_pvm(&s) == PvmCheck::Valid, real, "{s}");
                    assert_eq!(check_pvm(&s).is_error(), !real, "{s}");
                }
            }
        }
    }

    // ----- Hetki -----

    #[test]
    fn hetki_cases() {
        use DateTimeProblem as P;
        for (s, want) in [
            ("2023-02-17T12:30:00Z", HetkiCheck::Valid),
            ("2023-02-17T12:30:00+02:00", HetkiCheck::Valid),
            ("2023-02-17T12:30:00-0930", HetkiCheck::Valid),
            ("2023-02-17T12:30:00.123456789+14:00", HetkiCheck::Valid),
            ("2023-02-17T12:30Z", HetkiCheck::Valid),
            ("2023-02-17T00:00+0300", HetkiCheck::Valid),
            ("2024-02-29T23:59:59-14:00", HetkiCheck::Valid),
            ("2023-02-17T12:30:00", HetkiCheck::NoZone),
            ("2023-02-17T12:30", HetkiCheck::NoZone),
            ("2023-02-17T12:30:00.5", HetkiCheck::NoZone),
            ("2023", HetkiCheck::Partial(PartialHetki::Year)),
            ("2023-02", HetkiCheck::Partial(PartialHetki::YearMonth)),
            ("2023-02-17", HetkiCheck::Partial(PartialHetki::Date)),
            ("2023-02-30", HetkiCheck::Invalid(P::DayOutOfRange)),
            (
                "2023-02-30T12:00:00Z",
                HetkiCheck::Invalid(P::DayOutOfRange),
            ),
            (
                "2023-02-00T12:00:00Z",
                HetkiCheck::Invalid(P::DayOutOfRange),
            ),
            (
                "2023-13-01T12:00:00Z",
                HetkiCheck::Invalid(P::MonthOutOfRange),
            ),
            (
                "-2023-01-01T12:00:00Z",
                HetkiCheck::Invalid(P::NonPositiveYear),
            ),
            ("-2023", HetkiCheck::Invalid(P::NonPositiveYear)),
            ("0000", HetkiCheck::Invalid(P::NonPositiveYear)),
            (
                "2023-02-17T24:00:00Z",
                HetkiCheck::Invalid(P::HourOutOfRange),
            ),
            (
                "2023-02-17T12:60:00Z",
                HetkiCheck::Invalid(P::MinuteOutOfRange),
            ),
            (
                "2023-02-17T12:00:60Z",
                HetkiCheck::Invalid(P::SecondOutOfRange),
            ),
            (
                "2023-02-17T12:00:00+15:00",
                HetkiCheck::Invalid(P::ZoneOutOfRange),
            ),
            (
                "2023-02-17T12:00:00+14:30",
                HetkiCheck::Invalid(P::ZoneOutOfRange),
            ),
            (
                "2023-02-17T12:00:00+0260",
                HetkiCheck::Invalid(P::ZoneOutOfRange),
            ),
            ("2023-02-17T12:00:00+2", HetkiCheck::Invalid(P::Malformed)),
            (
                "2023-02-17T12:00:00+02:0",
                HetkiCheck::Invalid(P::Malformed),
            ),
            ("2023-02-17T12:00:00z", HetkiCheck::Invalid(P::Malformed)),
            ("2023-02-17t12:00:00Z", HetkiCheck::Invalid(P::Malformed)),
            ("2023-02-17 12:00:00Z", HetkiCheck::Invalid(P::Malformed)),
            ("2023-02-17T12Z", HetkiCheck::Invalid(P::Malformed)),
            ("2023-02-17T", HetkiCheck::Invalid(P::Malformed)),
            ("2023-02-17T12:00.5Z", HetkiCheck::Invalid(P::Malformed)),
            ("2023-02-17T12:00:00.Z", HetkiCheck::Invalid(P::Malformed)),
            ("2023-02-17T12:00:00ZZ", HetkiCheck::Invalid(P::Malformed)),
            ("2023-02T12:00:00Z", HetkiCheck::Invalid(P::Malformed)),
            ("2023T12:00:00Z", HetkiCheck::Invalid(P::Malformed)),
            ("2023-02-17T1:00:00Z", HetkiCheck::Invalid(P::Malformed)),
            ("2023-02-17T12:00:00TZ", HetkiCheck::Invalid(P::Malformed)),
            ("", HetkiCheck::Invalid(P::Malformed)),
        ] {
            assert_eq!(check_hetki(s), want, "{s}");
        }
        assert!(!check_hetki("2023-02-17T12:30:00").is_error());
        assert!(check_hetki("2023-02-30T12:00:00Z").is_error());
    }

    /// A sample of the values the schemas' Hetki pattern accepts is classified and is
    /// `Valid` exactly when the date is real (times and zones in the pattern all exist).
    #[test]
    fn hetki_pattern_space_is_classified() {
        let times = ["00:00:00", "23:59:59", "12:30:45.1", "12:30:45.123456789"];
        let zones = ["Z", "+00:00", "-13:59", "+14:00", "-14:00", "+05:30"];
        for year in ["2023", "2024", "1900", "2000", "0000", "-2024"] {
            let y: i32 = year.parse().unwrap();
            for month in 1..=12u8 {
                for day in 0..=31u8 {
                    let date = format!("{year}-{month:02}-{day:02}");
                    let real = y > 0 && day >= 1 && day <= days_in_month(y, month);
                    for time in times {
                        for zone in zones {
                            let s = format!("{date}T{time}{zone}");
                            assert_eq!(check_hetki(&s) == HetkiCheck::Valid, real, "{s}");
                            assert_eq!(check_hetki(&s).is_error(), !real, "{s}");
                        }
                    }
                    let partial = check_hetki(&date);
                    assert_eq!(partial == HetkiCheck::Partial(PartialHetki::Date), real);
                }
            }
        }
    }
}
