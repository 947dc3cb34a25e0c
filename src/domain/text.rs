//! Text people type into single-line fields: no control characters (NUL,
//! tab, line breaks, escape...). PostgreSQL cannot even store a NUL, and
//! none of them belongs in a name, a code or a search.

/// The message shown beside a field that holds a control character.
pub const CONTROL_MESSAGE: &str =
    "Remove the control characters (such as NUL, tab or a line break) from this field.";

/// Does `raw` hold a control character?
pub fn has_control(raw: &str) -> bool {
    raw.chars().any(char::is_control)
}

/// `raw` trimmed, or the message for a field with control characters.
pub fn plain(raw: &str) -> Result<&str, String> {
    if has_control(raw) {
        return Err(CONTROL_MESSAGE.into());
    }
    Ok(raw.trim())
}

/// A name field: trimmed, not empty when `required` says what to enter,
/// at most `max` characters, no control characters.
pub fn name(raw: &str, required: Option<&str>, max: usize) -> Result<String, String> {
    let name = plain(raw)?;
    match required {
        Some(message) if name.is_empty() => Err(message.into()),
        _ if name.chars().count() > max => Err(format!("Use at most {max} characters.")),
        _ => Ok(name.to_string()),
    }
}

/// At most `max` characters of `raw`, with control characters replaced,
/// for storing what an anonymous client typed (e.g. a refused code).
pub fn clipped(raw: &str, max: usize) -> String {
    raw.chars()
        .take(max)
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

/// A count with thousands separators: `1,004`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Names every character of `text` that `allowed` refuses, for a form
/// message: "spaces are not allowed", "spaces, dashes and “é” are not
/// allowed", "“!” is not allowed"; `None` when every character is allowed.
pub fn not_allowed(text: &str, allowed: impl Fn(char) -> bool) -> Option<String> {
    let mut names: Vec<String> = Vec::new();
    for c in text.chars().filter(|c| !allowed(*c)) {
        let name = if c.is_whitespace() {
            "spaces".to_string()
        } else if c == '-' {
            "dashes".to_string()
        } else if c.is_control() {
            "control characters".to_string()
        } else {
            format!("“{c}”")
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let many = names.len() > 1 || names.first().is_some_and(|n| !n.starts_with('“'));
    let last = names.pop()?;
    let list = if names.is_empty() {
        last
    } else {
        format!("{} and {last}", names.join(", "))
    };
    Some(format!(
        "{list} {} not allowed",
        if many { "are" } else { "is" }
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_refused_character_is_named() {
        let code = |c: char| c.is_ascii_alphanumeric();
        assert_eq!(not_allowed("SUMMER10", code), None);
        assert_eq!(
            not_allowed("SUMMER 10", code).as_deref(),
            Some("spaces are not allowed")
        );
        assert_eq!(
            not_allowed("SUM!", code).as_deref(),
            Some("“!” is not allowed")
        );
        assert_eq!(
            not_allowed("é t-a!é", code).as_deref(),
            Some("“é”, spaces, dashes and “!” are not allowed")
        );
        assert_eq!(
            not_allowed("a!b?", code).as_deref(),
            Some("“!” and “?” are not allowed")
        );
    }

    use super::*;

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1004), "1,004");
        assert_eq!(thousands(-1_000_000), "-1,000,000");
        assert_eq!(thousands(i64::MIN), "-9,223,372,036,854,775,808");
    }

    #[test]
    fn control_characters_are_refused_everywhere_in_the_text() {
        for bad in [
            "A\0B",
            "\0",
            "tab\there",
            "line\nbreak",
            "cr\r",
            "esc\u{1b}",
            "\u{7f}",
            "\u{85}",
        ] {
            assert!(has_control(bad), "{bad:?}");
            assert_eq!(plain(bad), Err(CONTROL_MESSAGE.to_string()));
            assert!(name(bad, None, 80).is_err());
        }
        assert_eq!(plain("  Summer sale "), Ok("Summer sale"));
        assert_eq!(plain("Été – 10 €"), Ok("Été – 10 €"));
    }

    #[test]
    fn names_are_trimmed_required_and_bounded() {
        assert_eq!(
            name(" Espresso ", Some("Enter it."), 80),
            Ok("Espresso".into())
        );
        assert_eq!(name("   ", Some("Enter it."), 80), Err("Enter it.".into()));
        assert_eq!(name("", None, 80), Ok(String::new()));
        assert!(name(&"x".repeat(81), None, 80).is_err());
        assert!(name(&"é".repeat(80), None, 80).is_ok());
    }

    #[test]
    fn clipped_text_is_bounded_and_printable() {
        assert_eq!(clipped("A\0B", 64), "A\u{FFFD}B");
        assert_eq!(clipped(&"x".repeat(200_000), 64).chars().count(), 64);
        assert_eq!(clipped("ÉTÉ", 2), "ÉT");
    }
}
