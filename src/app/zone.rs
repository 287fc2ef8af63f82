//! Where a workspace is in time: its zone (the one set for its digests, or
//! UTC), its dates, and its midnights. Every feature that counts days
//! (interview dates, quotas, reports) reads them here.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::app::Clock;
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// The workspace's time zone: the one set for its digests, or UTC.
pub async fn workspace_zone(db: &Db, workspace: &WorkspaceId) -> Result<TimeZone, sqlx::Error> {
    let zone = crate::store::digests::find_digest_settings(db, workspace).await?.and_then(|s| s.time_zone);
    Ok(zone_named(zone.as_deref()))
}

/// A stored time zone name as a zone (UTC when none is set or it is unknown).
pub fn zone_named(name: Option<&str>) -> TimeZone {
    name.and_then(|z| TimeZone::get(z.trim()).ok()).unwrap_or(TimeZone::UTC)
}

/// The date in `zone` at a moment (unix ms).
pub fn local_date(zone: &TimeZone, unix_ms: i64) -> Date {
    Timestamp::from_millisecond(unix_ms).unwrap_or(Timestamp::UNIX_EPOCH).to_zoned_datetime(zone.clone()).date()
}

/// The first moment (unix ms) of a date in `zone` (its midnight, or the first
/// moment after a gap when the zone skips midnight that day).
pub fn local_midnight_ms(zone: &TimeZone, date: Date) -> i64 {
    // Only a date at the very edge of jiff's range has no such moment.
    date.to_zoned_datetime(zone.clone()).map_or(0, |z| z.timestamp().as_millisecond())
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: Date, to: Date) -> i32 {
    (to - from).get_days()
}

/// Today's date where the workspace is (its digest time zone, or UTC): the
/// default interview date, and the limit for "in the future".
pub async fn workspace_today(db: &Db, clock: &Clock, workspace: &WorkspaceId) -> Result<Date, sqlx::Error> {
    let zone = workspace_zone(db, workspace).await?;
    Ok(local_date(&zone, clock.now_ms()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn local_dates_and_midnights_follow_the_zone() {
        let kiritimati = jiff::tz::TimeZone::get("Pacific/Kiritimati").expect("zone");
        // 2026-11-27 12:00 UTC is already 2026-11-28 02:00 in Kiritimati (UTC+14).
        let noon_utc = 1_795_780_800_000;
        assert_eq!(local_date(&kiritimati, noon_utc), date(2026, 11, 28));
        assert_eq!(local_date(&jiff::tz::TimeZone::UTC, noon_utc), date(2026, 11, 27));
        // Local midnight of 2026-11-28 there is 2026-11-27 10:00 UTC.
        assert_eq!(local_midnight_ms(&kiritimati, date(2026, 11, 28)), 1_795_773_600_000);
        assert_eq!(local_midnight_ms(&jiff::tz::TimeZone::UTC, date(2026, 11, 28)), 1_795_824_000_000);
    }
}
