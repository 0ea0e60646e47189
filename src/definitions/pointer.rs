//! RFC 6901 JSON pointers: how elements, rules and findings name a place in the content.

/// Appends `/` and `key` escaped as an RFC 6901 segment to `pointer`, without allocating
/// for keys that need no escape.
pub fn push_pointer_segment(pointer: &mut String, key: &str) {
    pointer.push('/');
    if key.contains(['~', '/']) {
        pointer.push_str(&escape_pointer(key));
    } else {
        pointer.push_str(key);
    }
}

/// Escapes a key for an RFC 6901 pointer.
pub fn escape_pointer(key: &str) -> String {
    if !key.contains(['~', '/']) {
        return key.to_string();
    }
    key.replace('~', "~0").replace('/', "~1")
}

/// Splits an RFC 6901 pointer into unescaped segments; `None` if it does not start with `/`.
pub fn split_pointer(pointer: &str) -> Option<impl Iterator<Item = String> + '_> {
    let rest = pointer.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|segment| segment.replace("~1", "/").replace("~0", "~")),
    )
}
