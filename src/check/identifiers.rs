//! Syntax and arithmetic checks for the identifiers and date/time values that Kanta CDA
//! documents and Sosmeta JSON content carry: henkilötunnus, Y-tunnus, OIDs, HL7 v3 `TS`
//! timestamps and the Sosmeta representations `Pvm` and `Hetki`.
//!
//! Everything here is pure and synchronous, and allocates only in [`mask`].
//!
//! Privacy: a henkilötunnus (and a birth date or birth time) is personal data. No error or
//! outcome type in this module stores any part of the input, and their `Display` texts
//! contain no digits at all, so a message can be logged or returned to a caller without
//! leaking the value. [`Hetu`] and [`Hl7Timestamp`] hold personal values and therefore have
//! a hand-written `Debug` that prints nothing of them. Use [`mask`] when a message must show
//! the shape of a value.

use std::fmt;
use std::str::FromStr;

// ---------------------------------------------------------------------------------------
// Calendar helpers
// ---------------------------------------------------------------------------------------

/// Whether `year` is a leap year by the full Gregorian rules (proleptic for early years).
const fn is_leap_year(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in `month` (1-12) of `year`; 0 for a month outside 1-12.
const fn days_in_month(year: i32, month: u8) -> u8 {
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
fn ascii_number(bytes: &[u8]) -> Option<u32> {
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
fn two_digits(bytes: &[u8]) -> Option<u8> {
    match bytes {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => Some((a - b'0') * 10 + (b - b'0')),
        _ => None,
    }
}

/// Whether a zone offset of `hours`:`minutes` exists: at most 14:00 either way, which is
/// both the widest offset in use (UTC+14) and the bound the Sosmeta `Hetki` pattern sets.
const fn zone_in_range(hours: u8, minutes: u8) -> bool {
    (hours < 14 && minutes < 60) || (hours == 14 && minutes == 0)
}

// ---------------------------------------------------------------------------------------
// Henkilötunnus
// ---------------------------------------------------------------------------------------

/// The 31 check characters of a henkilötunnus, indexed by `DDMMYYNNN mod 31`.
const HETU_CHECK_CHARS: &[u8; 31] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";

/// Century that a henkilötunnus century sign stands for, or `None` for an unknown sign.
/// The signs `Y X W V U` (1900s) and `B`-`F` (2000s) were added in 2023.
const fn century_of_sign(sign: u8) -> Option<i32> {
    match sign {
        b'+' => Some(1800),
        b'-' | b'Y' | b'X' | b'W' | b'V' | b'U' => Some(1900),
        b'A'..=b'F' => Some(2000),
        _ => None,
    }
}

/// Why a string is not a valid henkilötunnus. Holds nothing of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HetuError {
    /// Not eleven characters of the form `DDMMYY`, sign, `NNN`, check character (this
    /// includes a lowercase or otherwise unknown check character).
    #[error(
        "henkilötunnus does not have the form DDMMYY, century sign, individual number, check character"
    )]
    WrongShape,
    /// The seventh character is not one of `+ - Y X W V U A B C D E F`.
    #[error("henkilötunnus has an unknown century sign")]
    BadCenturySign,
    /// Day, month and century do not make a real calendar date.
    #[error("henkilötunnus birth date is not a real calendar date")]
    ImpossibleDate,
    /// The individual number is one of the two values never issued.
    #[error("henkilötunnus individual number is not in use")]
    IndividualNumberOutOfRange,
    /// The check character is from the alphabet but is not the one the digits give.
    #[error("henkilötunnus check character does not match")]
    CheckCharacterMismatch,
}

/// A henkilötunnus (Finnish personal identity code) that passed every check of
/// [`parse_hetu`].
///
/// It is personal data: it has no `Display`, and its `Debug` prints nothing of the value.
/// Two codes that differ only in century sign within one century (`-` and `Y`) are
/// different people, so equality compares the sign too.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hetu {
    year: i32,
    month: u8,
    day: u8,
    sign: u8,
    individual: u16,
}

impl Hetu {
    /// Birth date as `(year, month, day)`, with the century taken from the sign.
    #[must_use]
    pub const fn birth_date(&self) -> (i32, u8, u8) {
        (self.year, self.month, self.day)
    }

    /// The individual number `NNN` (2-999).
    #[must_use]
    pub const fn individual_number(&self) -> u16 {
        self.individual
    }

    /// Whether this is a temporary or test code (individual number 900-999), the only kind
    /// Kanta's test environment accepts.
    #[must_use]
    pub const fn is_test(&self) -> bool {
        self.individual >= 900
    }

    /// The century sign as written (`+`, `-`, `Y` ... `U`, `A` ... `F`).
    #[must_use]
    pub const fn century_sign(&self) -> char {
        self.sign as char
    }
}

