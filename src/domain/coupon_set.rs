//! Coupon sets (SPEC section 5): batches of single-use codes on one main
//! coupon. The form's rules, the code space, and CSV import lines.

use serde::Deserialize;

use super::code::normal_form;
use super::codegen::ALPHABET;
use super::csv::looks_like_formula;
use super::form_errors::FormErrors;
use super::text::thousands;

pub const NAME_MAX: usize = 50;
pub const COUNT_MAX: u64 = 1_000_000;
pub const PREFIX_MAX: usize = 12;
pub const LENGTH_MIN: u32 = 6;
pub const LENGTH_MAX: u32 = 24;
pub const LENGTH_DEFAULT: u32 = 10;
pub const IMPORT_CODE_MAX: usize = 64;
/// Imported codes have at least this many letters and digits, so that
/// guessing one is slow (SPEC section 12).
pub const IMPORT_CODE_MIN: usize = 6;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SetInput {
    pub name: String,
    pub coupon_id: String,
    pub count: String,
    pub prefix: String,
    pub code_length: String,
}

impl Default for SetInput {
    fn default() -> Self {
        SetInput {
            name: String::new(),
            coupon_id: String::new(),
            count: String::new(),
            prefix: String::new(),
            code_length: LENGTH_DEFAULT.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetDraft {
    pub name: String,
    pub coupon_id: i64,
    pub count: u64,
    pub prefix: String,
    pub code_length: u32,
}

/// How many codes of `length` random characters exist.
pub fn code_space(length: u32) -> u128 {
    (ALPHABET.len() as u128).saturating_pow(length)
}

/// Random codes stay cheap to draw while at most a tenth of the space is
/// taken; past that a request is refused up front instead of looping.
pub fn fits(existing: u64, count: u64, length: u32) -> bool {
    u128::from(existing) + u128::from(count) <= code_space(length) / 10
}

pub fn parse_count(raw: &str) -> Result<u64, String> {
    match raw.trim().replace(['_', ','], "").parse::<u64>() {
        Ok(n) if (1..=COUNT_MAX).contains(&n) => Ok(n),
        _ => Err(format!(
            "Enter how many codes to generate: 1 to {COUNT_MAX}."
        )),
    }
}

/// Checks the set form; `coupon_ok` says whether the id names a coupon of
/// the store that is neither deleted nor archived.
pub fn check(input: &SetInput, coupon_ok: bool) -> Result<SetDraft, FormErrors> {
    let mut errors = FormErrors::default();
    let name = errors.check(
        "name",
        super::text::name(
            &input.name,
            Some("Enter a name, e.g. Spring mailing."),
            NAME_MAX,
        ),
    );
    let coupon_id = input
        .coupon_id
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|_| coupon_ok);
    if coupon_id.is_none() {
        errors.add(
            "coupon_id",
            "Choose a coupon of this store that is not deleted or archived.",
        );
    }
    let count = errors.check("count", parse_count(&input.count));
    let prefix = input.prefix.trim();
    if prefix.len() > PREFIX_MAX {
        errors.add("prefix", format!("Use at most {PREFIX_MAX} characters."));
    } else if !prefix
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        errors.add("prefix", "Use only letters, digits and dashes.");
    } else if looks_like_formula(prefix) {
        errors.add(
            "prefix",
            "Start with a letter or digit: spreadsheets run a cell starting with “-” as a formula.",
        );
    }
    let length = match input.code_length.trim() {
        "" => Some(LENGTH_DEFAULT),
        raw => match raw.parse::<u32>() {
            Ok(n) if (LENGTH_MIN..=LENGTH_MAX).contains(&n) => Some(n),
            _ => {
                errors.add(
                    "code_length",
                    format!("Choose {LENGTH_MIN} to {LENGTH_MAX} random characters."),
                );
                None
            }
        },
    };
    match (name, coupon_id, count, length) {
        (Some(name), Some(coupon_id), Some(count), Some(code_length)) if errors.is_empty() => {
            Ok(SetDraft {
                name,
                coupon_id,
                count,
                prefix: prefix.to_uppercase(),
                code_length,
            })
        }
        _ => Err(errors),
    }
}

/// One code of an imported file, or why the line was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportLine {
    Code { text: String, normal: String },
    Skip,
    Refused(String),
}

