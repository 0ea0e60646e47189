//! JSON: the [`Summary`] as it is, names in both languages. The same shape serves the
//! service's conformance summary.

use std::io::{self, Write};

use crate::report::survey::Summary;

pub fn render(summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, summary)?;
    writeln!(out)
}
