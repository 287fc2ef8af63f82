//! When digests are due: a weekly or daily time of day in the workspace's time
//! zone. A period runs from one scheduled moment to the next; its digest is
//! posted at its end. Daylight-saving changes follow the zone's rules (a time
//! that does not exist that day moves forward, as clocks do).

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// How often a workspace gets a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Once a week, on `weekday` at `at`.
    Weekly {
        /// Day of the week.
        weekday: Weekday,
        /// Local time.
        at: Time,
    },
    /// Every day at `at`.
    Daily {
        /// Local time.
        at: Time,
    },
    /// Never.
    Off,
}

/// The default: Monday 09:00.
pub const DEFAULT_SCHEDULE: &str = "weekly mon 09:00";

fn parse_time(text: &str) -> Result<Time, String> {
    let (h, m) = text.split_once(':').ok_or_else(|| format!("“{text}” is not a time like 09:00"))?;
    let (h, m): (i8, i8) = (
        h.parse().map_err(|_| format!("“{text}” is not a time like 09:00"))?,
        m.parse().map_err(|_| format!("“{text}” is not a time like 09:00"))?,
    );
    Time::new(h, m, 0, 0).map_err(|_| format!("“{text}” is not a time of day (00:00 to 23:59)"))
}

fn parse_weekday(text: &str) -> Result<Weekday, String> {
    Ok(match text.to_lowercase().get(..3).unwrap_or_default() {
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        "sat" => Weekday::Saturday,
        "sun" => Weekday::Sunday,
        _ => return Err(format!("“{text}” is not a day of the week (mon, tue, …)")),
    })
}

impl Schedule {
    /// Reads `weekly mon 09:00`, `daily 17:30` or `off`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        match words.as_slice() {
            [off] if off.eq_ignore_ascii_case("off") => Ok(Self::Off),
            [daily, at] if daily.eq_ignore_ascii_case("daily") => Ok(Self::Daily { at: parse_time(at)? }),
            [weekly, day, at] if weekly.eq_ignore_ascii_case("weekly") => {
                Ok(Self::Weekly { weekday: parse_weekday(day)?, at: parse_time(at)? })
            }
            _ => Err("Say `weekly mon 09:00`, `daily 17:30` or `off`.".to_owned()),
        }
    }

    /// The canonical text, as stored.
    pub fn as_text(&self) -> String {
        let hm = |t: &Time| format!("{:02}:{:02}", t.hour(), t.minute());
        match self {
            Self::Weekly { weekday, at } => {
                let day = format!("{weekday:?}").to_lowercase();
                format!("weekly {} {}", &day[..3], hm(at))
            }
            Self::Daily { at } => format!("daily {}", hm(at)),
            Self::Off => "off".to_owned(),
        }
    }

    fn at(&self) -> Option<Time> {
        match self {
            Self::Weekly { at, .. } | Self::Daily { at } => Some(*at),
            Self::Off => None,
        }
    }

    fn step_days(&self) -> i64 {
        match self {
            Self::Weekly { .. } => 7,
            _ => 1,
        }
    }

    /// The scheduled moment on `date`, in `tz`.
    fn moment(&self, date: Date, tz: &TimeZone) -> Option<Timestamp> {
        let at = self.at()?;
        date.to_datetime(at).to_zoned_datetime(tz.clone()).ok().map(|z| z.timestamp())
    }

    /// The latest scheduled moment at or before `now`.
    pub fn last_boundary(&self, tz: &TimeZone, now: Timestamp) -> Option<Timestamp> {
        let today = now.to_zoned_datetime(tz.clone()).date();
        let mut date = match self {
            Self::Weekly { weekday, .. } => {
                let back = (today.weekday().to_monday_zero_offset() - weekday.to_monday_zero_offset()).rem_euclid(7);
                today.checked_sub(i64::from(back).days()).ok()?
            }
            Self::Daily { .. } => today,
            Self::Off => return None,
        };
        let mut moment = self.moment(date, tz)?;
        if moment > now {
            date = date.checked_sub(self.step_days().days()).ok()?;
            moment = self.moment(date, tz)?;
        }
        Some(moment)
    }

    /// The period that ended last: `(start, end)` of the latest complete one.
    pub fn last_complete_period(&self, tz: &TimeZone, now: Timestamp) -> Option<(Timestamp, Timestamp)> {
        let end = self.last_boundary(tz, now)?;
        let end_date = end.to_zoned_datetime(tz.clone()).date();
        let start = self.moment(end_date.checked_sub(self.step_days().days()).ok()?, tz)?;
        Some((start, end))
    }
}