impl fmt::Debug for Hetu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hetu(<redacted>)")
    }
}

impl FromStr for Hetu {
    type Err = HetuError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_hetu(s)
    }
}

/// Parses and fully checks a henkilötunnus: exact form `DDMMYYCNNNK`, known century sign,
/// real calendar date (Gregorian leap years with the century), individual number 002-999
/// (000 and 001 are never issued) and check character
/// `"0123456789ABCDEFHJKLMNPRSTUVWXY"[DDMMYYNNN mod 31]`.
///
/// No trimming and no case folding: a lowercase letter is an error. A birth date in the
/// future is not rejected (that would make the check depend on the clock).
///
/// A temporary identifier (tilapäinen yksilöintitunnus) is not a henkilötunnus even when it
/// has the same shape; do not run this on one.
///
/// # Errors
///
/// The first [`HetuError`] found, in the order shape, century sign, date, individual number,
/// check character.
pub fn parse_hetu(s: &str) -> Result<Hetu, HetuError> {
    let b: &[u8; 11] = s.as_bytes().try_into().map_err(|_| HetuError::WrongShape)?;
    let digits_ok = b[..6].iter().chain(&b[7..10]).all(u8::is_ascii_digit);
    if !digits_ok || !HETU_CHECK_CHARS.contains(&b[10]) {
        return Err(HetuError::WrongShape);
    }
    let century = century_of_sign(b[6]).ok_or(HetuError::BadCenturySign)?;
    let (Some(day), Some(month), Some(yy)) = (
        two_digits(&b[0..2]),
        two_digits(&b[2..4]),
        two_digits(&b[4..6]),
    ) else {
        return Err(HetuError::WrongShape);
    };
    let year = century + i32::from(yy);
    if day == 0 || day > days_in_month(year, month) {
        return Err(HetuError::ImpossibleDate);
    }
    let individual = ascii_number(&b[7..10]).ok_or(HetuError::WrongShape)?;
    if individual < 2 {
        return Err(HetuError::IndividualNumberOutOfRange);
    }
    let ddmmyy = ascii_number(&b[0..6]).ok_or(HetuError::WrongShape)?;
    let index = (ddmmyy * 1000 + individual) % 31;
    if HETU_CHECK_CHARS[index as usize] != b[10] {
        return Err(HetuError::CheckCharacterMismatch);
    }
    Ok(Hetu {
        year,
        month,
        day,
        sign: b[6],
        individual: u16::try_from(individual).map_err(|_| HetuError::WrongShape)?,
    })
}

/// Whether `s` has the shape of a henkilötunnus: six digits, a known century sign, three
/// digits and a character from the check alphabet. Nothing else is checked (no date, no
/// check character arithmetic): this is for scrubbing values out of text, where a false
/// positive is cheap and a miss leaks personal data.
#[must_use]
pub fn looks_like_hetu(s: &str) -> bool {
    let Ok(b) = <&[u8; 11]>::try_from(s.as_bytes()) else {
        return false;
    };
    b[..6].iter().chain(&b[7..10]).all(u8::is_ascii_digit)
        && century_of_sign(b[6]).is_some()
        && HETU_CHECK_CHARS.contains(&b[10])
}

/// Longest prefix, in characters, that [`mask`] keeps before cutting with `…`.
pub const MASK_MAX_CHARS: usize = 16;

/// Hides a value for use in a message: every alphanumeric character (Unicode sense)
/// becomes `*`, everything else is kept, so the shape stays readable
/// (`010190-999W` becomes `******-****`). A value longer than [`MASK_MAX_CHARS`] characters
/// is cut to that many masked characters followed by `…`, so the length of a long value
/// does not show either.
#[must_use]
pub fn mask(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MASK_MAX_CHARS * 4) + 3);
    let mut chars = s.chars();
    for c in chars.by_ref().take(MASK_MAX_CHARS) {
        out.push(if c.is_alphanumeric() { '*' } else { c });
    }
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

// ---------------------------------------------------------------------------------------
// Y-tunnus
// ---------------------------------------------------------------------------------------

/// Weights of the seven digits of a Y-tunnus in the check digit sum.
const YTUNNUS_WEIGHTS: [u32; 7] = [7, 9, 10, 5, 8, 4, 2];

/// Why a string is not a valid Y-tunnus. Holds nothing of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum YtunnusError {
    /// Not seven digits, a hyphen and one digit.
    #[error("y-tunnus does not have the form of seven digits, hyphen, check digit")]
    WrongShape,
    /// The seven digits give remainder one, for which no check digit exists.
    #[error("y-tunnus digits can never have a valid check digit")]
    NoValidCheckDigit,
    /// The check digit is not the one the seven digits give.
    #[error("y-tunnus check digit does not match")]
    CheckDigitMismatch,
}

