//! Masking a value for a message: the shape stays readable, the characters do not.

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
