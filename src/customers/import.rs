//! `highlights customers import FILE.csv`: customer attributes for weighting
//! (name, aliases, segment, ARR). Every row is checked first; one bad row
//! writes nothing, and each problem is reported with its line number.

use std::io::Read;

use crate::domain::CustomerName;
use crate::store::customers::ImportedCustomer;

/// The columns read; `name` is required.
pub const COLUMNS: &[&str] = &["name", "aliases", "segment", "arr"];

/// Reads a CSV file's rows, or every problem found, each with its line.
pub fn parse_customers_csv(input: impl Read) -> Result<Vec<ImportedCustomer>, Vec<String>> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(false).from_reader(input);
    let headers = match reader.headers() {
        Ok(h) => h.iter().map(|h| h.to_lowercase()).collect::<Vec<_>>(),
        Err(e) => return Err(vec![format!("line 1: cannot read the header: {e}")]),
    };
    let Some(name_at) = headers.iter().position(|h| h == "name") else {
        return Err(vec![format!("line 1: no `name` column (columns: {})", COLUMNS.join(", "))]);
    };
    let unknown: Vec<&String> = headers.iter().filter(|h| !COLUMNS.contains(&h.as_str())).collect();
    if !unknown.is_empty() {
        return Err(vec![format!(
            "line 1: unknown column(s) {} (columns: {})",
            unknown.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", "),
            COLUMNS.join(", ")
        )]);
    }
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (aliases_at, segment_at, arr_at) = (column("aliases"), column("segment"), column("arr"));
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                problems.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let field = |at: Option<usize>| at.and_then(|i| record.get(i)).map(str::trim).filter(|v| !v.is_empty());
        let name = match CustomerName::parse(field(Some(name_at)).unwrap_or_default()) {
            Ok(n) => n,
            Err(e) => {
                problems.push(format!("line {line}: {}", e.0));
                continue;
            }
        };
        if let Some(first) = seen.insert(name.key.clone(), line) {
            problems.push(format!("line {line}: “{}” is the same customer as line {first}", name.display));
            continue;
        }
        let mut aliases = Vec::new();
        for alias in field(aliases_at).unwrap_or_default().split(';').map(str::trim).filter(|a| !a.is_empty()) {
            match CustomerName::parse(alias) {
                Ok(a) => aliases.push(a),
                Err(e) => problems.push(format!("line {line}: alias “{alias}”: {}", e.0)),
            }
        }
        let arr_cents = match field(arr_at).map(parse_money) {
            None => None,
            Some(Ok(cents)) => Some(cents),
            Some(Err(())) => {
                problems.push(format!(
                    "line {line}: ARR “{}” is not an amount (e.g. 120000 or $120,000.50)",
                    field(arr_at).unwrap_or_default()
                ));
                continue;
            }
        };
        let segment = field(segment_at).map(str::to_owned);
        if segment.as_ref().is_some_and(|s| s.chars().count() > 100) {
            problems.push(format!("line {line}: the segment is over 100 characters"));
            continue;
        }
        rows.push(ImportedCustomer { name, aliases, segment, arr_cents });
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

/// `120000`, `$120,000.50`, `1 200 000` → cents. Negative amounts are refused.
fn parse_money(raw: &str) -> Result<i64, ()> {
    let cleaned: String = raw.chars().filter(|c| !matches!(c, '$' | '€' | '£' | ',' | ' ' | '_')).collect();
    let (whole, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || fraction.len() > 2
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(());
    }
    let whole: i64 = whole.parse().map_err(|_| ())?;
    let cents: i64 = format!("{fraction:0<2}").parse().map_err(|_| ())?;
    whole.checked_mul(100).and_then(|w| w.checked_add(cents)).ok_or(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_file_is_read() {
        let csv = "name,aliases,segment,arr\nAcme Inc.,Acme Labs; ACME EU,Enterprise,\"$120,000.50\"\nGlobex,,SMB,\n";
        let rows = parse_customers_csv(csv.as_bytes()).expect("valid");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].name.key, "acme");
        assert_eq!(rows[0].aliases.iter().map(|a| a.key.as_str()).collect::<Vec<_>>(), vec!["acme labs", "acme eu"]);
        assert_eq!(rows[0].arr_cents, Some(12_000_050));
        assert_eq!(rows[1].segment.as_deref(), Some("SMB"));
        assert_eq!(rows[1].arr_cents, None);
    }

    #[test]
    fn each_bad_row_is_reported_by_line() {
        let csv = "name,arr\nAcme,100\n,5\nGlobex,lots\nacme corp,3\nInitech,-4\n";
        let problems = parse_customers_csv(csv.as_bytes()).expect_err("invalid");
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].starts_with("line 3: The customer name is empty"), "{problems:?}");
        assert!(problems[1].starts_with("line 4: ARR “lots”"), "{problems:?}");
        assert!(problems[2].starts_with("line 5: “acme corp” is the same customer as line 2"), "{problems:?}");
        assert!(problems[3].starts_with("line 6: ARR “-4”"), "{problems:?}");
    }

    #[test]
    fn missing_or_unknown_columns_are_refused() {
        assert!(parse_customers_csv("company,arr\nAcme,1\n".as_bytes()).expect_err("no name")[0]
            .contains("no `name` column"));
        assert!(parse_customers_csv("name,revenue\nAcme,1\n".as_bytes()).expect_err("unknown")[0].contains("`revenue`"));
        assert!(
            parse_customers_csv("name,arr\nAcme,1,extra\n".as_bytes()).expect_err("ragged")[0].starts_with("line 2")
        );
    }
}
