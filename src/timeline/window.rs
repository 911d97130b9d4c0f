//! `--since 6h|TIME` and `--until TIME`. A duration counts back from the end
//! of the window: `--until`, else the newest record (on AWS that is about
//! now; on the simulator it is simulated time, days from the wall clock).

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, Utc};

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Window {
    pub since: Option<Since>,
    pub until: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Since {
    At(DateTime<Utc>),
    /// This long before the end of the window.
    Back(Duration),
}

impl Window {
    /// The window's bounds, given the newest record's time.
    pub fn resolve(
        &self,
        newest: Option<DateTime<Utc>>,
    ) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let since = match self.since {
            Some(Since::At(t)) => Some(t),
            Some(Since::Back(d)) => self.until.or(newest).map(|end| end - d),
            None => None,
        };
        (since, self.until)
    }
}

/// `6h`, `90m`, `2d`, `45s`, or a time.
pub fn parse_since(text: &str) -> Result<Since, String> {
    if let Some(d) = parse_duration(text) {
        return Ok(Since::Back(d));
    }
    parse_time(text).map(Since::At).map_err(|_| {
        format!(
            "--since {text:?}: expected a duration (30m, 6h, 2d) or a time \
             (2026-11-18T14:00:00+09:00, 2026-11-18 05:00 in UTC, 2026-11-18)"
        )
    })
}

/// RFC 3339 (`2026-11-18T14:00:00+09:00`), `2026-11-18 05:00[:00]` (UTC) or a date (UTC midnight).
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::<FixedOffset>::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(t.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    Err(format!(
        "{text:?}: expected a time such as 2026-11-18T14:00:00+09:00, 2026-11-18 05:00 (UTC) or 2026-11-18"
    ))
}

fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let n: i64 = text[..text.len() - unit.len_utf8()].parse().ok()?;
    if n < 0 {
        return None;
    }
    Some(match unit {
        's' => Duration::seconds(n),
        'm' => Duration::minutes(n),
        'h' => Duration::hours(n),
        'd' => Duration::days(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_count_back_from_the_newest_record() {
        let newest: DateTime<Utc> = "2026-11-18T06:00:00Z".parse().unwrap();
        let w = Window {
            since: Some(parse_since("6h").unwrap()),
            until: None,
        };
        assert_eq!(w.resolve(Some(newest)).0, Some(newest - Duration::hours(6)));
        assert_eq!(
            parse_since("90m").unwrap(),
            Since::Back(Duration::minutes(90))
        );
    }

    #[test]
    fn times_with_and_without_offsets() {
        let want: DateTime<Utc> = "2026-11-18T05:00:00Z".parse().unwrap();
        assert_eq!(parse_time("2026-11-18T14:00:00+09:00").unwrap(), want);
        assert_eq!(parse_time("2026-11-18 05:00").unwrap(), want);
        assert_eq!(
            parse_time("2026-11-18").unwrap(),
            "2026-11-18T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }

    #[test]
    fn nonsense_is_a_clear_error() {
        let err = parse_since("yesterday").unwrap_err();
        assert!(err.contains("expected a duration"), "{err}");
        assert!(parse_since("-3h").is_err());
        assert!(parse_time("18/11/2026").is_err());
    }
}