/// The check digit for the first seven digits of a Y-tunnus: with weights
/// `7 9 10 5 8 4 2` and `r = sum mod 11`, it is 0 when `r = 0` and `11 - r` otherwise.
/// `None` when `first7` is not exactly seven ASCII digits, or when `r = 1` (such numbers are
/// never issued).
#[must_use]
pub fn ytunnus_check_digit(first7: &str) -> Option<u8> {
    let b: &[u8; 7] = first7.as_bytes().try_into().ok()?;
    if !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = b
        .iter()
        .zip(YTUNNUS_WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    match sum % 11 {
        0 => Some(0),
        1 => None,
        // r is 2..=10 here, so 11 - r is a single digit.
        r => u8::try_from(11 - r).ok(),
    }
}

/// Checks a Y-tunnus (Finnish business id) in its only current form `NNNNNNN-K`.
///
/// The old form with six digits is not accepted, not even by adding a leading zero: a
/// document must carry the seven-digit form, and silently repairing it would hide the
/// error from the sender.
///
/// # Errors
///
/// [`YtunnusError`] for a wrong shape or check digit.
pub fn check_ytunnus(s: &str) -> Result<(), YtunnusError> {
    let b: &[u8; 9] = s
        .as_bytes()
        .try_into()
        .map_err(|_| YtunnusError::WrongShape)?;
    if !b[..7].iter().all(u8::is_ascii_digit) || b[7] != b'-' || !b[8].is_ascii_digit() {
        return Err(YtunnusError::WrongShape);
    }
    // `b[..7]` is seven ASCII digits, so it is valid UTF-8.
    let first7 = std::str::from_utf8(&b[..7]).map_err(|_| YtunnusError::WrongShape)?;
    let expected = ytunnus_check_digit(first7).ok_or(YtunnusError::NoValidCheckDigit)?;
    if expected != b[8] - b'0' {
        return Err(YtunnusError::CheckDigitMismatch);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Organisation arcs
// ---------------------------------------------------------------------------------------

/// Organisation OIDs formed from a y-tunnus: `1.2.246.10.<y-tunnus digits>...`.
pub const YTUNNUS_ARC: &str = "1.2.246.10.";
/// Organisation OIDs of the SOTE organisation register arc: `1.2.246.537.10.<n>...`.
pub const SOTE_ORGANISATION_ARC: &str = "1.2.246.537.10.";

/// Why a value is not an organisation (or service unit) OID. Holds nothing of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrganisationOidProblem {
    /// Not an OID in dotted decimal form.
    NotOid(OidError),
    /// An OID, but under neither organisation arc.
    OtherArc,
}

impl OrganisationOidProblem {
    /// The problem in the report's language.
    pub fn describe(self, lang: crate::definitions::Lang) -> String {
        match self {
            Self::NotOid(error) => crate::msg!(
                lang,
                "ei ole OID ({})",
                "är ingen OID ({})",
                "not an OID ({})",
                error
            ),
            Self::OtherArc => crate::msg!(
                lang,
                "ei ole organisaatiokaarella 1.2.246.10.<y-tunnus> tai 1.2.246.537.10.<n>",
                "ligger inte under organisationsbågen 1.2.246.10.<FO-nummer> eller 1.2.246.537.10.<n>",
                "not under the organisation arc 1.2.246.10.<y-tunnus> or 1.2.246.537.10.<n>"
            ),
        }
    }
}

/// Whether `oid` is an organisation or service-unit OID: dotted decimal under
/// `1.2.246.10.<y-tunnus digits>` or the SOTE organisation register's `1.2.246.537.10.<n>`
/// (both are used in real Finnish documents). `None` when it is.
#[must_use]
pub fn organisation_oid_problem(oid: &str) -> Option<OrganisationOidProblem> {
    if let Err(error) = check_oid(oid) {
        return Some(OrganisationOidProblem::NotOid(error));
    }
    let under = |arc: &str| oid.strip_prefix(arc).is_some_and(|rest| !rest.is_empty());
    if under(YTUNNUS_ARC) || under(SOTE_ORGANISATION_ARC) {
        None
    } else {
        Some(OrganisationOidProblem::OtherArc)
    }
}

/// `<organisation arc>.<n>.22.<year>`: the root of a temporary person identifier, under
/// either organisation arc (`1.2.246.10.2012566.22.2026`,
/// `1.2.246.537.10.15675350.22.2003`).
#[must_use]
pub fn is_temporary_id_root(root: &str) -> bool {
    let Some(rest) = root
        .strip_prefix(YTUNNUS_ARC)
        .or_else(|| root.strip_prefix(SOTE_ORGANISATION_ARC))
    else {
        return false;
    };
    let arcs: Vec<&str> = rest.split('.').collect();
    matches!(arcs.as_slice(), [org, "22", year]
        if !org.is_empty() && org.bytes().all(|b| b.is_ascii_digit())
            && year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()))
}

// ---------------------------------------------------------------------------------------
// OID
// ---------------------------------------------------------------------------------------

/// Longest OID accepted, in characters. HL7 v3 limits an `II.root` OID to 64 characters in
/// some profiles; 256 is a generous guard against runaway values, not a standard limit.
pub const OID_MAX_LEN: usize = 256;

/// Why a string is not a valid OID in dotted form. Holds nothing of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OidError {
    /// The string is empty.
    #[error("oid is empty")]
    Empty,
    /// Longer than [`OID_MAX_LEN`].
    #[error("oid is too long")]
    TooLong,
    /// Fewer than two arcs.
    #[error("oid must have at least two arcs")]
    TooFewArcs,
    /// Two dots in a row, or a leading or trailing dot.
    #[error("oid has an empty arc")]
    EmptyArc,
    /// An arc has a character other than an ASCII digit (a `urn:oid:` prefix, a space ...).
    #[error("oid arc has a character that is not a digit")]
    NotDigit,
    /// An arc of more than one digit starts with zero.
    #[error("oid arc has a leading zero")]
    LeadingZero,
    /// The first arc is not zero, one or two.
    #[error("oid first arc must be zero, one or two")]
    BadFirstArc,
    /// The first arc is zero or one and the second is above thirty-nine.
    #[error("oid second arc must be at most thirty-nine under first arc zero or one")]
    SecondArcTooLarge,
}

