//! CSV export: a header of metadata columns plus the union of field names,
//! then one row per item. Two passes over the store (columns, then rows) so
//! no item is held in memory longer than it takes to write it.

use std::io::Write;

use trawl_store::Store;
use trawl_types::RunId;

use crate::Written;
use crate::columns::{FieldColumns, value_as_text};
use crate::error::ExportError;

pub(crate) fn write(
    store: &Store,
    run_id: RunId,
    writer: impl Write,
) -> Result<Written, ExportError> {
    let field_columns = FieldColumns::collect(store, run_id)?;
    let header = field_columns.header();
    let mut csv_writer = csv::Writer::from_writer(writer);
    csv_writer.write_record(&header)?;
    let mut items = 0_u64;
    store.for_each_item(run_id, |item| {
        csv_writer.write_field(&item.kind)?;
        csv_writer.write_field(item.key.as_deref().unwrap_or(""))?;
        csv_writer.write_field(&item.url)?;
        for column in &field_columns.columns {
            match item.fields.get(&column.field_name) {
                Some(value) => csv_writer.write_field(value_as_text(value).as_bytes())?,
                None => csv_writer.write_field("")?,
            }
        }
        // An empty record ends the row started by the fields above.
        csv_writer.write_record(std::iter::empty::<&[u8]>())?;
        items += 1;
        Ok::<(), ExportError>(())
    })?;
    csv_writer
        .flush()
        .map_err(|source| ExportError::Csv(source.into()))?;
    Ok(Written {
        items,
        columns: header,
    })
}
