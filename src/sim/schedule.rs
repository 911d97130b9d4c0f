//! Application Auto Scaling schedule expressions, in UTC:
//! `cron(minutes hours day-of-month month day-of-week year)`, `at(yyyy-mm-ddThh:mm:ss)`
//! and `rate(N minutes|hours|days)`.

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, TimeZone, Utc};

#[derive(Clone, Debug, PartialEq)]
pub enum Schedule {
    /// Fires at `minute` past each of `hours`, on the listed weekdays (0 = Sunday).
    Cron {
        minute: u32,
        hours: Vec<u32>,
        weekdays: Option<Vec<u32>>,
    },
    At(DateTime<Utc>),
    Rate(i64),
}

impl Schedule {
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let text = text.trim();
        let inner = |prefix: &str| {
            text.strip_prefix(prefix)
                .and_then(|r| r.strip_suffix(')'))
                .map(str::trim)
        };
        if let Some(body) = inner("cron(") {
            parse_cron(body)
        } else if let Some(body) = inner("at(") {
            NaiveDateTime::parse_from_str(body, "%Y-%m-%dT%H:%M:%S")
                .map(|t| Schedule::At(Utc.from_utc_datetime(&t)))
                .map_err(|e| format!("at({body}): {e}; expected at(yyyy-mm-ddThh:mm:ss)"))
        } else if let Some(body) = inner("rate(") {
            parse_rate(body)
        } else {
            Err(format!(
                "schedule `{text}` must be cron(...), at(...) or rate(...)"
            ))
        }
    }

    /// Whether the schedule fires in `(from, to]`. `anchor` is when a rate schedule began.
    pub fn fires_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        anchor: DateTime<Utc>,
    ) -> bool {
        match self {
            Schedule::At(t) => *t > from && *t <= to,
            Schedule::Rate(period) => {
                let k = |t: DateTime<Utc>| (t - anchor).num_seconds().div_euclid(*period);
                to > anchor && k(to) > k(from)
            }
            Schedule::Cron { .. } => self.last_fire_before(to).is_some_and(|t| t > from),
        }
    }

    /// The latest cron fire at or before `t` within the last week.
    pub fn last_fire_before(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let Schedule::Cron {
            minute,
            hours,
            weekdays,
        } = self
        else {
            return None;
        };
        (0..8).find_map(|back| {
            let day = (t - Duration::days(back)).date_naive();
            let weekday = day.weekday().num_days_from_sunday();
            if weekdays.as_ref().is_some_and(|w| !w.contains(&weekday)) {
                return None;
            }
            hours
                .iter()
                .rev()
                .filter_map(|h| day.and_hms_opt(*h, *minute, 0))
                .map(|n| Utc.from_utc_datetime(&n))
                .filter(|fire| *fire <= t)
                .max()
        })
    }
}

fn parse_cron(body: &str) -> Result<Schedule, String> {
    let fields: Vec<&str> = body.split_whitespace().collect();
    let [minute, hours, dom, month, dow, year] = fields[..] else {
        return Err(format!(
            "cron({body}) needs 6 fields: minutes hours day-of-month month day-of-week year"
        ));
    };
    let minute: u32 = minute
        .parse()
        .ok()
        .filter(|m| *m < 60)
        .ok_or_else(|| format!("cron minutes `{minute}` must be 0-59"))?;
    let hours = if hours == "*" {
        (0..24).collect()
    } else {
        hours
            .split(',')
            .map(|h| h.parse::<u32>().ok().filter(|h| *h < 24))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| format!("cron hours `{hours}` must be 0-23, a list of them, or *"))?
    };
    for (name, value) in [("day-of-month", dom), ("month", month), ("year", year)] {
        if value != "*" && value != "?" {
            return Err(format!(
                "cron {name} `{value}` is not supported here (use * or ?)"
            ));
        }
    }
    if dom != "?" && dow != "?" {
        return Err("cron needs `?` in day-of-month or day-of-week".into());
    }
    let weekdays = match dow {
        "*" | "?" => None,
        list => Some(parse_weekdays(list)?),
    };
    Ok(Schedule::Cron {
        minute,
        hours,
        weekdays,
    })
}

fn weekday(name: &str) -> Option<u32> {
    const NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    NAMES
        .iter()
        .position(|n| n.eq_ignore_ascii_case(name))
        .map(|p| p as u32)
        .or_else(|| {
            name.parse::<u32>()
                .ok()
                .filter(|d| (1..=7).contains(d))
                .map(|d| d - 1)
        })
}

fn parse_weekdays(list: &str) -> Result<Vec<u32>, String> {
    let bad = || format!("cron day-of-week `{list}` must be like MON-FRI, SAT,SUN or 1-7");
    let mut days = Vec::new();
    for part in list.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (weekday(a).ok_or_else(bad)?, weekday(b).ok_or_else(bad)?);
                if a > b {
                    return Err(bad());
                }
                days.extend(a..=b);
            }
            None => days.push(weekday(part).ok_or_else(bad)?),
        }
    }
    Ok(days)
}

fn parse_rate(body: &str) -> Result<Schedule, String> {
    let bad = || format!("rate({body}) must be like rate(5 minutes), rate(1 hour), rate(2 days)");
    let (n, unit) = body.split_once(' ').ok_or_else(bad)?;
    let n: i64 = n.trim().parse().ok().filter(|n| *n > 0).ok_or_else(bad)?;
    let unit_s = match unit.trim() {
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3600,
        "day" | "days" => 86_400,
        _ => return Err(bad()),
    };
    // A count too large for seconds is as bad as a count of zero.
    n.checked_mul(unit_s).map(Schedule::Rate).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn daily_cron_fires_once_in_its_window() {
        let s = Schedule::parse("cron(45 23 * * ? *)").unwrap();
        let a = utc("2026-11-20T23:44:58Z");
        let b = utc("2026-11-20T23:45:03Z");
        assert!(s.fires_between(a, b, a));
        assert!(!s.fires_between(b, b + Duration::seconds(5), a));
        assert_eq!(s.last_fire_before(a), Some(utc("2026-11-19T23:45:00Z")));
    }

    #[test]
    fn weekday_cron_skips_weekends() {
        let s = Schedule::parse("cron(0 0 ? * MON-FRI *)").unwrap();
        // 2026-11-22 is a Sunday.
        let sunday = utc("2026-11-22T00:00:00Z");
        assert!(!s.fires_between(sunday - Duration::seconds(5), sunday, sunday));
        let monday = utc("2026-11-23T00:00:00Z");
        assert!(s.fires_between(monday - Duration::seconds(5), monday, monday));
    }

    #[test]
    fn at_and_rate() {
        let at = Schedule::parse("at(2026-11-20T10:00:00)").unwrap();
        let t = utc("2026-11-20T10:00:00Z");
        assert!(at.fires_between(t - Duration::seconds(1), t, t));
        let rate = Schedule::parse("rate(5 minutes)").unwrap();
        assert!(rate.fires_between(t + Duration::seconds(299), t + Duration::seconds(300), t));
        assert!(!rate.fires_between(t, t + Duration::seconds(299), t));
    }

    #[test]
    fn bad_schedules_say_why() {
        for bad in [
            "cron(61 1 * * ? *)",
            "cron(1 1 * *)",
            "at(tomorrow)",
            "rate(0 days)",
            "rate(9223372036854775807 days)",
            "daily",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
    }
}
