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

mod calendar;
mod datetime;
mod hetu;
mod mask;
mod oid;
mod timestamp;
mod ytunnus;

pub use datetime::*;
pub use hetu::*;
pub use mask::*;
pub use oid::*;
pub use timestamp::*;
pub use ytunnus::*;

#[cfg(test)]
mod tests {
    use super::hetu::tests::{make_hetu, with_wrong_check};
    use super::*;

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
}
