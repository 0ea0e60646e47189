//! OIDs in dotted decimal form, organisation (and service unit) OIDs under their two arcs,
//! and the roots of temporary identifiers.

use super::calendar::ascii_number;

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
    pub fn describe(self, lang: crate::lang::Lang) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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
