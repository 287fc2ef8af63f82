//! The export of every highlight (docs/design.md, Running: `highlights
//! export`), as CSV or JSON lines: the command line's and the library's
//! `/export.csv`, one writer for both.

use std::io::Write;

use crate::store::digests::{list_export_rows, ExportRow};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// The highlights of a workspace captured at or after `since_ms`, oldest
/// first, with their recording times written out.
pub async fn export_rows(db: &Db, workspace: &WorkspaceId, since_ms: i64) -> Result<Vec<ExportRow>, sqlx::Error> {
    let mut rows = list_export_rows(db, workspace, since_ms).await?;
    for row in &mut rows {
        row.recording_time =
            row.recording_at.and_then(crate::domain::RecordingTime::from_seconds).map(|t| t.to_string());
    }
    Ok(rows)
}

/// The CSV export's columns, in order.
const EXPORT_COLUMNS: [&str; 12] = [
    "id",
    "customer",
    "area",
    "kind",
    "quote",
    "takeaway",
    "interviewer",
    "interview_date",
    "captured_at",
    "recording_link",
    "recording_time",
    "permalink",
];

/// A cell a spreadsheet will not run as a formula: anything a member typed
/// that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
/// leading `'` (OWASP's rule for CSV injection). JSON lines stay as typed.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Writes rows as CSV (quoted as RFC 4180 wants, formulas neutralised) or
/// JSON lines.
pub fn write_export(rows: &[ExportRow], format: &str, mut out: impl Write) -> anyhow::Result<()> {
    if format == "jsonl" {
        for row in rows {
            serde_json::to_writer(&mut out, row)?;
            out.write_all(b"\n")?;
        }
        return Ok(());
    }
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(EXPORT_COLUMNS)?;
    for row in rows {
        let id = row.id.to_string();
        let customer = row.customer.label();
        let cells = [
            id.as_str(),
            &customer,
            &row.area,
            &row.kind,
            &row.quote,
            row.takeaway.as_deref().unwrap_or_default(),
            &row.interviewer,
            &row.interview_date,
            &row.captured_at,
            row.recording_link.as_deref().unwrap_or_default(),
            row.recording_time.as_deref().unwrap_or_default(),
            row.permalink.as_deref().unwrap_or_default(),
        ];
        csv.write_record(cells.map(|cell| spreadsheet_safe(cell).into_owned()))?;
    }
    csv.flush()?;
    Ok(())
}
