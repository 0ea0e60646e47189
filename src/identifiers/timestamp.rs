//! HL7 v3 `TS` timestamps as Kanta CDA documents carry them.

use std::fmt;

use super::calendar::*;

/// How much of an HL7 `TS` value is given. Ordered from coarse to fine, so a rule such as
/// "at least seconds" is `precision >= TsPrecision::Second`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TsPrecision {
    /// `YYYY`
    Year,
    /// `YYYYMM`
    Month,
    /// `YYYYMMDD`
    Day,
    /// `YYYYMMDDhh`
    Hour,
    /// `YYYYMMDDhhmm`
    Minute,
    /// `YYYYMMDDhhmmss`, with or without fractional seconds
    Second,
}

/// Why a string is not a valid HL7 v3 `TS` value. Holds nothing of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TsError {
    /// Not digits of length four, six, eight, ten, twelve or fourteen with the optional
    /// fraction and zone in the right places.
    #[error("timestamp does not have the form YYYYMMDDhhmmss with optional fraction and zone")]
    WrongShape,
    /// A fraction of a second is given without seconds.
    #[error("timestamp has fractional seconds without seconds")]
    FractionWithoutSeconds,
    /// The fraction has no digits or more than four.
    #[error("timestamp fractional seconds must have one to four digits")]
    BadFraction,
    /// A zone is given on a value that has no hour.
    #[error("timestamp has a zone but no time of day")]
    ZoneWithoutTime,
    /// The zone is not `+hhmm` / `-hhmm` within fourteen hours.
    #[error("timestamp zone offset is out of range")]
    ZoneOutOfRange,
    /// Year zero, month or day not in the calendar.
    #[error("timestamp date is not a real calendar date")]
    ImpossibleDate,
    /// Hour, minute or second out of range.
    #[error("timestamp time of day is not a real time")]
    ImpossibleTime,
}

/// A checked HL7 v3 `TS` value as Kanta CDA documents use it (`20260717130654+0300`,
/// `20110120`). Fields below the precision are absent.
///
/// A `TS` can be a birth time, so `Debug` shows only the precision and whether a zone is
/// given, never the value.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hl7Timestamp {
    precision: TsPrecision,
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    /// Number of fraction digits (0 when none).
    fraction_digits: u8,
    /// Zone offset east of UTC in minutes.
    zone_minutes: Option<i16>,
}

impl Hl7Timestamp {
    /// How much of the timestamp is given.
    #[must_use]
    pub const fn precision(&self) -> TsPrecision {
        self.precision
    }

    /// Whether a zone offset is given.
    #[must_use]
    pub const fn has_zone(&self) -> bool {
        self.zone_minutes.is_some()
    }

    /// Whether fractional seconds are given.
    #[must_use]
    pub const fn has_fraction(&self) -> bool {
        self.fraction_digits > 0
    }

    /// Whether this names a full instant: seconds and a zone, as CDA header times must.
    #[must_use]
    pub const fn is_full_instant(&self) -> bool {
        matches!(self.precision, TsPrecision::Second) && self.has_zone()
    }

    /// Zone offset east of UTC in minutes (`+0300` is 180), if given.
    #[must_use]
    pub const fn zone_offset_minutes(&self) -> Option<i16> {
        self.zone_minutes
    }

    /// The year.
    #[must_use]
    pub const fn year(&self) -> u16 {
        self.year
    }

    /// The month (1-12), if given.
    #[must_use]
    pub fn month(&self) -> Option<u8> {
        (self.precision >= TsPrecision::Month).then_some(self.month)
    }

    /// The day of month, if given.
    #[must_use]
    pub fn day(&self) -> Option<u8> {
        (self.precision >= TsPrecision::Day).then_some(self.day)
    }

    /// The hour (0-23), if given.
    #[must_use]
    pub fn hour(&self) -> Option<u8> {
        (self.precision >= TsPrecision::Hour).then_some(self.hour)
    }

    /// The minute, if given.
    #[must_use]
    pub fn minute(&self) -> Option<u8> {
        (self.precision >= TsPrecision::Minute).then_some(self.minute)
    }

