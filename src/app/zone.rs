//! Where a workspace is in time: its zone (the one set for its digests, or
//! UTC), its dates, and its midnights. Every feature that counts days
//! (interview dates, quotas, reports) reads them here.

use super::AppState;
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// The workspace's time zone: the one set for its digests, or UTC.
pub async fn workspace_zone(db: &Db, workspace: &WorkspaceId) -> Result<jiff::tz::TimeZone, sqlx::Error> {
    let zone = crate::store::digests::find_digest_settings(db, workspace).await?.and_then(|s| s.time_zone);
    Ok(zone_named(zone.as_deref()))
}

/// A stored time zone name as a zone (UTC when none is set or it is unknown).
pub fn zone_named(name: Option<&str>) -> jiff::tz::TimeZone {
    name.and_then(|z| jiff::tz::TimeZone::get(z.trim()).ok()).unwrap_or(jiff::tz::TimeZone::UTC)
}

/// The date in `zone` at a moment (unix ms).
pub fn local_date(zone: &jiff::tz::TimeZone, unix_ms: i64) -> time::Date {
    let fallback = time::OffsetDateTime::from_unix_timestamp(unix_ms.div_euclid(1000))
        .map(|t| t.date())
        .unwrap_or(time::Date::MIN);
    jiff::Timestamp::from_millisecond(unix_ms)
        .ok()
        .map(|t| t.to_zoned_datetime(zone.clone()).date())
        .and_then(|d| {
            time::Date::from_calendar_date(
                i32::from(d.year()),
                time::Month::try_from(d.month() as u8).ok()?,
                d.day() as u8,
            )
            .ok()
        })
        .unwrap_or(fallback)
}

/// The first moment (unix ms) of a date in `zone`.
pub fn local_midnight_ms(zone: &jiff::tz::TimeZone, date: time::Date) -> i64 {
    let utc = date.midnight().assume_utc().unix_timestamp() * 1000;
    jiff::civil::Date::new(date.year() as i16, u8::from(date.month()) as i8, date.day() as i8)
        .ok()
        .and_then(|d| d.to_zoned_datetime(zone.clone()).ok())
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or(utc)
}

/// Today's date where the workspace is (its digest time zone, or UTC): the
/// default interview date, and the limit for "in the future".
pub async fn workspace_today(state: &AppState, workspace: &WorkspaceId) -> Result<time::Date, sqlx::Error> {
    let zone = workspace_zone(state.db(), workspace).await?;
    Ok(local_date(&zone, state.clock().now_ms()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn local_dates_and_midnights_follow_the_zone() {
        let kiritimati = jiff::tz::TimeZone::get("Pacific/Kiritimati").expect("zone");
        // 2026-11-27 12:00 UTC is already 2026-11-28 02:00 in Kiritimati (UTC+14).
        let noon_utc = 1_795_780_800_000;
        assert_eq!(local_date(&kiritimati, noon_utc), date!(2026 - 11 - 28));
        assert_eq!(local_date(&jiff::tz::TimeZone::UTC, noon_utc), date!(2026 - 11 - 27));
        // Local midnight of 2026-11-28 there is 2026-11-27 10:00 UTC.
        assert_eq!(local_midnight_ms(&kiritimati, date!(2026 - 11 - 28)), 1_795_773_600_000);
        assert_eq!(local_midnight_ms(&jiff::tz::TimeZone::UTC, date!(2026 - 11 - 28)), 1_795_824_000_000);
    }
}
