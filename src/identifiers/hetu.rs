//! Henkilötunnus (Finnish personal identity code): full parsing with the check character,
//! and a shape-only test for scrubbing values out of text.

use std::fmt;
use std::str::FromStr;

use super::calendar::*;

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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::identifiers::datetime::{check_hetki, check_pvm};
    use crate::identifiers::mask::mask;
    use crate::identifiers::oid::check_oid;
    use crate::identifiers::timestamp::parse_hl7_ts;
    use crate::identifiers::ytunnus::check_ytunnus;

    // ----- helpers -----

    /// Builds a hetu with the correct check character from its parts.
    pub(crate) fn make_hetu(ddmmyy: &str, sign: char, nnn: &str) -> String {
        let n: u32 = format!("{ddmmyy}{nnn}").parse().unwrap();
        let check = HETU_CHECK_CHARS[(n % 31) as usize] as char;
        format!("{ddmmyy}{sign}{nnn}{check}")
    }

    /// A hetu with every check passing except the check character.
    pub(crate) fn with_wrong_check(hetu: &str) -> String {
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
        // 010190-999K is a misprint seen in notes: 010190999 mod 31 gives W.
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
}