    /// The whole second, if given.
    #[must_use]
    pub fn second(&self) -> Option<u8> {
        (self.precision >= TsPrecision::Second).then_some(self.second)
    }
}

impl fmt::Debug for Hl7Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hl7Timestamp")
            .field("precision", &self.precision)
            .field("has_zone", &self.has_zone())
            .finish_non_exhaustive()
    }
}

/// Parses and checks an HL7 v3 `TS` value: `YYYY[MM[DD[hh[mm[ss[.f{1,4}]]]]]][±hhmm]`.
///
/// Rules: fractional seconds only after seconds; a zone only when at least the hour is
/// given, with an offset of at most 14:00 either way (minutes below 60); a real calendar
/// date (year zero is rejected) and time (hour below 24, minute and second below 60; no
/// leap second). Whether a given element needs seconds or a zone is the caller's rule: see
/// [`Hl7Timestamp::precision`] and [`Hl7Timestamp::has_zone`].
///
/// # Errors
///
/// The first [`TsError`] found: shape, fraction and zone before the calendar.
pub fn parse_hl7_ts(s: &str) -> Result<Hl7Timestamp, TsError> {
    let b = s.as_bytes();
    let (main, zone) = match b.iter().position(|&c| c == b'+' || c == b'-') {
        Some(i) => (&b[..i], Some(&b[i..])),
        None => (b, None),
    };
    let (digits, fraction) = match main.iter().position(|&c| c == b'.') {
        Some(i) => (&main[..i], Some(&main[i + 1..])),
        None => (main, None),
    };
    if !digits.iter().all(u8::is_ascii_digit) {
        return Err(TsError::WrongShape);
    }
    let precision = match digits.len() {
        4 => TsPrecision::Year,
        6 => TsPrecision::Month,
        8 => TsPrecision::Day,
        10 => TsPrecision::Hour,
        12 => TsPrecision::Minute,
        14 => TsPrecision::Second,
        _ => return Err(TsError::WrongShape),
    };
    let fraction_digits = match fraction {
        None => 0,
        Some(_) if precision < TsPrecision::Second => return Err(TsError::FractionWithoutSeconds),
        Some(f) if !f.iter().all(u8::is_ascii_digit) => return Err(TsError::WrongShape),
        Some(f) => match u8::try_from(f.len()) {
            Ok(n @ 1..=4) => n,
            _ => return Err(TsError::BadFraction),
        },
    };
    let zone_minutes = match zone {
        None => None,
        Some(z) => {
            let &[sign, h1, h2, m1, m2] = z else {
                return Err(TsError::WrongShape);
            };
            let (Some(hours), Some(minutes)) = (two_digits(&[h1, h2]), two_digits(&[m1, m2]))
            else {
                return Err(TsError::WrongShape);
            };
            if precision < TsPrecision::Hour {
                return Err(TsError::ZoneWithoutTime);
            }
            if !zone_in_range(hours, minutes) {
                return Err(TsError::ZoneOutOfRange);
            }
            let total = i16::from(hours) * 60 + i16::from(minutes);
            Some(if sign == b'-' { -total } else { total })
        }
    };
    // Two-digit field `i` (0-based after the year), or `default` when not given.
    let field = |i: usize, default: u8| -> u8 {
        let start = 4 + 2 * i;
        digits
            .get(start..start + 2)
            .and_then(two_digits)
            .unwrap_or(default)
    };
    let year = ascii_number(&digits[..4]).ok_or(TsError::WrongShape)?;
    let (month, day) = (field(0, 1), field(1, 1));
    let (hour, minute, second) = (field(2, 0), field(3, 0), field(4, 0));
    let year = u16::try_from(year).map_err(|_| TsError::WrongShape)?;
    if year == 0
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(i32::from(year), month)
    {
        return Err(TsError::ImpossibleDate);
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(TsError::ImpossibleTime);
    }
    Ok(Hl7Timestamp {
        precision,
        year,
        month,
        day,
        hour,
        minute,
        second,
        fraction_digits,
        zone_minutes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // ----- HL7 TS -----

    #[test]
    fn hl7_ts_all_precisions() {
        for (s, p) in [
            ("2026", TsPrecision::Year),
            ("202607", TsPrecision::Month),
            ("20110120", TsPrecision::Day),
            ("2026071713", TsPrecision::Hour),
            ("202607171306", TsPrecision::Minute),
            ("20260717130654", TsPrecision::Second),
            ("20260717130654.1", TsPrecision::Second),
            ("20260717130654.1234", TsPrecision::Second),
        ] {
            let t = parse_hl7_ts(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(t.precision(), p, "{s}");
            assert!(!t.has_zone());
            assert!(!t.is_full_instant());
        }
        let t = parse_hl7_ts("20260717130654+0300").unwrap();
        assert_eq!(t.precision(), TsPrecision::Second);
        assert!(t.has_zone() && t.is_full_instant() && !t.has_fraction());
        assert_eq!(t.zone_offset_minutes(), Some(180));
        assert_eq!(
            (
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            ),
            (2026, Some(7), Some(17), Some(13), Some(6), Some(54))
        );
        let t = parse_hl7_ts("2026071713-0930").unwrap();
        assert_eq!(t.precision(), TsPrecision::Hour);
        assert_eq!(t.zone_offset_minutes(), Some(-570));
        assert_eq!((t.hour(), t.minute()), (Some(13), None));
        let t = parse_hl7_ts("20110120").unwrap();
        assert_eq!((t.month(), t.day(), t.hour()), (Some(1), Some(20), None));
        assert!(
            parse_hl7_ts("20260717130654.5+1400")
                .unwrap()
                .has_fraction()
        );
        assert!(parse_hl7_ts("202607171306-1400").is_ok());
        assert!(parse_hl7_ts("202607171306+0000").is_ok());
        assert!(parse_hl7_ts("20000229").is_ok());
        assert!(parse_hl7_ts("20240229235959").is_ok());
    }

    #[test]
    fn hl7_ts_bad() {
        for (s, e) in [
            ("", TsError::WrongShape),
            ("202", TsError::WrongShape),
            ("20260", TsError::WrongShape),
            ("2026071713065", TsError::WrongShape),
            ("202607171306540", TsError::WrongShape),
            ("2026-07-17", TsError::WrongShape),
            ("20260717T1306", TsError::WrongShape),
            ("20260717130654+03", TsError::WrongShape),
            ("20260717130654+03:00", TsError::WrongShape),
            ("20260717130654Z", TsError::WrongShape),
            ("20260717130654+0300+0300", TsError::WrongShape),
            ("20260717130654.12a", TsError::WrongShape),
            (" 20260717", TsError::WrongShape),
            ("20230230", TsError::ImpossibleDate),
            ("19000229", TsError::ImpossibleDate),
            ("20231301", TsError::ImpossibleDate),
            ("202300", TsError::ImpossibleDate),
            ("20230100", TsError::ImpossibleDate),
            ("0000", TsError::ImpossibleDate),
            ("2023021725", TsError::ImpossibleTime),
            ("2023021724", TsError::ImpossibleTime),
            ("202302172360", TsError::ImpossibleTime),
            ("20230217235960", TsError::ImpossibleTime),
            ("20230217120000+1500", TsError::ZoneOutOfRange),
            ("20230217120000+1401", TsError::ZoneOutOfRange),
            ("20230217120000-0060", TsError::ZoneOutOfRange),
            ("20230217+0200", TsError::ZoneWithoutTime),
            ("2023+0200", TsError::ZoneWithoutTime),
            ("202302171200.5", TsError::FractionWithoutSeconds),
            ("20230217.5", TsError::FractionWithoutSeconds),
            ("20230217120000.", TsError::BadFraction),
            ("20230217120000.12345", TsError::BadFraction),
        ] {
            assert_eq!(parse_hl7_ts(s).err(), Some(e), "{s}");
        }
    }

    #[test]
    fn hl7_ts_debug_shows_no_value() {
        let dbg = format!("{:?}", parse_hl7_ts("19520120").unwrap());
        assert_eq!(dbg, "Hl7Timestamp { precision: Day, has_zone: false, .. }");
    }
}