/// Checks an OID in dotted decimal form: at least two arcs of ASCII digits, no empty arc,
/// no leading zero (a lone `0` is fine), first arc 0, 1 or 2, second arc at most 39 under
/// 0 and 1, and at most [`OID_MAX_LEN`] characters. Arcs may be arbitrarily large numbers
/// (as in `2.25.<uuid>`), so they are checked as text, never parsed.
///
/// The `urn:oid:` prefix is not accepted here; strip it first where a URN is expected.
///
/// # Errors
///
/// The first [`OidError`] found.
pub fn check_oid(s: &str) -> Result<(), OidError> {
    if s.is_empty() {
        return Err(OidError::Empty);
    }
    if s.len() > OID_MAX_LEN {
        return Err(OidError::TooLong);
    }
    let mut arcs = 0usize;
    let mut first: &[u8] = &[];
    let mut second: &[u8] = &[];
    // One pass over the bytes (no `str::split`, which pays per match).
    for arc in s.as_bytes().split(|&b| b == b'.') {
        if arc.is_empty() {
            return Err(OidError::EmptyArc);
        }
        if !arc.iter().all(u8::is_ascii_digit) {
            return Err(OidError::NotDigit);
        }
        if arc.len() > 1 && arc[0] == b'0' {
            return Err(OidError::LeadingZero);
        }
        match arcs {
            0 => first = arc,
            1 => second = arc,
            _ => {}
        }
        arcs += 1;
    }
    if !matches!(first, b"0" | b"1" | b"2") {
        return Err(OidError::BadFirstArc);
    }
    if arcs < 2 {
        return Err(OidError::TooFewArcs);
    }
    if first != b"2" && ascii_number(second).is_none_or(|n| n > 39) {
        return Err(OidError::SecondArcTooLarge);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// HL7 v3 TS
// ---------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------
// Sosmeta Pvm and Hetki
// ---------------------------------------------------------------------------------------

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

    // ----- helpers -----

    /// Builds a hetu with the correct check character from its parts.
    fn make_hetu(ddmmyy: &str, sign: char, nnn: &str) -> String {
        let n: u32 = format!("{ddmmyy}{nnn}").parse().unwrap();
        let check = HETU_CHECK_CHARS[(n % 31) as usize] as char;
        format!("{ddmmyy}{sign}{nnn}{check}")
    }

    /// A hetu with every check passing except the check character.
    fn with_wrong_check(hetu: &str) -> String {
        let last = hetu.as_bytes()[10];
        let other = HETU_CHECK_CHARS.iter().find(|&&c| c != last).unwrap();
        format!("{}{}", &hetu[..10], *other as char)
    }

    /// Tiny deterministic generator for "random" inputs (no proptest in this crate).
    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn pick(&mut self, from: &[u8]) -> u8 {
            from[(self.next() % from.len() as u64) as usize]
        }
    }

    // ----- henkilötunnus -----

    #[test]
    fn hand_computed_hetus_parse() {
        // Check characters computed by hand: 10190999 mod 31 = 28 -> W, and so on.
        for (s, date, nnn) in [
            ("010190-999W", (1990, 1, 1), 999),
            ("131052-928T", (1952, 10, 13), 928),
            ("290200A900B", (2000, 2, 29), 900),
            ("010101+900R", (1801, 1, 1), 900),
            ("311299-999E", (1999, 12, 31), 999),
            // A real-range individual number, born in the future: nobody's.
            ("290296A0025", (2096, 2, 29), 2),
        ] {
            let h = parse_hetu(s).unwrap_or_else(|e| panic!("{}: {e}", mask(s)));
            assert_eq!(h.birth_date(), date);
            assert_eq!(h.individual_number(), nnn);
            assert_eq!(h.is_test(), nnn >= 900);
        }
    }

    #[test]
    fn domain_brief_example_has_wrong_check_character() {
        // DOMAIN.md writes 010190-999K; the algorithm gives W.
        assert_eq!(
            parse_hetu("010190-999K").err(),
            Some(HetuError::CheckCharacterMismatch)
        );
        assert!(looks_like_hetu("010190-999K"));
    }

    #[test]
    fn every_century_sign() {
        for (sign, century) in [
            ('+', 1800),
            ('-', 1900),
            ('Y', 1900),
            ('X', 1900),
            ('W', 1900),
            ('V', 1900),
            ('U', 1900),
            ('A', 2000),
            ('B', 2000),
            ('C', 2000),
            ('D', 2000),
            ('E', 2000),
            ('F', 2000),
        ] {
            let s = make_hetu("150642", sign, "917");
            let h = parse_hetu(&s).unwrap();
            assert_eq!(h.birth_date(), (century + 42, 6, 15));
            assert_eq!(h.century_sign(), sign);
            assert!(looks_like_hetu(&s));
        }
        // Same digits, different sign in one century: different people.
        let a = parse_hetu(&make_hetu("010190", '-', "999")).unwrap();
        let b = parse_hetu(&make_hetu("010190", 'Y', "999")).unwrap();
        assert_eq!(a.birth_date(), b.birth_date());
        assert_ne!(a, b);
        for sign in ['G', 'Z', 'a', 'y', '*', ' ', '0'] {
            let s = make_hetu("150642", sign, "917");
            assert_eq!(
                parse_hetu(&s).err(),
                Some(HetuError::BadCenturySign),
                "{sign}"
            );
            assert!(!looks_like_hetu(&s));
        }
    }

    #[test]
    fn many_generated_hetus_parse() {
        let mut count = 0;
        for (yy, sign) in [("00", 'A'), ("99", '-'), ("50", '+'), ("23", 'F')] {
            for month in 1..=12u8 {
                for day in [1u8, 15, 28] {
                    for nnn in [2u16, 3, 450, 899, 900, 999] {
                        let s = make_hetu(
                            &format!("{day:02}{month:02}{yy}"),
                            sign,
                            &format!("{nnn:03}"),
                        );
                        let h = parse_hetu(&s).unwrap();
                        assert_eq!(h.individual_number(), nnn);
                        assert_eq!(h.birth_date().1, month);
                        assert_eq!(h.birth_date().2, day);
                        assert_eq!(h.is_test(), nnn >= 900);
                        assert!(parse_hetu(&with_wrong_check(&s)).is_err());
                        count += 1;
                    }
                }
            }
        }
        assert_eq!(count, 4 * 12 * 3 * 6);
    }

    #[test]
    fn leap_days_use_the_century() {
        assert!(parse_hetu(&make_hetu("290200", 'A', "900")).is_ok()); // 2000: leap
        assert_eq!(
            parse_hetu(&make_hetu("290200", '-', "900")).err(),
            Some(HetuError::ImpossibleDate) // 1900: not leap
        );
        assert_eq!(
            parse_hetu(&make_hetu("290200", '+', "900")).err(),
            Some(HetuError::ImpossibleDate) // 1800: not leap
        );
        assert!(parse_hetu(&make_hetu("290296", '-', "900")).is_ok()); // 1996
        assert!(parse_hetu(&make_hetu("290204", 'B', "900")).is_ok()); // 2004
        assert_eq!(
            parse_hetu(&make_hetu("290201", 'A', "900")).err(),
            Some(HetuError::ImpossibleDate)
        );
    }

    #[test]
    fn impossible_hetu_dates() {
        for ddmmyy in [
            "000190", "320190", "310490", "010090", "011390", "300290", "999999",
        ] {
            assert_eq!(
                parse_hetu(&make_hetu(ddmmyy, '-', "900")).err(),
                Some(HetuError::ImpossibleDate),
                "{ddmmyy}"
            );
        }
    }

    #[test]
    fn individual_numbers_000_and_001_are_not_used() {
        for nnn in ["000", "001"] {
            assert_eq!(
                parse_hetu(&make_hetu("010190", '-', nnn)).err(),
                Some(HetuError::IndividualNumberOutOfRange)
            );
        }
        assert!(parse_hetu(&make_hetu("010190", '-', "002")).is_ok());
    }

    #[test]
    fn wrong_check_character() {
        let good = make_hetu("131052", '-', "928");
        for c in HETU_CHECK_CHARS.iter().filter(|&&c| c != b'T') {
            let s = format!("{}{}", &good[..10], *c as char);
            assert_eq!(
                parse_hetu(&s).err(),
                Some(HetuError::CheckCharacterMismatch)
            );
        }
    }

    #[test]
    fn hetu_shape_errors() {
        for s in [
            "",
            "131052-928",
            "131052-928TT",
            " 131052-928T",
            "131052-928T ",
            "131052-928t", // lowercase check char
            "131052-928G", // G, I, O, Q, Z are not in the alphabet
            "131052-928I",
            "131052-928O",
            "131052-928Q",
            "131052-928Z",
            "13105a-928T",
            "131052-3o8T",
            "131052–928T", // en dash
            "１31052-928T",
        ] {
            assert_eq!(
                parse_hetu(s).err(),
                Some(HetuError::WrongShape),
                "{}",
                mask(s)
            );
        }
        // Lowercase century sign is an unknown sign.
        assert_eq!(
            parse_hetu(&make_hetu("010100", 'a', "900")).err(),
            Some(HetuError::BadCenturySign)
        );
        assert_eq!(
            "131052-928T".parse::<Hetu>().map(|h| h.individual_number()),
            Ok(928)
        );
    }

    #[test]
    fn hetu_debug_redacts() {
        let h = parse_hetu("131052-928T").unwrap();
        let dbg = format!("{h:?}");
        assert_eq!(dbg, "Hetu(<redacted>)");
    }

    #[test]
    fn random_input_never_panics_and_shape_matches() {
        let alphabet = b"0123456789-+ABCDEFUVWXYabcGZ .";
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..20_000 {
            let len = (rng.next() % 13) as usize;
            let s: String = (0..len).map(|_| rng.pick(alphabet) as char).collect();
            let parsed = parse_hetu(&s);
            if parsed.is_ok() {
                assert!(looks_like_hetu(&s));
            }
            if !looks_like_hetu(&s) {
                assert!(parsed.is_err());
            }
            let _ = check_pvm(&s);
            let _ = check_hetki(&s);
            let _ = parse_hl7_ts(&s);
            let _ = check_oid(&s);
            let _ = check_ytunnus(&s);
            let _ = mask(&s);
        }
    }

    #[test]
    fn looks_like_hetu_is_shape_only() {
        assert!(looks_like_hetu("131052-928T"));
        assert!(looks_like_hetu("999999A0009")); // impossible date, still the shape
        assert!(!looks_like_hetu("131052-928t"));
        assert!(!looks_like_hetu("131052-928"));
        assert!(!looks_like_hetu("131052G928T"));
        assert!(!looks_like_hetu("x131052-928T"));
        assert!(!looks_like_hetu(""));
    }

    // ----- mask -----

    #[test]
    fn mask_keeps_punctuation_and_caps_length() {
        assert_eq!(mask("010190-999W"), "******-****");
        assert_eq!(mask(""), "");
        assert_eq!(mask("1.2.246.21"), "*.*.***.**");
        assert_eq!(mask("Äiti ja isä"), "**** ** ***");
        assert_eq!(mask("1234567890123456"), "****************");
        assert_eq!(mask("12345678901234567"), "****************…");
        assert_eq!(mask("1.2.246.537.6.1506.19008"), "*.*.***.***.*.**…");
        assert!(!mask("131052-928T").chars().any(char::is_alphanumeric));
    }

    // ----- y-tunnus -----

    #[test]
    fn ytunnus_good() {
        // Hand-computed: 0737546 sums to 75, r = 9, check 2; 0112038 r = 2, check 9;
        // 1572860 r = 0, check 0.
        for s in [
            "0737546-2",
            "0112038-9",
            "1572860-0",
            "2617416-4",
            "0000000-0",
        ] {
            assert_eq!(check_ytunnus(s), Ok(()), "{s}");
        }
        assert_eq!(ytunnus_check_digit("0737546"), Some(2));
        assert_eq!(ytunnus_check_digit("1572860"), Some(0));
        assert_eq!(ytunnus_check_digit("0000001"), Some(9));
    }

    #[test]
    fn ytunnus_remainder_one_is_never_valid() {
        // 1*7 + 2*9 + 3*10 + 4*5 + 5*8 + 6*4 + 8*2 = 155 = 14*11 + 1
        assert_eq!(ytunnus_check_digit("1234568"), None);
        assert_eq!(ytunnus_check_digit("0000006"), None);
        assert_eq!(ytunnus_check_digit("1234567"), Some(1)); // r = 10
        for k in 0..=9 {
            assert_eq!(
                check_ytunnus(&format!("1234568-{k}")),
                Err(YtunnusError::NoValidCheckDigit)
            );
        }
    }

    #[test]
    fn ytunnus_every_wrong_digit_is_caught() {
        let mut checked = 0;
        for n in (0..10_000_000u32).step_by(7_919) {
            let first7 = format!("{n:07}");
            let Some(good) = ytunnus_check_digit(&first7) else {
                continue;
            };
            for k in 0..=9u8 {
                let r = check_ytunnus(&format!("{first7}-{k}"));
                if k == good {
                    assert_eq!(r, Ok(()));
                } else {
                    assert_eq!(r, Err(YtunnusError::CheckDigitMismatch));
                }
            }
            checked += 1;
        }
        assert!(checked > 1000);
    }

    #[test]
    fn ytunnus_shape_errors() {
        for s in [
            "",
            "0737546",
            "07375462",
            "737546-2",
            "0737546-",
            "0737546-22",
            "0737546–2",
            "073754a-2",
            "0737546 2",
            " 0737546-2",
            "0737546-x",
        ] {
            assert_eq!(check_ytunnus(s), Err(YtunnusError::WrongShape), "{s}");
        }
        for s in ["", "073754", "07375460", "073754a", "０737546"] {
            assert_eq!(ytunnus_check_digit(s), None, "{s}");
        }
    }

    // ----- OID -----

    #[test]
    fn oid_good() {
        for s in [
            "1.2.246.21",
            "1.2.246.537.6.1506.19008.2023.1.1",
            "2.16.840.1.113883.1.3",
            "0.0",
            "1.0",
            "1.39",
            "0.39.0",
            "2.999",
            "2.25.329800735698586629295641978511506172918",
            "1.2.246.10.7375462.10.0",
        ] {
            assert_eq!(check_oid(s), Ok(()), "{s}");
        }
        let long = format!("1.2{}", ".1".repeat((OID_MAX_LEN - 3) / 2));
        assert!(long.len() <= OID_MAX_LEN);
        assert_eq!(check_oid(&long), Ok(()));
    }

    #[test]
    fn oid_bad() {
        for (s, e) in [
            ("", OidError::Empty),
            ("1", OidError::TooFewArcs),
            ("2", OidError::TooFewArcs),
            ("3", OidError::BadFirstArc),
            ("1.02.3", OidError::LeadingZero),
            ("01.2", OidError::LeadingZero),
            ("1.2.00", OidError::LeadingZero),
            ("1..2", OidError::EmptyArc),
            (".1.2", OidError::EmptyArc),
            ("1.2.", OidError::EmptyArc),
            ("urn:oid:1.2.246.21", OidError::NotDigit),
            ("1.2.246.21 ", OidError::NotDigit),
            ("1.2.-3", OidError::NotDigit),
            ("1.2.٣", OidError::NotDigit),
            ("3.1", OidError::BadFirstArc),
            ("10.1", OidError::BadFirstArc),
            ("1.40", OidError::SecondArcTooLarge),
            ("0.40", OidError::SecondArcTooLarge),
            ("1.100000000000000000000", OidError::SecondArcTooLarge),
        ] {
            assert_eq!(check_oid(s), Err(e), "{s}");
        }
        let long = format!("1.2{}", ".1".repeat(OID_MAX_LEN));
        assert_eq!(check_oid(&long), Err(OidError::TooLong));
        assert_eq!(
            check_oid(&"1".repeat(OID_MAX_LEN + 1)),
            Err(OidError::TooLong)
        );
    }

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

    // ----- privacy of messages -----

    /// Every error variant, triggered by a real input: neither its Display nor its Debug
    /// contains a digit (so no digit sequence of the input), nor the masked-out letters.
    #[test]
    fn error_texts_contain_nothing_of_the_input() {
        let mut texts: Vec<(String, String)> = Vec::new();
        let mut push = |input: &str, display: String, debug: String| {
            texts.push((input.to_owned(), display));
            texts.push((input.to_owned(), debug));
        };
        let good = make_hetu("131052", '-', "928");
        let hetu_cases = [
            ("131052-30".to_owned(), HetuError::WrongShape),
            (make_hetu("131052", 'G', "928"), HetuError::BadCenturySign),
            (make_hetu("310252", '-', "928"), HetuError::ImpossibleDate),
            (
                make_hetu("131052", '-', "001"),
                HetuError::IndividualNumberOutOfRange,
            ),
            (with_wrong_check(&good), HetuError::CheckCharacterMismatch),
        ];
        for (input, want) in &hetu_cases {
            let e = parse_hetu(input).unwrap_err();
            assert_eq!(&e, want);
            push(input, e.to_string(), format!("{e:?}"));
        }
        for (input, want) in [
            ("073754-62", YtunnusError::WrongShape),
            ("1234568-1", YtunnusError::NoValidCheckDigit),
            ("0737546-3", YtunnusError::CheckDigitMismatch),
        ] {
            let e = check_ytunnus(input).unwrap_err();
            assert_eq!(e, want);
            push(input, e.to_string(), format!("{e:?}"));
        }
        for (input, want) in [
            ("", OidError::Empty),
            ("1", OidError::TooFewArcs),
            ("1..2", OidError::EmptyArc),
            ("1.2a", OidError::NotDigit),
            ("1.02", OidError::LeadingZero),
            ("3.14", OidError::BadFirstArc),
            ("1.40", OidError::SecondArcTooLarge),
        ] {
            let e = check_oid(input).unwrap_err();
            assert_eq!(e, want);
            push(input, e.to_string(), format!("{e:?}"));
        }
        let long_oid = "12345678.".repeat(40);
        let e = check_oid(&long_oid).unwrap_err();
        assert_eq!(e, OidError::TooLong);
        push(&long_oid, e.to_string(), format!("{e:?}"));
        for (input, want) in [
            ("2026071", TsError::WrongShape),
            ("202607171306.5", TsError::FractionWithoutSeconds),
            ("20260717130654.12345", TsError::BadFraction),
            ("20260717+0300", TsError::ZoneWithoutTime),
            ("20260717130654+1500", TsError::ZoneOutOfRange),
            ("20230230", TsError::ImpossibleDate),
            ("2023021725", TsError::ImpossibleTime),
        ] {
            let e = parse_hl7_ts(input).unwrap_err();
            assert_eq!(e, want);
            push(input, e.to_string(), format!("{e:?}"));
        }
        use DateTimeProblem as P;
        for (input, want) in [
            ("31.12.1952", P::Malformed),
            ("-1952-12-31", P::NonPositiveYear),
            ("1952-13-31", P::MonthOutOfRange),
            ("1952-02-31", P::DayOutOfRange),
        ] {
            let PvmCheck::Invalid(e) = check_pvm(input) else {
                panic!("{input}")
            };
            assert_eq!(e, want);
            push(
                input,
                e.to_string(),
                format!("{e:?} {:?}", check_pvm(input)),
            );
        }
        for (input, want) in [
            ("1952-12-31T25:13:52Z", P::HourOutOfRange),
            ("1952-12-31T13:61:52Z", P::MinuteOutOfRange),
            ("1952-12-31T13:10:61Z", P::SecondOutOfRange),
            ("1952-12-31T13:10:52+15:00", P::ZoneOutOfRange),
        ] {
            let HetkiCheck::Invalid(e) = check_hetki(input) else {
                panic!("{input}")
            };
            assert_eq!(e, want);
            push(
                input,
                e.to_string(),
                format!("{e:?} {:?}", check_hetki(input)),
            );
        }
        assert_eq!(texts.len(), 2 * (5 + 3 + 8 + 7 + 4 + 4));
        for (input, text) in &texts {
            assert!(!text.is_empty());
            assert!(
                !text.chars().any(|c| c.is_ascii_digit()),
                "message with a digit for {}: {text}",
                mask(input)
            );
            // Any run of two or more digits in the input is absent (implied by the above,
            // kept explicit for the intent).
            for run in input
                .split(|c: char| !c.is_ascii_digit())
                .filter(|r| r.len() >= 2)
            {
                assert!(!text.contains(run));
            }
        }
        // Display texts: lowercase start, no final full stop.
        for (_, text) in texts.iter().step_by(2) {
            assert!(!text.ends_with('.'), "{text}");
            assert!(
                text.chars().next().is_some_and(char::is_lowercase),
                "{text}"
            );
        }
    }

    #[test]
    fn organisation_oids_under_either_arc() {
        assert_eq!(organisation_oid_problem("1.2.246.10.1230.10.1001"), None);
        assert_eq!(organisation_oid_problem("1.2.246.537.10.15675350"), None);
        assert_eq!(
            organisation_oid_problem("1.2.246.537.6.202"),
            Some(OrganisationOidProblem::OtherArc)
        );
        assert_eq!(
            organisation_oid_problem("1.2.246.10."),
            Some(OrganisationOidProblem::NotOid(OidError::EmptyArc))
        );
        assert!(matches!(
            organisation_oid_problem("perhekeskus"),
            Some(OrganisationOidProblem::NotOid(_))
        ));
        // The arc alone is not an organisation.
        assert_eq!(
            organisation_oid_problem("1.2.246.537.10"),
            Some(OrganisationOidProblem::OtherArc)
        );
        assert!(is_temporary_id_root("1.2.246.537.10.15675350.22.2003"));
        assert!(is_temporary_id_root("1.2.246.10.2012566.22.2026"));
        assert!(!is_temporary_id_root("1.2.246.537.10.15675350.95.2003"));
    }
}
