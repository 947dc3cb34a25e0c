//! CSV cells for exports: quoted when needed, and neutralised when a
//! spreadsheet would read them as a formula (OWASP's CSV injection rule,
//! SPEC section 9).

use std::borrow::Cow;

/// The first characters that make a spreadsheet evaluate a cell.
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Would a spreadsheet read this text as a formula?
pub fn looks_like_formula(text: &str) -> bool {
    text.starts_with(FORMULA_STARTS)
}

/// One cell: `'` before a formula-like text, then quoted if it holds a
/// comma, a quote or a line break.
pub fn cell(text: &str) -> Cow<'_, str> {
    let text: Cow<'_, str> = if looks_like_formula(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    };
    if text.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for (raw, shown) in [
            ("=1+1", "'=1+1"),
            ("+SUM(A1)", "'+SUM(A1)"),
            ("-ABC", "'-ABC"),
            ("@cmd", "'@cmd"),
            ("\tX", "'\tX"),
            ("\rX", "\"'\rX\""),
            (
                "=HYPERLINK(\"x\",\"y\")",
                "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"",
            ),
        ] {
            assert_eq!(cell(raw), shown, "{raw:?}");
        }
    }

    #[test]
    fn plain_cells_are_unchanged_or_quoted() {
        assert_eq!(cell("SUMMER10"), "SUMMER10");
        assert_eq!(cell("A-1"), "A-1");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell(""), "");
    }
}
