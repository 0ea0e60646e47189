//! Y-tunnus (Finnish business id) in its seven-digit form with the check digit.

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