/// Reads one CSV line: the first field is the code (quotes allowed); an
/// empty line, or a first line reading `code`, is skipped.
pub fn import_line(line: &str, first: bool) -> ImportLine {
    let field = line
        .split(',')
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches('"')
        .trim();
    if field.is_empty() || (first && field.eq_ignore_ascii_case("code")) {
        return ImportLine::Skip;
    }
    if let Some(start) = field.chars().next().filter(|_| looks_like_formula(field)) {
        return ImportLine::Refused(format!(
            "starts with “{}”, which spreadsheets run as a formula",
            start.escape_default()
        ));
    }
    if let Some(bad) = field
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == ' '))
    {
        return ImportLine::Refused(format!(
            "bad character “{bad}” (letters, digits and dashes only)"
        ));
    }
    if field.len() > IMPORT_CODE_MAX {
        return ImportLine::Refused(format!(
            "too long ({} characters, at most {IMPORT_CODE_MAX})",
            field.len()
        ));
    }
    let normal = normal_form(field);
    if normal.chars().count() < IMPORT_CODE_MIN {
        return ImportLine::Refused(format!(
            "too short ({} letters and digits, at least {IMPORT_CODE_MIN}: short codes are easy to guess)",
            normal.chars().count()
        ));
    }
    ImportLine::Code {
        text: field.split_whitespace().collect(),
        normal,
    }
}

/// The set codes an archive or delete of their coupon ends (SPEC 3):
/// unused codes are deleted, used ones archived.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndedCodes {
    /// Sets that had unused codes.
    pub sets: i64,
    pub unused: i64,
    pub used: i64,
}

impl EndedCodes {
    pub fn add(&mut self, unused: i64, used: i64) {
        self.sets += i64::from(unused > 0);
        self.unused += unused;
        self.used += used;
    }

    pub fn is_empty(&self) -> bool {
        self.unused == 0 && self.used == 0
    }

    /// Adds what another coupon's sets ended.
    pub fn merge(&mut self, other: &EndedCodes) {
        self.sets += other.sets;
        self.unused += other.unused;
        self.used += other.used;
    }

    fn unused_of_sets(&self) -> String {
        format!(
            "{} unused {} of {} {}",
            thousands(self.unused),
            plural(self.unused, "code", "codes"),
            thousands(self.sets),
            plural(self.sets, "set", "sets"),
        )
    }

    /// What will go, for a confirmation: "1,004 unused codes of 2 sets
    /// will be deleted; used codes are kept." (empty when nothing goes).
    pub fn at_stake(&self) -> String {
        if self.unused == 0 {
            return String::new();
        }
        format!(
            "{} will be deleted; used codes are kept.",
            self.unused_of_sets()
        )
    }

    /// What went, for the flash message and the activity log: "1,004
    /// unused codes of 2 sets deleted, 3 used codes archived" (empty when
    /// nothing went).
    pub fn done(&self) -> String {
        let mut parts = Vec::new();
        if self.unused > 0 {
            parts.push(format!("{} deleted", self.unused_of_sets()));
        }
        if self.used > 0 {
            parts.push(format!(
                "{} used {} archived",
                thousands(self.used),
                plural(self.used, "code", "codes")
            ));
        }
        parts.join(", ")
    }
}

/// How many of a set's unused codes can still be redeemed, given the uses
/// its coupon has left (`None`: no limit), e.g. "Only 100 of its 1,004
/// unused codes can be redeemed: the coupon has 100 uses left."
pub fn capacity(unused: i64, remaining: Option<i64>) -> String {
    let codes = format!(
        "{} unused {}",
        thousands(unused),
        plural(unused, "code", "codes")
    );
    match remaining {
        _ if unused == 0 => "No unused codes are left in this set.".to_string(),
        None => format!("Each of its {codes} can be redeemed once: the coupon has no limit."),
        Some(0) => format!("None of its {codes} can be redeemed: the coupon has no uses left."),
        Some(left) if left < unused => format!(
            "Only {} of its {codes} can be redeemed: the coupon has {} {} left.",
            thousands(left),
            thousands(left),
            plural(left, "use", "uses")
        ),
        Some(left) => format!(
            "All of its {codes} can be redeemed: the coupon has {} {} left.",
            thousands(left),
            plural(left, "use", "uses")
        ),
    }
}

