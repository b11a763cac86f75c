//! Parquet export with the low-level column writer: the schema is built from
//! the data (one typed, optional column per field) in a first pass, then rows
//! are buffered per column and written in row groups of
//! [`ROW_GROUP_ROWS`], so memory stays bounded by one row group.
//!
//! Arrow would be the usual route, but it is a large dependency tree for what
//! is four column types here.

use std::io::Write;
use std::sync::Arc;

use parquet::basic::{Compression, LogicalType, Repetition, Type as PhysicalType};
use parquet::column::writer::ColumnWriter;
use parquet::data_type::ByteArray;
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use serde_json::Value;
use trawl_store::Store;
use trawl_types::{Item, RunId};

use crate::Written;
use crate::columns::{ColumnType, FieldColumns, METADATA_COLUMNS, column_name, value_as_text};
use crate::error::ExportError;

/// Rows per row group: large enough for good compression and few footers,
/// small enough that one group of buffered values stays a few megabytes.
pub(crate) const ROW_GROUP_ROWS: usize = 10_000;

/// Definition level of a present value in an optional, non-nested column.
const PRESENT: i16 = 1;
/// Definition level of a null.
const NULL: i16 = 0;

/// One column's values for the row group being filled.
enum ColumnValues {
    Int64(Vec<i64>),
    Double(Vec<f64>),
    Boolean(Vec<bool>),
    Text(Vec<ByteArray>),
}

struct ColumnBuffer {
    /// Exported column name, for error messages.
    column: String,
    values: ColumnValues,
    /// One entry per row: [`PRESENT`] or [`NULL`]; `values` holds only the present ones.
    definition_levels: Vec<i16>,
}

impl ColumnBuffer {
    fn new(column: String, column_type: ColumnType) -> ColumnBuffer {
        let values = match column_type {
            ColumnType::Int64 => ColumnValues::Int64(Vec::new()),
            ColumnType::Double => ColumnValues::Double(Vec::new()),
            ColumnType::Boolean => ColumnValues::Boolean(Vec::new()),
            ColumnType::Text => ColumnValues::Text(Vec::new()),
        };
        ColumnBuffer {
            column,
            values,
            definition_levels: Vec::new(),
        }
    }

    /// Pushes one of the item's own string attributes (kind, key, url).
    fn push_text(&mut self, text: Option<&str>) -> Result<(), ExportError> {
        match (text, &mut self.values) {
            (None, _) => self.definition_levels.push(NULL),
            (Some(text), ColumnValues::Text(values)) => {
                values.push(ByteArray::from(text.as_bytes().to_vec()));
                self.definition_levels.push(PRESENT);
            }
            (Some(_), _) => return Err(schema_mismatch(&self.column)),
        }
        Ok(())
    }

    fn push(&mut self, value: Option<&Value>) -> Result<(), ExportError> {
        let value = value.filter(|value| !value.is_null());
        let Some(value) = value else {
            self.definition_levels.push(NULL);
            return Ok(());
        };
        match &mut self.values {
            ColumnValues::Int64(values) => {
                values.push(
                    value
                        .as_i64()
                        .ok_or_else(|| ExportError::ColumnTypeChanged {
                            column: self.column.clone(),
                        })?,
                )
            }
            ColumnValues::Double(values) => {
                values.push(
                    value
                        .as_f64()
                        .ok_or_else(|| ExportError::ColumnTypeChanged {
                            column: self.column.clone(),
                        })?,
                )
            }
            ColumnValues::Boolean(values) => {
                values.push(
                    value
                        .as_bool()
                        .ok_or_else(|| ExportError::ColumnTypeChanged {
                            column: self.column.clone(),
                        })?,
                )
            }
            ColumnValues::Text(values) => {
                values.push(ByteArray::from(
                    value_as_text(value).into_owned().into_bytes(),
                ));
            }
        }
        self.definition_levels.push(PRESENT);
        Ok(())
    }

    fn clear(&mut self) {
        self.definition_levels.clear();
        match &mut self.values {
            ColumnValues::Int64(values) => values.clear(),
            ColumnValues::Double(values) => values.clear(),
            ColumnValues::Boolean(values) => values.clear(),
            ColumnValues::Text(values) => values.clear(),
        }
    }
}

