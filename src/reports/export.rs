//! The export of every highlight (docs/design.md, Running: `highlights
//! export`), as CSV or JSON lines: the command line's and the library's
//! `/export.csv`, one reader and one writer for both. Both go a page of
//! rows at a time ([`ExportPages`]): the memory an export takes does not
//! grow with the workspace, and the library sends its first bytes at once.

use std::io::Write;

use crate::store::digests::{list_export_page, ExportCursor, ExportRow};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// Rows read per statement.
pub const EXPORT_PAGE_ROWS: i64 = 1_000;

/// The highlights of a workspace captured at or after a moment, oldest
/// first, with their recording times written out, a page at a time.
#[derive(Debug, Clone)]
pub struct ExportPages {
    workspace: WorkspaceId,
    after: ExportCursor,
    done: bool,
}

impl ExportPages {
    /// The highlights captured at or after `since_ms`.
    pub fn new(workspace: &WorkspaceId, since_ms: i64) -> Self {
        Self { workspace: workspace.clone(), after: ExportCursor::since(since_ms), done: false }
    }

    /// The next page; empty once every row was read.
    pub async fn next_page(&mut self, db: &Db) -> Result<Vec<ExportRow>, sqlx::Error> {
        if self.done {
            return Ok(Vec::new());
        }
        let mut rows = list_export_page(db, &self.workspace, self.after, EXPORT_PAGE_ROWS).await?;
        match rows.last() {
            Some(last) => self.after = ExportCursor { created_at: last.created_at, id: last.id },
            None => self.done = true,
        }
        if (rows.len() as i64) < EXPORT_PAGE_ROWS {
            self.done = true;
        }
        for row in &mut rows {
            row.recording_time =
                row.recording_at.and_then(crate::domain::RecordingTime::from_seconds).map(|t| t.to_string());
        }
        Ok(rows)
    }
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
pub fn write_export(rows: &[ExportRow], format: &str, out: impl Write) -> anyhow::Result<()> {
    write_export_part(rows, format, true, out)
}

/// Writes one part of an export: the CSV header first when `first`.
pub fn write_export_part(rows: &[ExportRow], format: &str, first: bool, mut out: impl Write) -> anyhow::Result<()> {
    if format == "jsonl" {
        for row in rows {
            serde_json::to_writer(&mut out, row)?;
            out.write_all(b"\n")?;
        }
        return Ok(());
    }
    let mut csv = csv::Writer::from_writer(out);
    if first {
        csv.write_record(EXPORT_COLUMNS)?;
    }
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