fn plural(n: i64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    #[test]
    fn capacity_says_the_real_numbers() {
        assert_eq!(
            capacity(1004, Some(100)),
            "Only 100 of its 1,004 unused codes can be redeemed: the coupon has 100 uses left."
        );
        assert_eq!(
            capacity(1004, None),
            "Each of its 1,004 unused codes can be redeemed once: the coupon has no limit."
        );
        assert_eq!(
            capacity(5, Some(5000)),
            "All of its 5 unused codes can be redeemed: the coupon has 5,000 uses left."
        );
        assert_eq!(
            capacity(1, Some(0)),
            "None of its 1 unused code can be redeemed: the coupon has no uses left."
        );
        assert_eq!(
            capacity(0, Some(3)),
            "No unused codes are left in this set."
        );
    }

    #[test]
    fn ended_codes_say_what_goes_with_real_counts() {
        let mut ended = EndedCodes::default();
        assert!(ended.is_empty());
        assert_eq!(ended.at_stake(), "");
        assert_eq!(ended.done(), "");
        ended.add(1000, 3);
        ended.add(4, 0);
        ended.add(0, 2);
        assert_eq!(ended.sets, 2);
        assert_eq!(
            ended.at_stake(),
            "1,004 unused codes of 2 sets will be deleted; used codes are kept."
        );
        assert_eq!(
            ended.done(),
            "1,004 unused codes of 2 sets deleted, 5 used codes archived"
        );
        let mut one = EndedCodes::default();
        one.add(1, 1);
        assert_eq!(
            one.done(),
            "1 unused code of 1 set deleted, 1 used code archived"
        );
    }

    use super::*;

    fn input(count: &str, length: &str, prefix: &str) -> SetInput {
        SetInput {
            name: "Spring mailing".into(),
            coupon_id: "1".into(),
            count: count.into(),
            prefix: prefix.into(),
            code_length: length.into(),
        }
    }

    #[test]
    fn the_form_rules() {
        let draft = check(&input("1000", "", "spring-"), true);
        assert_eq!(
            draft.map(|d| (d.count, d.code_length, d.prefix)).ok(),
            Some((1000, 10, "SPRING-".into()))
        );
        for (count, length, prefix, field) in [
            ("0", "10", "", "count"),
            ("1000001", "10", "", "count"),
            ("many", "10", "", "count"),
            ("10", "5", "", "code_length"),
            ("10", "25", "", "code_length"),
            ("10", "10", "TOO-LONG-PREFIX", "prefix"),
            ("10", "10", "A_B", "prefix"),
        ] {
            let errors = check(&input(count, length, prefix), true)
                .err()
                .unwrap_or_default();
            assert!(
                errors.get(field).is_some(),
                "{count} {length} {prefix}: no error on {field}"
            );
        }
        assert!(
            check(&input("10", "10", ""), false)
                .err()
                .unwrap_or_default()
                .get("coupon_id")
                .is_some()
        );
    }

    #[test]
    fn the_code_space_is_checked_up_front() {
        assert_eq!(code_space(2), 1024);
        assert!(!fits(0, 1_000_000, 2));
        assert!(!fits(0, 200, 2));
        assert!(fits(0, 100, 2));
        assert!(fits(0, 1_000_000, 6));
        assert!(!fits(107_000_000, 1_000_000, 6));
    }

    #[test]
    fn import_lines() {
        assert_eq!(import_line("code", true), ImportLine::Skip);
        assert_eq!(import_line("", false), ImportLine::Skip);
        assert_eq!(
            import_line("\"abc-123\",unused", false),
            ImportLine::Code {
                text: "abc-123".into(),
                normal: "ABC123".into()
            }
        );
        assert!(
            matches!(import_line("AB$C", false), ImportLine::Refused(r) if r.contains("bad character"))
        );
        assert!(
            matches!(import_line(&"A".repeat(65), false), ImportLine::Refused(r) if r.contains("too long"))
        );
        assert!(matches!(import_line("---", false), ImportLine::Refused(_)));
        for formula in ["=1+1", "+ABCDEF", "-ABCDEF", "@SUM(A1)", "\"=1+1\""] {
            assert!(
                matches!(import_line(formula, false), ImportLine::Refused(r) if r.contains("formula")),
                "{formula:?}"
            );
        }
        assert!(
            matches!(import_line("AB-CD", false), ImportLine::Refused(r) if r.contains("too short"))
        );
        assert!(matches!(
            import_line("AB-CDEF", false),
            ImportLine::Code { .. }
        ));
    }
}