/// The Parquet schema: every column OPTIONAL, strings annotated as UTF-8.
fn build_schema(columns: &[(String, ColumnType)]) -> Result<Type, ParquetError> {
    let fields = columns
        .iter()
        .map(|(name, column_type)| {
            let (physical_type, logical_type) = match column_type {
                ColumnType::Int64 => (PhysicalType::INT64, None),
                ColumnType::Double => (PhysicalType::DOUBLE, None),
                ColumnType::Boolean => (PhysicalType::BOOLEAN, None),
                ColumnType::Text => (PhysicalType::BYTE_ARRAY, Some(LogicalType::String)),
            };
            Type::primitive_type_builder(name, physical_type)
                .with_repetition(Repetition::OPTIONAL)
                .with_logical_type(logical_type)
                .build()
                .map(Arc::new)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Type::group_type_builder("item").with_fields(fields).build()
}

pub(crate) fn write(
    store: &Store,
    run_id: RunId,
    writer: impl Write + Send,
) -> Result<Written, ExportError> {
    let field_columns = FieldColumns::collect(store, run_id)?;
    let mut columns: Vec<(String, ColumnType)> = METADATA_COLUMNS
        .iter()
        .map(|name| ((*name).to_owned(), ColumnType::Text))
        .collect();
    columns.extend(field_columns.columns.iter().map(|column| {
        (
            column_name(&column.field_name).into_owned(),
            column.column_type(),
        )
    }));
    let schema = Arc::new(build_schema(&columns)?);
    let properties = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("trawl {}", env!("CARGO_PKG_VERSION")))
            .build(),
    );
    let mut file_writer = SerializedFileWriter::new(writer, schema, properties)?;
    let mut buffers: Vec<ColumnBuffer> = columns
        .iter()
        .map(|(name, column_type)| ColumnBuffer::new(name.clone(), *column_type))
        .collect();
    let mut items = 0_u64;
    let mut buffered_rows = 0_usize;
    store.for_each_item(run_id, |item| {
        push_row(&mut buffers, &field_columns, &item)?;
        items += 1;
        buffered_rows += 1;
        if buffered_rows == ROW_GROUP_ROWS {
            write_row_group(&mut file_writer, &mut buffers)?;
            buffered_rows = 0;
        }
        Ok::<(), ExportError>(())
    })?;
    if buffered_rows > 0 {
        write_row_group(&mut file_writer, &mut buffers)?;
    }
    file_writer.close()?;
    Ok(Written {
        items,
        columns: columns.into_iter().map(|(name, _)| name).collect(),
    })
}

fn push_row(
    buffers: &mut [ColumnBuffer],
    field_columns: &FieldColumns,
    item: &Item,
) -> Result<(), ExportError> {
    let (metadata_buffers, field_buffers) = buffers.split_at_mut(METADATA_COLUMNS.len());
    metadata_buffers[0].push_text(Some(&item.kind))?;
    metadata_buffers[1].push_text(item.key.as_deref())?;
    metadata_buffers[2].push_text(Some(&item.url))?;
    for (buffer, column) in field_buffers.iter_mut().zip(&field_columns.columns) {
        buffer.push(item.fields.get(&column.field_name))?;
    }
    Ok(())
}

fn write_row_group<W: Write + Send>(
    file_writer: &mut SerializedFileWriter<W>,
    buffers: &mut [ColumnBuffer],
) -> Result<(), ExportError> {
    let mut row_group_writer = file_writer.next_row_group()?;
    for buffer in buffers.iter_mut() {
        let Some(mut column_writer) = row_group_writer.next_column()? else {
            return Err(schema_mismatch(&buffer.column));
        };
        let definition_levels = Some(buffer.definition_levels.as_slice());
        match (column_writer.untyped(), &buffer.values) {
            (ColumnWriter::Int64ColumnWriter(typed), ColumnValues::Int64(values)) => {
                typed.write_batch(values, definition_levels, None)?;
            }
            (ColumnWriter::DoubleColumnWriter(typed), ColumnValues::Double(values)) => {
                typed.write_batch(values, definition_levels, None)?;
            }
            (ColumnWriter::BoolColumnWriter(typed), ColumnValues::Boolean(values)) => {
                typed.write_batch(values, definition_levels, None)?;
            }
            (ColumnWriter::ByteArrayColumnWriter(typed), ColumnValues::Text(values)) => {
                typed.write_batch(values, definition_levels, None)?;
            }
            _ => return Err(schema_mismatch(&buffer.column)),
        }
        column_writer.close()?;
        buffer.clear();
    }
    row_group_writer.close()?;
    Ok(())
}

/// The buffers are built from the same list as the schema, so this is a bug,
/// reported as an error rather than a panic.
fn schema_mismatch(column: &str) -> ExportError {
    ExportError::Parquet(ParquetError::General(format!(
        "column {column:?} does not match the parquet schema"
    )))
}
