//! Calendar and digit helpers shared by the identifier and date/time checks.

/// Whether `year` is a leap year by the full Gregorian rules (proleptic for early years).
pub(super) const fn is_leap_year(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in `month` (1-12) of `year`; 0 for a month outside 1-12.
pub(super) const fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Value of a non-empty run of ASCII digits, or `None` if any byte is not a digit. Only
/// called on runs of at most nine digits, so the result fits.
pub(super) fn ascii_number(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || bytes.len() > 9 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        bytes
            .iter()
            .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0')),
    )
}

/// Value of exactly two ASCII digits.
pub(super) fn two_digits(bytes: &[u8]) -> Option<u8> {
    match bytes {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => Some((a - b'0') * 10 + (b - b'0')),
        _ => None,
    }
}

/// Whether a zone offset of `hours`:`minutes` exists: at most 14:00 either way, which is
/// both the widest offset in use (UTC+14) and the bound the Sosmeta `Hetki` pattern sets.
pub(super) const fn zone_in_range(hours: u8, minutes: u8) -> bool {
    (hours < 14 && minutes < 60) || (hours == 14 && minutes == 0)
}
