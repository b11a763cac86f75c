//! Reading a run's dataset back, in insertion order: streaming for exports
//! (which must not hold every item in memory) and paged for previews.

use rusqlite::Row;
use trawl_types::{Item, RunId};

use crate::error::{SqliteContext, StoreError};
use crate::{Store, count_from_sql};

/// Decodes one `items` row; `data` must be a JSON object.
fn item_from_row(row: &Row<'_>) -> Result<Item, StoreError> {
    let seq: i64 = row.get(0).sqlite_context("reading items")?;
    let kind: String = row.get(1).sqlite_context("reading items")?;
    let key: Option<String> = row.get(2).sqlite_context("reading items")?;
    let url: String = row.get(3).sqlite_context("reading items")?;
    let data: String = row.get(4).sqlite_context("reading items")?;
    let fields = match serde_json::from_str::<serde_json::Value>(&data) {
        Ok(serde_json::Value::Object(fields)) => fields,
        Ok(other) => {
            return Err(StoreError::Corrupt {
                what: "item data",
                detail: format!(
                    "item {seq} holds a json {} instead of an object",
                    json_type(&other)
                ),
            });
        }
        Err(parse_error) => {
            return Err(StoreError::Corrupt {
                what: "item data",
                detail: format!("item {seq} is not valid json: {parse_error}"),
            });
        }
    };
    Ok(Item {
        kind,
        key,
        url,
        fields,
    })
}

fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

impl Store {
    /// Calls `visit` with each of the run's items, one at a time, stopping at
    /// the first error (the visitor's or the store's), in dataset order: by
    /// kind, then key, then page URL and position on the page. That order
    /// does not depend on when pages happened to finish, so two crawls (or a
    /// crawl and its replay) of the same site give byte-identical exports.
    ///
    /// The error type is the caller's, so an exporter can return its own
    /// errors from `visit` without wrapping; it only has to accept
    /// [`StoreError`] too.
    pub fn for_each_item<E>(
        &self,
        run_id: RunId,
        mut visit: impl FnMut(Item) -> Result<(), E>,
    ) -> Result<(), E>
    where
        E: From<StoreError>,
    {
        let mut statement = self
            .connection
            .prepare_cached(
                "SELECT seq, kind, key, url, data FROM items WHERE run_id = ?1 \
                 ORDER BY kind, key IS NULL, key, url, seq",
            )
            .sqlite_context("reading items")?;
        let mut rows = statement
            .query([run_id.0])
            .sqlite_context("reading items")?;
        while let Some(row) = rows.next().sqlite_context("reading items")? {
            visit(item_from_row(row)?)?;
        }
        Ok(())
    }

    /// Up to `limit` items starting at position `offset` (0-based, insertion
    /// order), for dataset previews.
    pub fn items_page(
        &self,
        run_id: RunId,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Item>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached(
                "SELECT seq, kind, key, url, data FROM items WHERE run_id = ?1 \
                 ORDER BY seq LIMIT ?2 OFFSET ?3",
            )
            .sqlite_context("reading a page of items")?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let mut rows = statement
            .query(rusqlite::params![run_id.0, limit, offset])
            .sqlite_context("reading a page of items")?;
        let mut items = Vec::new();
        while let Some(row) = rows.next().sqlite_context("reading a page of items")? {
            items.push(item_from_row(row)?);
        }
        Ok(items)
    }

    /// Number of items stored for the run.
    pub fn item_count(&self, run_id: RunId) -> Result<u64, StoreError> {
        let count: i64 = self
            .connection
            .prepare_cached("SELECT COUNT(*) FROM items WHERE run_id = ?1")
            .sqlite_context("counting items")?
            .query_row([run_id.0], |row| row.get(0))
            .sqlite_context("counting items")?;
        count_from_sql(count, "item count")
    }
}

#[cfg(test)]
mod tests;
