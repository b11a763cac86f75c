//! JSON Lines export: one object per item, metadata first, then the fields in
//! their stored order. One pass; the column list for the manifest is learned
//! on the way.

use std::io::Write;

use trawl_store::Store;
use trawl_types::{Item, RunId};

use crate::Written;
use crate::columns::{FieldColumns, column_name};
use crate::error::ExportError;

pub(crate) fn write(
    store: &Store,
    run_id: RunId,
    mut writer: impl Write,
) -> Result<Written, ExportError> {
    let mut field_columns = FieldColumns::default();
    let mut items = 0_u64;
    store.for_each_item(run_id, |item| {
        field_columns.observe(&item);
        write_line(&mut writer, &item).map_err(ExportError::Json)?;
        items += 1;
        Ok::<(), ExportError>(())
    })?;
    writer
        .flush()
        .map_err(|source| ExportError::Json(serde_json::Error::io(source)))?;
    Ok(Written {
        items,
        columns: field_columns.header(),
    })
}

/// Writes `{"_kind":..,"_key":..,"_url":..,<fields>}\n` piece by piece instead
/// of building a merged map per item.
fn write_line(writer: &mut impl Write, item: &Item) -> Result<(), serde_json::Error> {
    writer
        .write_all(b"{\"_kind\":")
        .map_err(serde_json::Error::io)?;
    serde_json::to_writer(&mut *writer, &item.kind)?;
    writer
        .write_all(b",\"_key\":")
        .map_err(serde_json::Error::io)?;
    serde_json::to_writer(&mut *writer, &item.key)?;
    writer
        .write_all(b",\"_url\":")
        .map_err(serde_json::Error::io)?;
    serde_json::to_writer(&mut *writer, &item.url)?;
    for (field_name, value) in &item.fields {
        writer.write_all(b",").map_err(serde_json::Error::io)?;
        serde_json::to_writer(&mut *writer, column_name(field_name).as_ref())?;
        writer.write_all(b":").map_err(serde_json::Error::io)?;
        serde_json::to_writer(&mut *writer, value)?;
    }
    writer.write_all(b"}\n").map_err(serde_json::Error::io)
}
