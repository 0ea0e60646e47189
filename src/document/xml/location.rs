//! Where in the source an element or an error is: 1-based lines and columns in
//! characters, found from byte offsets in one forward pass.

/// A 1-based line and column (in characters) in the source document.
///
/// Lines are counted by `\n` (so CRLF counts once); the column counts characters from the
/// start of the line; a byte order mark is not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column number in characters.
    pub column: u32,
}

/// Converts byte offsets to line and column; offsets are usually asked for in increasing
/// order, so the cursor only moves forward (linear over the whole document), from one line
/// end to the next.
pub(super) struct LineCursor<'s> {
    src: &'s str,
    newlines: memchr::Memchr<'s>,
    /// The first line end at or after `offset`.
    next_newline: Option<usize>,
    /// A byte offset on line `line`, at column `column`.
    offset: usize,
    line: u32,
    column: u32,
}

impl<'s> LineCursor<'s> {
    #[inline]
    pub(super) fn new(src: &'s str) -> Self {
        let mut newlines = memchr::memchr_iter(b'\n', src.as_bytes());
        let next_newline = newlines.next();
        Self {
            src,
            newlines,
            next_newline,
            offset: 0,
            line: 1,
            column: 1,
        }
    }

    #[inline]
    pub(super) fn locate(&mut self, offset: usize) -> Location {
        let mut offset = offset.min(self.src.len());
        while !self.src.is_char_boundary(offset) {
            offset -= 1;
        }
        if offset < self.offset {
            *self = Self::new(self.src);
        }
        while let Some(newline) = self.next_newline.filter(|&n| n < offset) {
            self.line = self.line.saturating_add(1);
            self.offset = newline + 1;
            self.column = 1;
            self.next_newline = self.newlines.next();
        }
        // Counted from the previous offset when it is on the same line, so that a document
        // on one long line stays linear.
        let bytes = &self.src.as_bytes()[self.offset..offset];
        self.column = self.column.saturating_add(count_chars(bytes));
        self.offset = offset;
        Location {
            line: self.line,
            column: self.column,
        }
    }
}

/// The number of UTF-8 characters in `bytes` (bytes that are not continuation bytes).
#[inline]
pub(super) fn count_chars(bytes: &[u8]) -> u32 {
    let n = if bytes.is_ascii() {
        bytes.len()
    } else {
        bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
    };
    u32::try_from(n).unwrap_or(u32::MAX)
}