/// A stable name for a period, by its end in local time.
pub fn period_key(end: Timestamp, tz: &TimeZone) -> String {
    let local = end.to_zoned_datetime(tz.clone());
    format!("{} {}", local.strftime("%Y-%m-%dT%H:%M"), tz.iana_name().unwrap_or("UTC"))
}

/// A time zone by IANA name (the bundled database, so it works anywhere).
pub fn time_zone(name: &str) -> Result<TimeZone, String> {
    TimeZone::get(name.trim())
        .map_err(|_| format!("“{}” is not a time zone name such as Europe/Paris or America/New_York", name.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    #[test]
    fn schedules_parse_and_print() {
        assert_eq!(Schedule::parse("weekly Mon 09:00").expect("valid").as_text(), "weekly mon 09:00");
        assert_eq!(Schedule::parse("daily 17:30").expect("valid").as_text(), "daily 17:30");
        assert_eq!(Schedule::parse("OFF").expect("valid"), Schedule::Off);
        for bad in ["weekly", "weekly funday 09:00", "daily 25:00", "daily 9", "hourly", "weekly mon 9:61"] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
        assert!(time_zone("Europe/Paris").is_ok());
        assert!(time_zone("Mars/Olympus").is_err());
    }

    #[test]
    fn the_last_weekly_period_ends_on_the_last_monday_morning_in_the_zone() {
        let s = Schedule::parse("weekly mon 09:00").expect("valid");
        let paris = time_zone("Europe/Paris").expect("tz");
        // Wednesday 2026-11-25 12:00 UTC: the last Monday 09:00 Paris is 2026-11-23 08:00 UTC.
        let (start, end) = s.last_complete_period(&paris, ts("2026-11-25T12:00:00Z")).expect("period");
        assert_eq!(end, ts("2026-11-23T08:00:00Z"));
        assert_eq!(start, ts("2026-11-16T08:00:00Z"));
        assert_eq!(period_key(end, &paris), "2026-11-23T09:00 Europe/Paris");
        // Monday 08:59 Paris: still the week before.
        let (_, end) = s.last_complete_period(&paris, ts("2026-11-23T07:59:00Z")).expect("period");
        assert_eq!(end, ts("2026-11-16T08:00:00Z"));
        // Monday 09:00 Paris exactly: this week's period just ended.
        let (_, end) = s.last_complete_period(&paris, ts("2026-11-23T08:00:00Z")).expect("period");
        assert_eq!(end, ts("2026-11-23T08:00:00Z"));
    }

    #[test]
    fn periods_across_daylight_saving_changes_keep_local_time() {
        let s = Schedule::parse("weekly mon 09:00").expect("valid");
        let ny = time_zone("America/New_York").expect("tz");
        // DST ended on Sunday 2026-11-01 in New York: the week before is 7 days and 1 hour long.
        let (start, end) = s.last_complete_period(&ny, ts("2026-11-03T00:00:00Z")).expect("period");
        assert_eq!(start, ts("2026-10-26T13:00:00Z"), "09:00 EDT");
        assert_eq!(end, ts("2026-11-02T14:00:00Z"), "09:00 EST");
        // Daily at 02:30 on the spring-forward day (2026-03-08): 02:30 does not exist, it moves to 03:30 EDT.
        let d = Schedule::parse("daily 02:30").expect("valid");
        let (_, end) = d.last_complete_period(&ny, ts("2026-03-08T12:00:00Z")).expect("period");
        assert_eq!(end, ts("2026-03-08T07:30:00Z"));
        assert_eq!(Schedule::Off.last_complete_period(&ny, ts("2026-03-08T12:00:00Z")), None);
    }
}
