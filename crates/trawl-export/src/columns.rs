//! The tabular shape of a dataset: which columns an export has and, for
//! Parquet, which type each holds. Items of one run can have different
//! fields, so the columns are the union of every item's field names in
//! first-seen order, learned in a first pass over the store.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::Value;
use trawl_store::Store;
use trawl_types::{Item, RunId};

use crate::error::ExportError;

/// Columns every export starts with, from the item itself rather than its fields.
pub(crate) const METADATA_COLUMNS: [&str; 3] = ["_kind", "_key", "_url"];

/// The column name a field is exported under.
///
/// A field that happens to be named like a metadata column gets one more
/// leading underscore (`_url` becomes `__url`) so neither value is lost and
/// JSON objects have no duplicate keys.
pub(crate) fn column_name(field_name: &str) -> Cow<'_, str> {
    if METADATA_COLUMNS.contains(&field_name) {
        Cow::Owned(format!("_{field_name}"))
    } else {
        Cow::Borrowed(field_name)
    }
}

/// A value as text, for CSV cells and Parquet string columns: strings as
/// they are, null as empty, lists and objects as JSON.
pub(crate) fn value_as_text(value: &Value) -> Cow<'_, str> {
    match value {
        Value::Null => Cow::Borrowed(""),
        Value::String(text) => Cow::Borrowed(text),
        Value::Bool(true) => Cow::Borrowed("true"),
        Value::Bool(false) => Cow::Borrowed("false"),
        Value::Number(number) => Cow::Owned(number.to_string()),
        Value::Array(_) | Value::Object(_) => Cow::Owned(value.to_string()),
    }
}

/// The storage type inferred for a field column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnType {
    /// Every non-null value is an integer that fits in an i64.
    Int64,
    /// Every non-null value is a number and at least one is not an i64.
    Double,
    /// Every non-null value is a boolean.
    Boolean,
    /// Anything else, including columns that are always null.
    Text,
}

/// What the first pass saw of one field.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldColumn {
    pub(crate) field_name: String,
    saw_integer: bool,
    saw_float: bool,
    saw_boolean: bool,
    saw_other: bool,
}

impl FieldColumn {
    fn observe(&mut self, value: &Value) {
        match value {
            Value::Null => {}
            Value::Bool(_) => self.saw_boolean = true,
            Value::Number(number) if number.is_i64() => self.saw_integer = true,
            // A u64 above i64::MAX is kept exact as text rather than rounded
            // into a double.
            Value::Number(number) if number.is_u64() => self.saw_other = true,
            Value::Number(_) => self.saw_float = true,
            Value::String(_) | Value::Array(_) | Value::Object(_) => self.saw_other = true,
        }
    }

    pub(crate) fn column_type(&self) -> ColumnType {
        let saw_number = self.saw_integer || self.saw_float;
        if self.saw_other || (self.saw_boolean && saw_number) {
            ColumnType::Text
        } else if self.saw_boolean {
            ColumnType::Boolean
        } else if self.saw_float {
            ColumnType::Double
        } else if self.saw_integer {
            ColumnType::Int64
        } else {
            ColumnType::Text
        }
    }
}

/// The union of field names (first-seen order) and what each column holds.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldColumns {
    pub(crate) columns: Vec<FieldColumn>,
    index_by_field_name: HashMap<String, usize>,
}

impl FieldColumns {
    /// First pass: reads every item of the run once, keeping only column
    /// facts, so memory is bounded by the number of distinct fields.
    pub(crate) fn collect(store: &Store, run_id: RunId) -> Result<FieldColumns, ExportError> {
        let mut field_columns = FieldColumns::default();
        store.for_each_item(run_id, |item| {
            field_columns.observe(&item);
            Ok::<(), ExportError>(())
        })?;
        Ok(field_columns)
    }

    pub(crate) fn observe(&mut self, item: &Item) {
        for (field_name, value) in &item.fields {
            let index = match self.index_by_field_name.get(field_name.as_str()) {
                Some(&index) => index,
                None => {
                    self.columns.push(FieldColumn {
                        field_name: field_name.clone(),
                        ..FieldColumn::default()
                    });
                    self.index_by_field_name
                        .insert(field_name.clone(), self.columns.len() - 1);
                    self.columns.len() - 1
                }
            };
            self.columns[index].observe(value);
        }
    }

    /// Every exported column name: metadata first, then fields.
    pub(crate) fn header(&self) -> Vec<String> {
        METADATA_COLUMNS
            .iter()
            .map(|name| (*name).to_owned())
            .chain(
                self.columns
                    .iter()
                    .map(|column| column_name(&column.field_name).into_owned()),
            )
            .collect()
    }
}

#[cfg(test)]
mod tests;
