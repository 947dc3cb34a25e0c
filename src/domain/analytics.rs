//! Analytics figures (SPEC 12): which code a count belongs to, the funnel
//! and its rates, and the bar chart of redemptions per day, as plain
//! values a template draws (server-side SVG, no JavaScript).

use chrono::{Datelike, NaiveDate};

/// The code a count belongs to: its coupon, and the promotion code or set
/// it was reached through (0 when none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CodeKey {
    pub coupon: i64,
    pub promotion: i64,
    pub set: i64,
}

/// A day of the store's calendar, as counted: days from 0001-01-01.
pub fn day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce())
}

pub fn date_of(day: i64) -> NaiveDate {
    i32::try_from(day)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .unwrap_or_default()
}

/// Opens → applied → redeemed → rolled back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Funnel {
    pub opens: i64,
    pub applied: i64,
    pub redeemed: i64,
    pub rolled_back: i64,
}

impl Funnel {
    /// " · 50% of opens": `part` of `whole` as a whole percentage, or
    /// nothing when it says nothing (no `whole`, or more than all of it:
    /// customers may order without opening a URL or previewing first).
    pub fn rate(part: i64, whole: i64, of: &str) -> String {
        if whole <= 0 || part > whole {
            String::new()
        } else {
            format!(" · {}% of {of}", (part * 100 + whole / 2) / whole)
        }
    }

    pub fn applied_rate(&self) -> String {
        Funnel::rate(self.applied, self.opens, "opens")
    }

    pub fn redeemed_rate(&self) -> String {
        Funnel::rate(self.redeemed, self.applied, "applied")
    }

    pub fn rolled_back_rate(&self) -> String {
        Funnel::rate(self.rolled_back, self.redeemed, "redeemed")
    }
}

/// One bar of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// "Dec 2".
    pub label: String,
    /// "2026-12-02".
    pub date: String,
    pub value: i64,
    pub x: f64,
    pub y: f64,
    pub height: f64,
}

/// Redemptions per day as bars in a `WIDTH` × `HEIGHT` box.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub bars: Vec<Bar>,
    pub bar_width: f64,
    pub max: i64,
    pub total: i64,
}

impl Chart {
    pub const WIDTH: f64 = 600.0;
    pub const HEIGHT: f64 = 120.0;

    /// One bar per day from `first` to `last` (inclusive); days missing
    /// from `values` are 0.
    pub fn daily(first: NaiveDate, last: NaiveDate, values: &[(i64, i64)]) -> Chart {
        let mut days = Vec::new();
        let mut d = first;
        while d <= last && days.len() < 400 {
            let n = day_number(d);
            let value = values
                .iter()
                .filter(|(day, _)| *day == n)
                .map(|(_, v)| *v)
                .sum();
            days.push((d, value));
            match d.succ_opt() {
                Some(next) => d = next,
                None => break,
            }
        }
        let max = days.iter().map(|(_, v)| *v).max().unwrap_or(0);
        let slot = Chart::WIDTH / days.len().max(1) as f64;
        let bar_width = (slot * 0.8).max(1.0);
        let bars = days
            .iter()
            .enumerate()
            .map(|(i, (date, value))| {
                let height = if max > 0 {
                    (*value as f64 / max as f64) * Chart::HEIGHT
                } else {
                    0.0
                };
                // A day with redemptions is always visible.
                let height = if *value > 0 { height.max(2.0) } else { height };
                Bar {
                    label: date.format("%b %-d").to_string(),
                    date: date.format("%Y-%m-%d").to_string(),
                    value: *value,
                    x: i as f64 * slot + (slot - bar_width) / 2.0,
                    y: Chart::HEIGHT - height,
                    height,
                }
            })
            .collect();
        Chart {
            bars,
            bar_width,
            max,
            total: days.iter().map(|(_, v)| *v).sum(),
        }
    }

    pub fn first_label(&self) -> &str {
        self.bars.first().map_or("", |b| b.label.as_str())
    }

    pub fn last_label(&self) -> &str {
        self.bars.last().map_or("", |b| b.label.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn a_chart_has_a_bar_per_day_scaled_to_the_busiest() {
        let first = date(2026, 11, 29);
        let last = date(2026, 12, 2);
        let values = [(day_number(date(2026, 11, 30)), 4), (day_number(last), 2)];
        let chart = Chart::daily(first, last, &values);
        assert_eq!(chart.bars.len(), 4);
        assert_eq!(chart.max, 4);
        assert_eq!(chart.total, 6);
        assert_eq!(chart.bars[0].value, 0);
        assert_eq!(chart.bars[0].height, 0.0);
        assert_eq!(chart.bars[1].height, Chart::HEIGHT);
        assert_eq!(chart.bars[3].height, Chart::HEIGHT / 2.0);
        assert_eq!(chart.bars[3].date, "2026-12-02");
        assert_eq!(chart.first_label(), "Nov 29");
        assert!(chart.bars.windows(2).all(|w| w[0].x < w[1].x));
        assert_eq!(date_of(day_number(last)), last);
    }

    #[test]
    fn rates_round_and_say_when_there_is_nothing_to_divide() {
        let f = Funnel {
            opens: 3,
            applied: 2,
            redeemed: 1,
            rolled_back: 0,
        };
        assert_eq!(f.applied_rate(), " · 67% of opens");
        assert_eq!(f.redeemed_rate(), " · 50% of applied");
        assert_eq!(f.rolled_back_rate(), " · 0% of redeemed");
        assert_eq!(Funnel::default().applied_rate(), "");
        let direct = Funnel { redeemed: 3, ..f };
        assert_eq!(direct.redeemed_rate(), "", "more orders than previews");
    }
}
